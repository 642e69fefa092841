import { createHash } from 'node:crypto';

/** What the eyes show on a frame: open (the picture itself), half closed, closed. */
export type EyeState = 'open' | 'half' | 'closed';

export interface EyeRun {
  state: EyeState;
  start: number;
  frames: number;
}

/** People blink every 2–6 s; one blink lasts about 150 ms (five frames at 30 fps: lids fall fast, rise slower). */
const MIN_GAP_SECONDS = 2;
const MAX_GAP_SECONDS = 6;
const BLINK_SECONDS: { state: EyeState; seconds: number }[] = [
  { state: 'half', seconds: 1 / 30 },
  { state: 'closed', seconds: 2 / 30 },
  { state: 'half', seconds: 2 / 30 },
];

/** A small seeded generator (mulberry32): the same seed gives the same blinks, so a render is repeatable. */
function random(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * When the eyes blink over `durationSeconds`, as runs of whole frames. The gaps are drawn at random from
 * 2–6 s (seeded by `seed`, so the same render blinks the same way), so blinks follow no beat and line up
 * with nothing: not with words, not with each other.
 */
export function blinkTrack(options: { seed: string; durationSeconds: number; fps: number }): EyeRun[] {
  const { fps } = options;
  const next = random(options.seed);
  const frameCount = Math.max(1, Math.round(options.durationSeconds * fps));
  const runs: EyeRun[] = [];
  let frame = 0;
  // The first blink comes sooner: a face that stares for six seconds from the start looks frozen.
  let gap = Math.round((0.6 + next() * 2) * fps);
  while (frame + gap < frameCount) {
    runs.push({ state: 'open', start: frame, frames: gap });
    frame += gap;
    for (const step of BLINK_SECONDS) {
      const frames = Math.max(1, Math.round(step.seconds * fps));
      if (frame + frames > frameCount) break;
      runs.push({ state: step.state, start: frame, frames });
      frame += frames;
    }
    gap = Math.round((MIN_GAP_SECONDS + next() * (MAX_GAP_SECONDS - MIN_GAP_SECONDS)) * fps);
  }
  if (frame < frameCount) runs.push({ state: 'open', start: frame, frames: frameCount - frame });
  return runs;
}
