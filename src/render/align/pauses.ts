import type { PhonemeTiming, WordTiming } from '../types.js';

/** A silence at least this long is a pause (the mouth rests); shorter ones are stop closures and the like. */
export const MIN_PAUSE_SECONDS = 0.15;

/** A run of frames [first, last], inclusive. */
export interface FrameRun {
  first: number;
  last: number;
}

/**
 * Runs of quiet frames at least `minFrames` long. Quiet is judged against the recording itself: between its
 * noise floor (a low percentile of frame energies) and its speech level (a high one), so a noisy or quiet
 * recording is read as well as a clean one. When the two levels are close (constant noise or a tone, no
 * pauses to find) there are none.
 */
export function findQuietRuns(energyDb: Float32Array, minFrames: number): FrameRun[] {
  if (energyDb.length === 0) return [];
  const sorted = Float32Array.from(energyDb).sort();
  const floor = Math.max(-100, sorted[Math.floor(sorted.length * 0.05)] ?? -100);
  const speech = sorted[Math.floor(sorted.length * 0.98)] ?? 0;
  if (speech - floor < 12) return [];
  const threshold = Math.max(floor + 0.3 * (speech - floor), speech - 50);
  const runs: FrameRun[] = [];
  let start = -1;
  for (let f = 0; f <= energyDb.length; f++) {
    const quiet = f < energyDb.length && (energyDb[f] ?? 0) < threshold;
    if (quiet && start < 0) start = f;
    if (!quiet && start >= 0) {
      if (f - start >= minFrames) runs.push({ first: start, last: f - 1 });
      start = -1;
    }
  }
  return runs;
}

interface Interval {
  start: number;
  end: number;
}

/**
 * Makes timings respect the recording's pauses: a phoneme's part inside a pause becomes a pause (phoneme
 * ""), so the mouth rests; a word never straddles a pause (it keeps the side where most of it lies) and
 * never starts or ends inside one. Phonemes then cover [0, duration] without gaps.
 */
export function restInPauses(words: WordTiming[], phonemes: PhonemeTiming[], pauses: Interval[], duration: number): { words: WordTiming[]; phonemes: PhonemeTiming[] } {
  const pauseAt = (t: number) => pauses.find((p) => t > p.start && t < p.end);
  const outWords = words.map((word) => {
    let { start, end } = word;
    const across = pauses.find((p) => start < p.start && end > p.end);
    if (across) {
      if (across.start - start >= end - across.end) end = across.start;
      else start = across.end;
    }
    start = pauseAt(start)?.end ?? start;
    end = pauseAt(end)?.start ?? end;
    return { text: word.text, start, end: Math.max(start, end) };
  });

  const pieces: PhonemeTiming[] = [];
  for (const phoneme of phonemes) {
    let from = phoneme.start;
    for (const pause of pauses) {
      if (pause.end <= from || pause.start >= phoneme.end) continue;
      if (pause.start > from) pieces.push({ phoneme: phoneme.phoneme, start: from, end: pause.start });
      pieces.push({ phoneme: '', start: Math.max(from, pause.start), end: Math.min(phoneme.end, pause.end) });
      from = Math.min(phoneme.end, pause.end);
    }
    if (phoneme.end > from) pieces.push({ phoneme: phoneme.phoneme, start: from, end: phoneme.end });
  }
  return { words: outWords, phonemes: covering(pieces, duration) };
}

/** Sorted, gap-free phonemes from 0 to `duration`: gaps become pauses, adjacent pauses merge, empty ones go. */
function covering(pieces: PhonemeTiming[], duration: number): PhonemeTiming[] {
  const out: PhonemeTiming[] = [];
  let time = 0;
  const push = (phoneme: string, start: number, end: number) => {
    if (end - start <= 1e-6) return;
    const previous = out.at(-1);
    if (previous && previous.phoneme === '' && phoneme === '') previous.end = end;
    else out.push({ phoneme, start, end });
  };
  for (const piece of pieces) {
    const start = Math.max(piece.start, time);
    const end = Math.min(piece.end, duration);
    if (start > time) {
      push('', time, start);
      time = start;
    }
    if (end > time) {
      push(piece.phoneme, time, end);
      time = end;
    }
  }
  if (duration > time) push('', time, duration);
  return out;
}
