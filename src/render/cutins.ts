/**
 * Full-frame shots cut into the talking creator while the voice goes on: the product (when the script first
 * names it) and the user's own b-roll (at sentence boundaries). Timing is pure; the filters are ffmpeg's.
 */
import type { Rect } from './layout.js';
import type { FrameSize, WordTiming } from './types.js';

export interface Window {
  start: number;
  end: number;
}

export interface CutIn extends Window {
  kind: 'product' | 'broll';
  path: string;
  /** A video plays (trimmed, muted); a picture gets a slow push-in. */
  video: boolean;
}

/** A product shot lasts this long, less when the end card comes sooner; under the minimum it is left out. */
export const PRODUCT_SHOT = { preferred: 2.5, min: 1.5, max: 3 } as const;
export const BROLL_SHOT = { preferred: 2, min: 1.2 } as const;

const fold = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/** Where the words first say `name` (every word of it, in order), or null. */
export function findMention(words: WordTiming[], name: string): Window | null {
  const wanted = name.split(/\s+/).map(fold).filter(Boolean);
  if (wanted.length === 0) return null;
  for (let i = 0; i + wanted.length <= words.length; i++) {
    // "serum's" and "serums" name the serum too.
    const matches = wanted.every((w, k) => {
      const said = fold(words[i + k]?.text ?? '');
      return said === w || (said.startsWith(w) && said.length - w.length <= 2);
    });
    if (matches) return { start: (words[i] as WordTiming).start, end: (words[i + wanted.length - 1] as WordTiming).end };
  }
  return null;
}

/** Times where a sentence ends and the next one starts (the next word's start). */
export function sentenceStarts(words: WordTiming[]): number[] {
  const starts: number[] = [];
  words.forEach((w, i) => {
    const next = words[i + 1];
    if (next && /[.!?…]["')\]»”’]*$/u.test(w.text)) starts.push(next.start);
  });
  return starts;
}

const overlaps = (a: Window, b: Window) => a.start < b.end && b.start < a.end;

/**
 * The product shot: from where the script first names the product (else the first sentence start past a
 * third of the speech), kept within `bounds` (after the hook, before the end card); null if too short there.
 */
export function productWindow(words: WordTiming[], productName: string | null, bounds: Window): Window | null {
  const said = productName ? findMention(words, productName) : null;
  const speechEnd = words.at(-1)?.end ?? bounds.end;
  const fallback = sentenceStarts(words).find((t) => t >= speechEnd / 3) ?? speechEnd / 3;
  const start = Math.max(bounds.start, said ? said.start : fallback);
  const end = Math.min(start + PRODUCT_SHOT.preferred, bounds.end);
  return end - start >= PRODUCT_SHOT.min ? { start, end } : null;
}

/** One window per b-roll shot, at sentence starts inside `bounds` that no `taken` window overlaps; shots that find none are left out. */
export function brollWindows(words: WordTiming[], count: number, taken: Window[], bounds: Window): Window[] {
  const windows: Window[] = [];
  const starts = sentenceStarts(words).filter((t) => t >= bounds.start);
  for (const start of starts) {
    if (windows.length === count) break;
    const end = Math.min(start + BROLL_SHOT.preferred, bounds.end);
    const window = { start, end };
    if (end - start >= BROLL_SHOT.min && ![...taken, ...windows].some((w) => overlaps(w, window))) windows.push(window);
  }
  return windows;
}

const even = (n: number) => 2 * Math.round(n / 2);

/**
 * Single-frame filter: the product photo contained in `box` over a blurred, darkened fill of itself
 * covering the frame. Transparent photos are flattened onto the fill.
 */
export function productShotFilter(frame: FrameSize, box: Rect): string {
  const { width: w, height: h } = frame;
  return [
    `[0:v]format=rgba,split=2[bgsrc][fgsrc]`,
    `[bgsrc]scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},boxblur=luma_radius=30:luma_power=2,eq=brightness=-0.1:saturation=0.9,format=rgba[bg]`,
    `[fgsrc]scale=${even(box.width)}:${even(box.height)}:force_original_aspect_ratio=decrease:flags=lanczos[fg]`,
    `[bg][fg]overlay=x=${box.x}+(${even(box.width)}-overlay_w)/2:y=${box.y}+(${even(box.height)}-overlay_h)/2:format=rgb,format=rgb24[shot]`,
  ].join(';');
}

/** Single-frame filter: the creator's plate blurred and dimmed to fill the frame, behind the end card's text. */
export function dimmedFillFilter(frame: FrameSize): string {
  const { width: w, height: h } = frame;
  return `[0:v]scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},boxblur=luma_radius=40:luma_power=2,eq=brightness=-0.28:saturation=0.7,format=rgb24[shot]`;
}

/** The ffmpeg input of a cut-in: a picture looped for its length, or the first seconds of a video. */
export function cutInInputArgs(cut: CutIn, fps: number): string[] {
  const seconds = (cut.end - cut.start).toFixed(3);
  return cut.video ? ['-t', seconds, '-i', cut.path] : ['-loop', '1', '-framerate', String(fps), '-t', seconds, '-i', cut.path];
}

/** The cut-in's stream from input `index`, full frame, shifted to its start on the ad's clock, as `[label]`. */
export function cutInFilter(cut: CutIn, index: number, frame: FrameSize, fps: number, label: string): string {
  const { width: w, height: h } = frame;
  const shift = `setpts=PTS-STARTPTS+${cut.start.toFixed(3)}/TB`;
  if (cut.video) return `[${index}:v]scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1,fps=${fps},format=yuv420p,${shift}[${label}]`;
  // A slow push-in: 6% over the shot. Pictures are cover-scaled once (b-roll; the product shot already is).
  const frames = Math.max(1, Math.round((cut.end - cut.start) * fps));
  const cover = cut.kind === 'broll' ? `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},` : '';
  return `[${index}:v]${cover}zoompan=z='1+0.06*on/${frames}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1:s=${w}x${h}:fps=${fps},setsar=1,format=yuv420p,${shift}[${label}]`;
}
