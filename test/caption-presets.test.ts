import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assFilter, buildAssScript, DEFAULT_LOOK } from '../src/render/captions.js';
import { FRAME_SIZES, type WordTiming } from '../src/render/types.js';

const WORDS: WordTiming[] = 'Honestly this serum changed my skin forever. Try it today!'
  .split(' ')
  .map((text, i) => ({ text, start: 0.2 + i * 0.45, end: 0.2 + i * 0.45 + 0.4 }));
const SIZE = FRAME_SIZES['9:16'];

interface Event {
  start: number;
  end: number;
  text: string;
}

function events(ass: string): Event[] {
  const cs = (t: string) => {
    const [h, m, s] = t.split(':');
    return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 100);
  };
  return ass
    .split('\n')
    .filter((l) => l.startsWith('Dialogue:'))
    .map((l) => {
      const f = l.slice(10).split(',');
      return { start: cs(f[1] ?? ''), end: cs(f[2] ?? ''), text: f.slice(9).join(',') };
    });
}

/** Splits an event into its visible words, each with the override text just before it. */
function taggedWords(text: string): { word: string; tags: string }[] {
  const out: { word: string; tags: string }[] = [];
  let tags = '';
  for (const part of text.replace(/\\N/g, ' ').split(/(\{[^}]*\})/)) {
    if (part.startsWith('{')) {
      tags += part;
      continue;
    }
    for (const word of part.split(' ').filter(Boolean)) {
      out.push({ word, tags });
      tags = '';
    }
  }
  return out;
}

/** The word each preset marks as spoken at time `t` (centiseconds), read from the ASS script. */
function markedAt(ass: string, preset: 'karaoke' | 'box' | 'pop' | 'clean', t: number): string | null {
  const active = events(ass).filter((e) => e.start <= t && t < e.end);
  if (active.length !== 1) return null;
  const words = taggedWords((active[0] as Event).text);
  if (preset === 'karaoke') {
    // \k fills each word in turn: the one whose span holds t.
    let at = (active[0] as Event).start;
    for (const w of words) {
      const k = /\\k(\d+)/.exec(w.tags);
      if (k) {
        if (t >= at && t < at + Number(k[1])) return w.word;
        at += Number(k[1]);
      }
    }
    return null;
  }
  const marked = words.filter((w) => (preset === 'box' ? w.tags.includes('\\3c&H0000D6FF') : preset === 'pop' ? w.tags.includes('\\t(') : /\\c&H(?!00FFFFFF)/.test(w.tags)));
  return marked.length === 1 ? (marked[0] as { word: string }).word : null;
}

describe('caption presets mark the spoken word at its time', () => {
  for (const preset of ['karaoke', 'box', 'pop'] as const) {
    it(preset, () => {
      const ass = buildAssScript({ words: WORDS, style: preset, size: SIZE, aspect: '9:16' });
      for (const w of WORDS) {
        const mid = Math.round(((w.start + w.end) / 2) * 100);
        expect(markedAt(ass, preset, mid), `${w.text} at ${mid} cs`).toBe(w.text);
      }
    });
  }

  it('clean shows the words with no word marked', () => {
    const ass = buildAssScript({ words: WORDS, style: 'clean', size: SIZE, aspect: '9:16' });
    for (const w of WORDS) expect(markedAt(ass, 'clean', Math.round(((w.start + w.end) / 2) * 100))).toBeNull();
    expect(events(ass).length).toBeGreaterThan(2);
  });

  it('pop shows only the words said so far', () => {
    const ass = buildAssScript({ words: WORDS, style: 'pop', size: SIZE, aspect: '9:16' });
    const first = events(ass)[0] as Event;
    const shown = taggedWords(first.text).filter((w) => !w.tags.includes('\\alpha&HFF&'));
    expect(shown.map((w) => w.word)).toEqual([WORDS[0]?.text]);
  });

  it('groups are 1-3 words, and the hook holds the captions back until it ends', () => {
    const ass = buildAssScript({ words: WORDS, style: 'karaoke', size: SIZE, aspect: '9:16', hook: { text: 'Wait for it', end: 1.1 } });
    const captions = events(ass).filter((e) => !e.text.includes('Wait'));
    for (const e of captions) {
      expect(taggedWords(e.text).length).toBeLessThanOrEqual(3);
      expect(e.start).toBeGreaterThanOrEqual(110);
    }
    expect(events(ass).some((e) => e.text.includes('Wait') && e.start === 0 && e.end === 110)).toBe(true);
  });
});

describe('caption presets as burnt into the frame', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ugc-presets-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Pixels of the highlight/accent yellow in the frame at `t` seconds, over a blue background. */
  async function yellowPixels(preset: string, t: number): Promise<number> {
    const file = path.join(dir, `${preset}.ass`);
    await writeFile(file, buildAssScript({ words: WORDS, style: preset as 'box', size: SIZE, aspect: '9:16' }));
    const { stdout } = await execa(
      ffmpegInstaller.path,
      ['-v', 'error', '-f', 'lavfi', '-i', `color=c=0x224488:s=${SIZE.width}x${SIZE.height}:d=${t + 0.5}`, '-vf', assFilter(file), '-ss', String(t), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
      { encoding: 'buffer' },
    );
    const [r, g, b] = [0xff, 0xd6, 0x00];
    expect(DEFAULT_LOOK.highlight).toBe('#FFD600');
    let count = 0;
    for (let i = 0; i < stdout.length; i += 3) {
      if (Math.abs((stdout[i] ?? 0) - r) < 40 && Math.abs((stdout[i + 1] ?? 0) - g) < 40 && (stdout[i + 2] ?? 0) - b < 60) count++;
    }
    return count;
  }

  it.each(['karaoke', 'box', 'pop'])('%s paints the spoken word in the highlight colour; clean does not', async (preset) => {
    const w = WORDS[2] as WordTiming;
    expect(await yellowPixels(preset, (w.start + w.end) / 2)).toBeGreaterThan(800);
    expect(await yellowPixels('clean', (w.start + w.end) / 2)).toBe(0);
  });
});
