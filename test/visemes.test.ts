import { describe, expect, it } from 'vitest';
import { blinkTrack } from '../src/render/blinks.js';
import { synthesizeSpeech } from '../src/render/tts.js';
import type { PhonemeTiming } from '../src/render/types.js';
import { MIN_HOLD_FRAMES, phonemeVisemes, unmappedSymbols, visemeTrack, type VisemeRun } from '../src/render/visemes.js';
import { findVoice } from '../src/render/voices.js';

const FPS = 30;

/** The shape shown on each frame. */
function frames(runs: VisemeRun[]): string[] {
  return runs.flatMap((r) => Array<string>(r.frames).fill(r.viseme));
}

function expectWellFormed(runs: VisemeRun[], frameCount: number): void {
  let next = 0;
  for (const run of runs) {
    expect(run.start).toBe(next);
    next += run.frames;
  }
  expect(next).toBe(frameCount);
  for (let i = 1; i < runs.length; i++) expect(runs[i]?.viseme).not.toBe(runs[i - 1]?.viseme);
  for (const run of runs) expect(run.frames).toBeGreaterThanOrEqual(MIN_HOLD_FRAMES);
}

describe('phonemes to mouth shapes', () => {
  it('maps eSpeak IPA across the shipped languages, stress and length marks ignored', () => {
    expect(phonemeVisemes('m')).toEqual(['closed']);
    expect(phonemeVisemes('p')).toEqual(['closed']);
    expect(phonemeVisemes('f')).toEqual(['fv']);
    expect(phonemeVisemes('v')).toEqual(['fv']);
    expect(phonemeVisemes('β')).toEqual(['fv']); // Spanish b between vowels
    expect(phonemeVisemes('l')).toEqual(['l']);
    expect(phonemeVisemes('ˈɑː')).toEqual(['wide']);
    expect(phonemeVisemes('ˈa')).toEqual(['wide']);
    expect(phonemeVisemes('ɛ')).toEqual(['open']);
    expect(phonemeVisemes('æ')).toEqual(['open']);
    expect(phonemeVisemes('ˈiː')).toEqual(['slight']);
    expect(phonemeVisemes('s')).toEqual(['slight']);
    expect(phonemeVisemes('ɔ')).toEqual(['round']);
    expect(phonemeVisemes('ɚ')).toEqual(['round']);
    expect(phonemeVisemes('uː')).toEqual(['pucker']);
    expect(phonemeVisemes('w')).toEqual(['pucker']);
    expect(phonemeVisemes('ˈyː')).toEqual(['pucker']); // German ü
    expect(phonemeVisemes('ˈɔ̃')).toEqual(['round']); // French nasal vowel
    expect(phonemeVisemes('a-')).toEqual(['wide']); // eSpeak's French "a-"
    expect(phonemeVisemes('ʁ')).toEqual(['slight']);
    expect(phonemeVisemes('ç')).toEqual(['slight']); // German ich-Laut, one symbol after NFD
  });

  it('splits diphthongs and affricates into their shapes', () => {
    expect(phonemeVisemes('aɪ')).toEqual(['wide', 'slight']);
    expect(phonemeVisemes('ˈaʊ')).toEqual(['wide', 'pucker']);
    expect(phonemeVisemes('oʊ')).toEqual(['round', 'pucker']);
    expect(phonemeVisemes('pf')).toEqual(['closed', 'fv']);
    expect(phonemeVisemes('ˌɐ̃ʊ')).toEqual(['open', 'pucker']);
    expect(phonemeVisemes('əl')).toEqual(['open', 'l']);
  });

  it('gives a pause no shape, and an unknown symbol the slightly open one', () => {
    expect(phonemeVisemes('')).toEqual([]);
    expect(phonemeVisemes('ʘ')).toEqual(['slight']);
  });

  it('knows every phoneme the shipped voices speak', async () => {
    const samples: [string, string][] = [
      ['en-us-female', 'Okay so I did not expect this. Joy, vision, azure, thank you.'],
      ['en-gb-male', 'Hello there, who are you? Brighter and calmer.'],
      ['es-female', 'Hola, de verdad no esperaba esto. Jamón, llave, perro, niño, cerveza.'],
      ['fr-female', 'Bonjour, un bon vin blanc, huit, lui, oui, ma peau est plus douce.'],
      ['de-male', 'Pfeffer, Zahn, Bücher, schön, Bach, meine Haut ist weicher.'],
      ['pt-br-female', 'Pão, mãe, filho, coração, trabalho, minha pele está macia.'],
    ];
    const unknown = new Set<string>();
    for (const [voiceId, text] of samples) {
      const speech = await synthesizeSpeech({ text, voice: await findVoice(voiceId) });
      expect(speech.phonemes.length).toBeGreaterThan(20);
      for (const p of speech.phonemes) for (const s of unmappedSymbols(p.phoneme)) unknown.add(`${voiceId}:${s}`);
    }
    expect([...unknown]).toEqual([]);
  }, 60_000);
});

describe('the viseme track', () => {
  const p = (phoneme: string, start: number, end: number): PhonemeTiming => ({ phoneme, start, end });

  it('rests outside speech and in pauses, and follows the phonemes on the ad timeline', () => {
    // "ma … pa" with a half-second pause between, the voice starting 0.3 s into a 2 s ad.
    const phonemes = [p('m', 0, 0.1), p('ˈɑː', 0.1, 0.4), p('', 0.4, 0.9), p('p', 0.9, 1.0), p('ˈɑː', 1.0, 1.3)];
    const runs = visemeTrack({ phonemes, words: [], offsetSeconds: 0.3, durationSeconds: 2, fps: FPS });
    expectWellFormed(runs, 60);
    const shown = frames(runs);
    expect(shown.slice(0, 7).every((v) => v === 'rest')).toBe(true); // before the voice
    expect(shown.slice(9, 12)).toContain('closed'); // "m" at 0.3-0.4 s
    expect(shown.slice(12, 20).filter((v) => v === 'wide').length).toBeGreaterThanOrEqual(6);
    expect(shown.slice(23, 34).every((v) => v === 'rest')).toBe(true); // the pause, 0.7-1.2 s
    expect(shown.slice(34, 39)).toContain('closed'); // "p" at 1.2-1.3 s
    expect(shown.slice(50).every((v) => v === 'rest')).toBe(true); // after the voice
  });

  it('anticipates: a shape shows a little before its sound', () => {
    const runs = visemeTrack({ phonemes: [p('', 0, 1), p('ˈɑː', 1, 1.5)], words: [], offsetSeconds: 0, durationSeconds: 2, fps: FPS });
    const wide = runs.find((r) => r.viseme === 'wide');
    expect(wide?.start).toBe(29); // frame 29 is 0.967-1.0 s
  });

  it('holds every shape at least two frames: fast phonemes never flicker', () => {
    // 40 ms phonemes alternate shapes faster than 30 fps can show.
    const phonemes = Array.from({ length: 50 }, (_, i) => p(['m', 'ˈɑː', 's', 'uː', 'f'][i % 5] ?? 'm', i * 0.04, (i + 1) * 0.04));
    const runs = visemeTrack({ phonemes, words: [], offsetSeconds: 0.3, durationSeconds: 3, fps: FPS });
    expectWellFormed(runs, 90);
    expect(new Set(runs.map((r) => r.viseme)).size).toBeGreaterThanOrEqual(3);
  });

  it('keeps a short closure visible: M, B and P take frames from their neighbour', () => {
    const phonemes = [p('ˈɑː', 0, 0.3), p('b', 0.3, 0.33), p('ˈɑː', 0.33, 0.7)];
    const runs = visemeTrack({ phonemes, words: [], offsetSeconds: 0, durationSeconds: 1, fps: FPS });
    expectWellFormed(runs, 30);
    expect(runs.find((r) => r.viseme === 'closed')?.frames).toBe(2);
  });

  it('without phoneme timings, spreads each word\'s letters over the word and rests between words', () => {
    const words = [
      { text: 'Mama', start: 0, end: 0.5 },
      { text: 'loves', start: 1.5, end: 2 },
    ];
    const runs = visemeTrack({ phonemes: [], words, offsetSeconds: 0.3, durationSeconds: 3, fps: FPS });
    expectWellFormed(runs, 90);
    const shown = frames(runs);
    expect(shown.slice(9, 24)).toContain('closed');
    expect(shown.slice(9, 24)).toContain('wide');
    expect(shown.slice(26, 52).every((v) => v === 'rest')).toBe(true);
    expect(shown.slice(54, 69)).toContain('l');
    expect(shown.slice(54, 69)).toContain('fv');
  });

  it('follows real eSpeak speech: the mouth is open often while talking, and moves', async () => {
    const speech = await synthesizeSpeech({ text: 'Okay so I did not expect this. My skin feels amazing.', voice: await findVoice('en-us-female') });
    const duration = speech.durationSeconds + 1;
    const runs = visemeTrack({ phonemes: speech.phonemes, words: speech.words, offsetSeconds: 0.3, durationSeconds: duration, fps: FPS });
    expectWellFormed(runs, Math.round(duration * FPS));
    const spoken = runs.filter((r) => r.viseme !== 'rest');
    expect(spoken.length).toBeGreaterThan(20);
    expect(new Set(spoken.map((r) => r.viseme)).size).toBeGreaterThanOrEqual(6);
  }, 30_000);
});

describe('blinks', () => {
  it('come every 2-6 s, last about 150 ms, and never at a fixed beat', () => {
    const runs = blinkTrack({ seed: 'an ad', durationSeconds: 60, fps: FPS });
    let frame = 0;
    for (const run of runs) {
      expect(run.start).toBe(frame);
      frame += run.frames;
    }
    expect(frame).toBe(60 * FPS);
    const opens = runs.filter((r) => r.state === 'open');
    const gaps = opens.slice(1, -1).map((r) => r.frames / FPS);
    expect(gaps.length).toBeGreaterThan(8);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(2);
      expect(gap).toBeLessThanOrEqual(6);
    }
    expect(new Set(gaps.map((g) => g.toFixed(1))).size).toBeGreaterThan(gaps.length / 2);
    const blinkFrames = runs.filter((r) => r.state !== 'open').reduce((sum, r) => sum + r.frames, 0) / (opens.length - 1);
    expect(blinkFrames / FPS).toBeGreaterThan(0.12);
    expect(blinkFrames / FPS).toBeLessThan(0.2);
    expect(runs.some((r) => r.state === 'closed')).toBe(true);
  });

  it('are the same for the same render and differ between renders', () => {
    const a = blinkTrack({ seed: 'one script', durationSeconds: 30, fps: FPS });
    expect(blinkTrack({ seed: 'one script', durationSeconds: 30, fps: FPS })).toEqual(a);
    expect(blinkTrack({ seed: 'another script', durationSeconds: 30, fps: FPS })).not.toEqual(a);
  });
});
