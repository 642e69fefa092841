import type { PhonemeTiming, WordTiming } from './types.js';

/**
 * The mouth shapes of 2D animation (Preston Blair's set, as Rhubarb Lip Sync names them A–H and X):
 * `closed` M B P (A), `slight` clenched teeth for most consonants and "ee" (B), `open` "eh", "ae" (C),
 * `wide` "aa" (D), `round` "o", "er" (E), `pucker` "oo", "w" (F), `fv` upper teeth on the lower lip (G),
 * `l` the tongue raised behind the teeth (H) and `rest`, the relaxed mouth of a pause (X).
 */
export const VISEMES = ['rest', 'closed', 'slight', 'open', 'wide', 'round', 'pucker', 'fv', 'l'] as const;
export type Viseme = (typeof VISEMES)[number];
/** The shapes drawn as patches: `rest` is the creator's own picture. */
export const SPOKEN_VISEMES = VISEMES.filter((v): v is Exclude<Viseme, 'rest'> => v !== 'rest');

/** One shape held over whole frames: `frames` consecutive frames starting at frame `start`. */
export interface VisemeRun {
  viseme: Viseme;
  start: number;
  frames: number;
}

/** Every shape is held at least this many frames: a one-frame shape reads as flicker, not speech. */
export const MIN_HOLD_FRAMES = 2;
/** The mouth moves towards a sound slightly before it is heard, as lips do. */
const ANTICIPATION_SECONDS = 0.04;
/** In a two-symbol phoneme (a diphthong, an affricate) the first symbol takes this share of its time. */
const FIRST_SYMBOL_SHARE = 0.6;

// eSpeak names phonemes in IPA across its languages; each symbol maps to the shape that shows it.
const SYMBOL_SHAPES: Record<Exclude<Viseme, 'rest'>, string> = {
  closed: 'mpbʙ',
  fv: 'fvβɸʋⱱ',
  l: 'lɫʎɭɬɮ',
  pucker: 'uʊwyʏʉɥɯ',
  round: 'oɔɒøœɵɚɝɞ',
  wide: 'aɑɶ',
  open: 'eɛæəɜʌɐɤɘ',
  slight: 'iɪɨjʝkgɡŋxɣχçhɦszʃʒɕʑʂʐtdnɲɳɾrʁɹʀθðcɟqʔɰ',
};
const SHAPE_OF = new Map<string, Viseme>();
for (const [viseme, symbols] of Object.entries(SYMBOL_SHAPES)) for (const symbol of symbols) SHAPE_OF.set(symbol, viseme as Viseme);

// Stress and length marks, diacritics (nasalisation, syllabic marks; NFD splits "ç" into "c" and one) and
// eSpeak's "-" suffix change no mouth shape.
const MARKS = /\p{M}|[ˈˌːˑʰʲʷ'-]/gu;

const symbolsOf = (phoneme: string) => [...phoneme.normalize('NFD').replace(MARKS, '')];

/** The shapes a phoneme shows in order: one per IPA symbol ("aɪ" is wide then slight); none for a pause. */
export function phonemeVisemes(phoneme: string): Viseme[] {
  return symbolsOf(phoneme).map((s) => SHAPE_OF.get(s) ?? 'slight');
}

/** The symbols of a phoneme that have no shape of their own (they are shown slightly open). */
export function unmappedSymbols(phoneme: string): string[] {
  return symbolsOf(phoneme).filter((s) => !SHAPE_OF.has(s));
}

interface TimedShape {
  viseme: Viseme;
  start: number;
  end: number;
}

/** Phoneme intervals as shape intervals; a phoneme of two symbols is split 60/40 between them. */
function phonemeShapes(phonemes: PhonemeTiming[], offset: number): TimedShape[] {
  const shapes: TimedShape[] = [];
  for (const p of phonemes) {
    const visemes = phonemeVisemes(p.phoneme);
    const start = p.start + offset;
    const end = p.end + offset;
    if (visemes.length === 0 || end <= start) continue;
    const split = visemes.length === 1 ? [] : visemes.slice(1).map((_, i) => start + (end - start) * (FIRST_SYMBOL_SHARE + ((1 - FIRST_SYMBOL_SHARE) * i) / (visemes.length - 1)));
    const bounds = [start, ...split, end];
    visemes.forEach((viseme, i) => shapes.push({ viseme, start: bounds[i] ?? start, end: bounds[i + 1] ?? end }));
  }
  return shapes;
}

// Spelling stands in for sound when no phoneme timings are known: each letter's usual shape.
const LETTER_SHAPES: Record<string, Viseme> = { m: 'closed', b: 'closed', p: 'closed', f: 'fv', v: 'fv', l: 'l', o: 'round', u: 'pucker', w: 'pucker', q: 'pucker', a: 'wide', e: 'open', i: 'slight', y: 'slight' };

/** Shapes spread evenly over each word from its letters: the fallback when only word timings are known. */
function wordShapes(words: WordTiming[], offset: number): TimedShape[] {
  const shapes: TimedShape[] = [];
  for (const word of words) {
    const letters = [...word.text.normalize('NFD').toLowerCase().replace(/[^a-z]/g, '')];
    // Neighbouring letters of one shape ("ll", "ea") are one movement of the mouth.
    const visemes = letters.map((l) => LETTER_SHAPES[l] ?? 'slight').filter((v, i, all) => v !== all[i - 1]);
    if (visemes.length === 0 || word.end <= word.start) continue;
    const step = (word.end - word.start) / visemes.length;
    visemes.forEach((viseme, i) => shapes.push({ viseme, start: word.start + offset + i * step, end: word.start + offset + (i + 1) * step }));
  }
  return shapes;
}

/**
 * The mouth's shape on every frame of the ad, as runs of whole frames. `offsetSeconds` is where the voice
 * starts on the ad's timeline (timings are on the voice's own clock). Phoneme timings are used when known;
 * otherwise each word's letters are spread over the word. Frames outside speech and in pauses rest. Each
 * frame shows the shape sounding slightly after it (anticipation), and no shape lasts fewer than
 * `MIN_HOLD_FRAMES` frames except where the ad itself is shorter.
 */
export function visemeTrack(options: { phonemes: PhonemeTiming[]; words: WordTiming[]; offsetSeconds: number; durationSeconds: number; fps: number }): VisemeRun[] {
  const { fps } = options;
  const shapes = options.phonemes.length > 0 ? phonemeShapes(options.phonemes, options.offsetSeconds) : wordShapes(options.words, options.offsetSeconds);
  const frameCount = Math.max(1, Math.round(options.durationSeconds * fps));
  const perFrame: Viseme[] = [];
  let cursor = 0;
  for (let frame = 0; frame < frameCount; frame++) {
    const t = (frame + 0.5) / fps + ANTICIPATION_SECONDS;
    while (cursor < shapes.length && (shapes[cursor]?.end ?? 0) <= t) cursor++;
    const current = shapes[cursor];
    perFrame.push(current && current.start <= t ? current.viseme : 'rest');
  }
  return holdAtLeast(toRuns(perFrame), MIN_HOLD_FRAMES);
}

function toRuns(frames: Viseme[]): VisemeRun[] {
  const runs: VisemeRun[] = [];
  frames.forEach((viseme, frame) => {
    const last = runs[runs.length - 1];
    if (last && last.viseme === viseme) last.frames++;
    else runs.push({ viseme, start: frame, frames: 1 });
  });
  return runs;
}

/**
 * Removes runs shorter than `min` frames: a short run gives its frames to the longer neighbour, except a
 * closed mouth (M, B, P), which takes frames from its longer neighbour instead: a plosive without a visible
 * closure looks wrong.
 */
function holdAtLeast(input: VisemeRun[], min: number): VisemeRun[] {
  const runs = input.map((r) => ({ ...r }));
  for (let i = 0; i < runs.length; ) {
    const run = runs[i];
    if (!run || run.frames >= min || runs.length === 1) {
      i++;
      continue;
    }
    const before = runs[i - 1];
    const after = runs[i + 1];
    const donorIsBefore = !after || (before !== undefined && before.frames >= after.frames);
    const neighbour = donorIsBefore ? before : after;
    if (!neighbour) {
      i++;
      continue;
    }
    if (run.viseme === 'closed' && neighbour.frames - (min - run.frames) >= min) {
      const need = min - run.frames;
      neighbour.frames -= need;
      run.frames += need;
      if (donorIsBefore) run.start -= need;
      else neighbour.start += need;
      i++;
      continue;
    }
    neighbour.frames += run.frames;
    if (!donorIsBefore) neighbour.start = run.start;
    runs.splice(i, 1);
    // Merging may join two runs of one shape, or leave the neighbour to be checked again.
    i = Math.max(0, i - 1);
    mergeEqualNeighbours(runs);
  }
  return runs;
}

function mergeEqualNeighbours(runs: VisemeRun[]): void {
  for (let i = runs.length - 1; i > 0; i--) {
    const run = runs[i];
    const before = runs[i - 1];
    if (run && before && run.viseme === before.viseme) {
      before.frames += run.frames;
      runs.splice(i, 1);
    }
  }
}
