import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CAPTION_FONT_FAMILY,
  CAPTION_FONTS_DIR,
  assFilter,
  buildAssScript,
  estimateTextWidth,
  escapeFilterValue,
} from '../src/render/captions.js';
import { safeZone } from '../src/render/layout.js';
import { ASPECTS, FRAME_SIZES, type Aspect, type CaptionStyle, type WordTiming } from '../src/render/types.js';

/** Words of `text` spoken back to back from `from`, `step` seconds each with a short gap. */
function timed(text: string, from = 0.2, step = 0.3): WordTiming[] {
  return text.split(' ').map((w, i) => ({ text: w, start: from + i * step, end: from + i * step + step - 0.04 }));
}

const LONG_WORD = 'Pneumonoultramicroscopicsilicovolcanosis1'; // 41 chars
const SENTENCE = 'Honestly this café à São Paulo 😍🔥 changed ñandú über ça łódź mornings!';

interface Dialogue {
  start: number; // centiseconds
  end: number;
  style: string;
  text: string;
}

function cs(t: string): number {
  const m = /^(\d+):(\d\d):(\d\d)\.(\d\d)$/.exec(t);
  if (!m) throw new Error(`bad ASS time ${t}`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 100 + Number(m[4]);
}

function dialogues(ass: string): Dialogue[] {
  return ass
    .split('\n')
    .filter((l) => l.startsWith('Dialogue:'))
    .map((l) => {
      const f = l.slice('Dialogue:'.length).trim().split(',');
      return { start: cs(f[1] ?? ''), end: cs(f[2] ?? ''), style: f[3] ?? '', text: f.slice(9).join(',') };
    });
}

/** Visible lines of an event's text, plus its \fs override if any. */
function visibleLines(text: string): { fs?: number; lines: string[] } {
  const fs = /\\fs(\d+)/.exec(text)?.[1];
  const lines = text.replace(/\{[^}]*\}/g, '').split('\\N');
  return { fs: fs ? Number(fs) : undefined, lines };
}

function styleField(ass: string, style: string, field: string): string | undefined {
  const format = (/^Format: (Name,.*)$/m.exec(ass)?.[1] ?? '').split(', ');
  const line = new RegExp(`^Style: ${style},.*$`, 'm').exec(ass)?.[0] ?? '';
  return line.slice('Style: '.length).split(',')[format.indexOf(field)];
}

/** The safe rectangle the brief asks for, independent of the module's own numbers. */
/** The generic platform's safe zone (the layout's default), as edges. */
function safeBox(aspect: Aspect): { left: number; right: number; top: number; bottom: number } {
  const zone = safeZone('generic', aspect, FRAME_SIZES[aspect]);
  return { left: zone.x, right: zone.x + zone.width, top: zone.y, bottom: zone.y + zone.height };
}

describe('buildAssScript', () => {
  const size = FRAME_SIZES['9:16'];

  it('writes a complete script sized to the frame', () => {
    const ass = buildAssScript({ words: timed('hello there'), style: 'karaoke', size, aspect: '9:16' });
    expect(ass).toContain('[Script Info]');
    expect(ass).toContain('PlayResX: 1080');
    expect(ass).toContain('PlayResY: 1920');
    expect(ass).toContain('WrapStyle: 2');
    expect(ass).toContain('ScaledBorderAndShadow: yes');
    expect(ass).toMatch(new RegExp(`^Style: Karaoke,${CAPTION_FONT_FAMILY},`, 'm'));
    expect(ass).toContain('[Events]');
    for (const line of ass.split('\n').filter((l) => l.startsWith('Dialogue:'))) {
      expect(line).toMatch(/^Dialogue: 0,\d:\d\d:\d\d\.\d\d,\d:\d\d:\d\d\.\d\d,/);
    }
  });

  it('karaoke: one event per chunk, \\k sums match the span, chunks are short and ordered', () => {
    const words = timed('This serum changed my skin in two weeks and I am honestly obsessed with it now', 0.5, 0.27);
    const ass = buildAssScript({ words, style: 'karaoke', size, aspect: '9:16' });
    const events = dialogues(ass);
    expect(events.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let prevEnd = 0;
    for (const e of events) {
      expect(e.style).toBe('Karaoke');
      const ks = [...e.text.matchAll(/\\k(\d+)/g)].map((m) => Number(m[1]));
      const sum = ks.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - (e.end - e.start))).toBeLessThanOrEqual(2);
      const { lines } = visibleLines(e.text);
      expect(lines.length).toBeLessThanOrEqual(2);
      const text = lines.join(' ');
      expect(ks.length).toBe(text.split(' ').length);
      expect(text.length).toBeLessThanOrEqual(18);
      expect(e.start).toBeGreaterThanOrEqual(prevEnd);
      prevEnd = e.end;
      seen.push(text);
    }
    expect(seen.join(' ')).toBe(words.map((w) => w.text).join(' '));
  });

  it('karaoke: gaps inside a chunk stay with the previous word; pauses and full stops break chunks', () => {
    const words: WordTiming[] = [
      { text: 'Wait', start: 1.0, end: 1.3 },
      { text: 'for', start: 1.5, end: 1.7 },
      { text: 'it.', start: 1.72, end: 2.0 },
      { text: 'Now', start: 2.05, end: 2.3 },
      { text: 'look', start: 2.9, end: 3.2 },
    ];
    const events = dialogues(buildAssScript({ words, style: 'karaoke', size, aspect: '9:16' }));
    expect(events.map((e) => visibleLines(e.text).lines.join(' '))).toEqual(['Wait for it.', 'Now', 'look']);
    const first = events[0] as Dialogue;
    expect([first.start, first.end]).toEqual([100, 200]);
    expect([...first.text.matchAll(/\\k(\d+)/g)].map((m) => Number(m[1]))).toEqual([50, 22, 28]);
  });

  it('rounds times so consecutive events neither overlap nor leave a centisecond gap', () => {
    const words: WordTiming[] = [
      { text: 'one', start: 0.004, end: 0.335 },
      { text: 'two.', start: 0.335, end: 0.666 },
      { text: 'three', start: 0.666, end: 1.0049 },
    ];
    const events = dialogues(buildAssScript({ words, style: 'karaoke', size, aspect: '9:16' }));
    expect(events.map((e) => [e.start, e.end])).toEqual([
      [0, 67],
      [67, 100],
    ]);
  });

  it('clean: groups of 1-3 words, no highlight, timed to their words', () => {
    const words = timed('This serum changed my skin in two weeks and I am honestly obsessed with it now. Try it today', 0, 0.3);
    const events = dialogues(buildAssScript({ words, style: 'clean', size, aspect: '9:16' }));
    expect(events.length).toBeGreaterThan(1);
    for (const e of events) {
      expect(e.style).toBe('Caption');
      expect(e.text).not.toMatch(/\\k/);
      const { lines } = visibleLines(e.text);
      expect(lines.length).toBeLessThanOrEqual(2);
      expect(lines.join(' ').split(' ').length).toBeLessThanOrEqual(3);
    }
    expect(events.map((e) => visibleLines(e.text).lines.join(' ')).join(' ')).toBe(words.map((w) => w.text).join(' '));
    expect(events[0]?.start).toBe(0);
    expect(events[events.length - 1]?.end).toBe(Math.round((words[words.length - 1] as WordTiming).end * 100));
  });

  it('none: no caption events, only the end card', () => {
    const words = timed('nothing to see here');
    expect(dialogues(buildAssScript({ words, style: 'none', size, aspect: '9:16' }))).toEqual([]);
    const events = dialogues(
      buildAssScript({ words, style: 'none', size, aspect: '9:16', endCard: { productName: 'Glow Serum', cta: 'Shop now', start: 2, end: 4.5 } }),
    );
    // The name, the button's rounded block (a drawing) and its text on top.
    expect(events.map((e) => e.style)).toEqual(['EndTitle', 'EndCta', 'EndCta']);
    for (const e of events) {
      expect([e.start, e.end]).toEqual([200, 450]);
      expect(e.text).toMatch(/\\fad\(\d+,\d+\)/);
    }
    expect(visibleLines(events[0]?.text ?? '').lines.join(' ')).toBe('Glow Serum');
    expect(events[1]?.text).toMatch(/\\p1.*\bb \d/);
  });

  it('escapes braces and backslashes and keeps every event on one line', () => {
    const words = timed('{\\b1}bold a\\Nb back\\slash } two\nlines tab\there end\\');
    const ass = buildAssScript({ words, style: 'karaoke', size, aspect: '9:16', endCard: { productName: '{\\fs200}X', start: 9, end: 10 } });
    const events = dialogues(ass);
    expect(ass.split('\n').filter((l) => l.includes('lines'))).toHaveLength(1);
    for (const e of events) {
      // Remove the override blocks the builder itself writes, and its line breaks.
      const body = e.text.replace(/\{\\(?:an\d|k\d|fs\d|fad\()[^{}]*\}/g, '').replace(/\\N/g, '');
      expect(body).not.toMatch(/[{}]/);
      expect(body).not.toMatch(/\\(?!\u200b)/);
    }
    const all = events.map((e) => visibleLines(e.text).lines.join(' ')).join(' ');
    expect(all).toContain('two lines tab here');
  });

  it('strips emoji, ZWJ sequences, flags and variation selectors but keeps accents', () => {
    const words = timed('Love it 😍🔥 👍🏽 ❤️ 👨‍👩‍👧 🇫🇷 café™ ñandú łódź 🔥');
    const ass = buildAssScript({ words, style: 'clean', size, aspect: '9:16' });
    expect(ass.replace(/™/g, '')).not.toMatch(/\p{Extended_Pictographic}|\u200d|\ufe0f|[\u{1f1e6}-\u{1f1ff}]|\p{Emoji_Modifier}/u);
    const text = dialogues(ass)
      .map((e) => visibleLines(e.text).lines.join(' '))
      .join(' ');
    expect(text).toBe('Love it café™ ñandú łódź');
  });

  it.each(ASPECTS)('fits a 41-character word inside the %s safe width by shrinking and hyphenating', (aspect) => {
    for (const style of ['karaoke', 'clean'] as const) {
      const ass = buildAssScript({ words: timed(`Wow ${LONG_WORD} yes`), style, size: FRAME_SIZES[aspect], aspect });
      const styleName = style === 'karaoke' ? 'Karaoke' : 'Caption';
      const base = Number(styleField(ass, styleName, 'Fontsize'));
      const outline = Number(styleField(ass, styleName, 'Outline'));
      const box = safeBox(aspect);
      const event = dialogues(ass).find((e) => e.text.includes(LONG_WORD.slice(0, 8)));
      expect(event).toBeDefined();
      const { fs, lines } = visibleLines(event?.text ?? '');
      const size = fs ?? base;
      expect(lines.join('').replace(/-/g, '')).toContain(LONG_WORD);
      for (const line of lines) {
        expect(estimateTextWidth(line, size) + 2 * outline).toBeLessThanOrEqual(box.right - box.left);
      }
      if (aspect === '9:16') expect(fs !== undefined || lines.length > 1).toBe(true);
    }
  });
});

describe('escapeFilterValue', () => {
  it('escapes both filter option and filtergraph levels', () => {
    expect(escapeFilterValue('/tmp/a:b.ass')).toBe('/tmp/a\\\\:b.ass');
    expect(escapeFilterValue("it's")).toBe("it\\\\\\'s");
    expect(escapeFilterValue('a,b[c];d')).toBe('a\\,b\\[c\\]\\;d');
    expect(escapeFilterValue('C:\\x my')).toBe('C\\\\:\\\\\\\\x\\\\\\ my');
  });
});

describe('burning captions with the bundled ffmpeg', () => {
  const BG = 0x336699;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // Awkward characters in the path exercise assFilter's escaping.
    dir = await mkdtemp(path.join(os.tmpdir(), "ugc caps [it's]; a,b: "));
    // An empty fontconfig setup: like a CI box with no system fonts, only the shipped font can be used.
    const conf = path.join(dir, 'fonts.conf');
    await writeFile(conf, '<?xml version="1.0"?>\n<fontconfig></fontconfig>\n');
    env = { FONTCONFIG_FILE: conf };
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let n = 0;
  async function render(aspect: Aspect, ass: string | null, t: number, extra: string[] = []) {
    const { width, height } = FRAME_SIZES[aspect];
    const args = ['-hide_banner', '-nostdin', ...extra, '-f', 'lavfi', '-i', `color=c=0x${BG.toString(16)}:s=${width}x${height}:d=${t + 1}`];
    if (ass !== null) {
      const file = path.join(dir, `cap ${n++}.ass`);
      await writeFile(file, ass);
      args.push('-vf', assFilter(file));
    }
    args.push('-ss', String(t), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1');
    const result = await execa(ffmpegInstaller.path, args, { env, encoding: 'buffer' });
    expect(result.stdout.length).toBe(width * height);
    return { frame: result.stdout, stderr: Buffer.from(result.stderr).toString() };
  }

  const backgrounds = new Map<Aspect, Uint8Array>();
  async function background(aspect: Aspect): Promise<Uint8Array> {
    let bg = backgrounds.get(aspect);
    if (!bg) {
      bg = (await render(aspect, null, 0.5, ['-v', 'error'])).frame;
      backgrounds.set(aspect, bg);
    }
    return bg;
  }

  /** Pixels that differ from the caption-free frame, with their bounding box. */
  async function captionPixels(aspect: Aspect, ass: string, t: number) {
    const bg = await background(aspect);
    const { frame } = await render(aspect, ass, t, ['-v', 'error']);
    const { width } = FRAME_SIZES[aspect];
    let count = 0;
    let minX = Infinity;
    let maxX = -1;
    let minY = Infinity;
    let maxY = -1;
    for (let i = 0; i < frame.length; i++) {
      if (Math.abs((frame[i] ?? 0) - (bg[i] ?? 0)) <= 2) continue;
      const x = i % width;
      const y = Math.floor(i / width);
      count++;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    return { count, minX, maxX, minY, maxY };
  }

  it('ships the font and libass picks it from fontsdir with no system fonts', async () => {
    expect(existsSync(path.join(CAPTION_FONTS_DIR, 'Montserrat-ExtraBold.ttf'))).toBe(true);
    expect(existsSync(path.join(CAPTION_FONTS_DIR, 'OFL.txt'))).toBe(true);
    const ass = buildAssScript({ words: timed('Café ñandú łódź'), style: 'karaoke', size: FRAME_SIZES['9:16'], aspect: '9:16' });
    const { stderr } = await render('9:16', ass, 0.4, ['-v', 'verbose']);
    expect(stderr).toContain(`fontselect: (${CAPTION_FONT_FAMILY}, 700, 0) -> Montserrat-ExtraBold`);
    expect(stderr).not.toMatch(/failed to find|Glyph 0x[0-9A-F]+ not found/i);
  });

  const words = [...timed(SENTENCE, 0.2, 0.3), { text: LONG_WORD, start: 4.5, end: 5.5 }];
  const cases: [Aspect, CaptionStyle, number][] = ASPECTS.flatMap((aspect) => [
    [aspect, 'karaoke', 0.9] as [Aspect, CaptionStyle, number],
    [aspect, 'karaoke', 2.7],
    [aspect, 'karaoke', 5.0],
    [aspect, 'clean', 1.2],
    [aspect, 'clean', 5.0],
  ]);

  it.each(cases)('%s %s at %ss draws captions only inside the safe area', async (aspect, style, t) => {
    const ass = buildAssScript({ words, style, size: FRAME_SIZES[aspect], aspect });
    const px = await captionPixels(aspect, ass, t);
    const box = safeBox(aspect);
    expect(px.count).toBeGreaterThan(1000);
    expect(px.minX).toBeGreaterThanOrEqual(box.left);
    expect(px.maxX).toBeLessThan(box.right);
    expect(px.minY).toBeGreaterThanOrEqual(box.top);
    expect(px.maxY).toBeLessThan(box.bottom);
  });

  it.each(ASPECTS)('%s: none draws nothing during speech, and the end card inside the frame', async (aspect) => {
    const endCard = { productName: 'GlowUp Vitamin C Sérum', cta: 'Shop now — 20% off 🔥', start: 6, end: 8 };
    const ass = buildAssScript({ words, style: 'none', size: FRAME_SIZES[aspect], aspect, endCard });
    expect((await captionPixels(aspect, ass, 1)).count).toBe(0);
    const px = await captionPixels(aspect, ass, 7);
    const box = safeBox(aspect);
    expect(px.count).toBeGreaterThan(5000);
    expect(px.minX).toBeGreaterThanOrEqual(box.left);
    expect(px.maxX).toBeLessThan(box.right);
    expect(px.minY).toBeGreaterThanOrEqual(box.top);
    expect(px.maxY).toBeLessThan(box.bottom);
  });
});
