/**
 * Voiceovers with known word times, made by Festival and ffmpeg, in the conditions a user's recording comes
 * in: clean, over background noise, in a room with echo, a slower male voice, with a long pause, and with a
 * word the speaker added or skipped against the script.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { speakWithFestival, type FestivalVoice, type TimedWord } from './festival.js';

export const CONDITIONS = ['clean', 'noise', 'echo', 'slower male', 'pause', 'added word', 'skipped word'] as const;
export type Condition = (typeof CONDITIONS)[number];

/** A UGC-style script Festival reads without surprises (no digits or abbreviations to expand). */
export const TEST_SCRIPT =
  'Okay, so I did not expect this serum to work. I was breaking out every single week, and nothing I tried was helping. ' +
  'A friend told me about it, and within ten days my skin was calmer and brighter. ' +
  'It absorbs fast, it is not sticky, and one bottle lasts me two months. Honestly, just try it for a week and see for yourself.';

export interface Voiceover {
  path: string;
  script: string;
  durationSeconds: number;
  /** One per script word: when the speaker says it, or null for a word the speaker skipped. */
  truth: (TimedWord | null)[];
  /** A silence the speaker left inside the recording, if any. */
  pause?: { start: number; end: number };
}

/** The HTS voice's sample rate. */
const SLT_RATE = 32000;

const scriptWords = (text: string) => text.split(/\s+/).filter(Boolean);
const bare = (word: string) => word.toLowerCase().replace(/[^a-z']/g, '');

/**
 * Pairs the script's words with the spoken ones in order, where `spokenIndexOf[i]` is the spoken word for
 * script word i (or null); checks the pairing by spelling so a tokenisation surprise fails loudly.
 */
function truthFor(script: string, spoken: TimedWord[], spokenIndexOf: (number | null)[]): (TimedWord | null)[] {
  const words = scriptWords(script);
  if (spokenIndexOf.length !== words.length) throw new Error(`pairing covers ${spokenIndexOf.length} of ${words.length} script words`);
  return words.map((word, i) => {
    const k = spokenIndexOf[i];
    if (k === null || k === undefined) return null;
    const said = spoken[k];
    if (!said || bare(said.text) !== bare(word)) throw new Error(`script word ${i} "${word}" paired with festival word ${k} "${said?.text}"`);
    return said;
  });
}

async function ffmpeg(ffmpegPath: string, args: string[]): Promise<void> {
  await execa(ffmpegPath, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
}

/** Makes `condition`'s voiceover of `script` (default TEST_SCRIPT) in `dir`. */
export async function makeVoiceover(condition: Condition, dir: string, ffmpegPath: string, script: string = TEST_SCRIPT): Promise<Voiceover> {
  const words = scriptWords(script);
  const identity = words.map((_, i) => i);
  const file = (name: string) => join(dir, `${condition.replace(/\s+/g, '-')}-${name}.wav`);
  const plain = async (voice: FestivalVoice = 'slt', stretch = 1, text = script) => speakWithFestival(text, file('voice'), { voice, stretch });

  switch (condition) {
    case 'clean': {
      const speech = await plain();
      return { path: speech.path, script, durationSeconds: speech.durationSeconds, truth: truthFor(script, speech.words, identity) };
    }
    case 'noise': {
      // Pink noise about 17 dB under the speech (mean levels): a fan or a street in the background.
      const speech = await plain();
      const path = file('noisy');
      await ffmpeg(ffmpegPath, ['-i', speech.path, '-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.04:seed=7', '-filter_complex', '[0:a][1:a]amix=inputs=2:duration=first,volume=2', path]);
      return { path, script, durationSeconds: speech.durationSeconds, truth: truthFor(script, speech.words, identity) };
    }
    case 'echo': {
      // A small hard room: three reflections 40-120 ms late.
      const speech = await plain();
      const path = file('echo');
      await ffmpeg(ffmpegPath, ['-i', speech.path, '-af', 'aecho=0.8:0.9:40|75|120:0.45|0.3|0.2', path]);
      return { path, script, durationSeconds: speech.durationSeconds, truth: truthFor(script, speech.words, identity) };
    }
    case 'slower male': {
      const speech = await plain('kal', 1.3);
      return { path: speech.path, script, durationSeconds: speech.durationSeconds, truth: truthFor(script, speech.words, identity) };
    }
    case 'pause': {
      // The speaker stops for 2.5 s between two sentences in the middle.
      const sentences = script.match(/[^.!?]+[.!?]+/g) ?? [script];
      const cut = Math.ceil(sentences.length / 2);
      const first = await speakWithFestival(sentences.slice(0, cut).join(' ').trim(), file('a'), { voice: 'slt' });
      const second = await speakWithFestival(sentences.slice(cut).join(' ').trim(), file('b'), { voice: 'slt' });
      const path = file('paused');
      await ffmpeg(ffmpegPath, ['-i', first.path, '-f', 'lavfi', '-t', '2.5', '-i', `anullsrc=r=${SLT_RATE}:cl=mono`, '-i', second.path, '-filter_complex', '[0:a][1:a][2:a]concat=n=3:v=0:a=1', path]);
      const shift = first.durationSeconds + 2.5;
      const spoken = [...first.words, ...second.words.map((w) => ({ ...w, start: w.start + shift, end: w.end + shift }))];
      return {
        path,
        script,
        durationSeconds: shift + second.durationSeconds,
        truth: truthFor(script, spoken, identity),
        pause: { start: first.durationSeconds, end: shift },
      };
    }
    case 'added word': {
      // The speaker says "actually" where the script has nothing.
      const at = words.length >> 1;
      const said = [...words.slice(0, at), 'actually', ...words.slice(at)].join(' ');
      const speech = await plain('slt', 1, said);
      return { path: speech.path, script, durationSeconds: speech.durationSeconds, truth: truthFor(script, speech.words, identity.map((i) => (i < at ? i : i + 1))) };
    }
    case 'skipped word': {
      // The speaker leaves out one word of the script.
      const at = words.length >> 1;
      const said = [...words.slice(0, at), ...words.slice(at + 1)].join(' ');
      const speech = await plain('slt', 1, said);
      return { path: speech.path, script, durationSeconds: speech.durationSeconds, truth: truthFor(script, speech.words, identity.map((i) => (i < at ? i : i === at ? null : i - 1))) };
    }
  }
}

/** Share of the spoken script words whose start is within `tolerance` seconds of the truth. */
export function shareWithin(starts: number[], truth: (TimedWord | null)[], tolerance = 0.1): number {
  let spoken = 0;
  let close = 0;
  truth.forEach((word, i) => {
    if (!word) return;
    spoken++;
    if (Math.abs((starts[i] ?? Infinity) - word.start) <= tolerance) close++;
  });
  return close / spoken;
}
