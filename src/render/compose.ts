import { assFilter } from './captions.js';
import type { CreatorClip } from './runners/types.js';
import type { Aspect, FrameSize } from './types.js';

export const FPS = 30;
/** Two-second closed GOPs: players and platforms can seek and cut at every keyframe. */
const GOP = FPS * 2;

/** The encode settings the benchmark's floor shares with the pipeline. */
export const VIDEO_CODEC_ARGS = [
  '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'stillimage', '-crf', '20',
  '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-r', String(FPS),
  '-g', String(GOP), '-keyint_min', String(GOP), '-sc_threshold', '0', '-flags', '+cgop',
];
export const CONTAINER_ARGS = ['-movflags', '+faststart', '-f', 'mp4'];

export interface CardPlacement {
  /** Longest side of the product image inside the card, in pixels. */
  box: number;
  x: number;
  y: number;
}

/** Where the product card goes: clear of the captions and of the platforms' side rail. */
export function cardPlacement(aspect: Aspect, size: FrameSize): CardPlacement {
  const { width: w, height: h } = size;
  if (aspect === '9:16') return { box: Math.round(w * 0.4), x: Math.round(w * 0.08), y: Math.round(h * 0.1) };
  if (aspect === '16:9') return { box: Math.round(h * 0.4), x: Math.round(w * 0.66), y: Math.round(h * 0.1) };
  return { box: Math.round(w * 0.34), x: Math.round(w * 0.06), y: Math.round(h * 0.06) };
}

/**
 * Single-frame filter turning a product photo into a white-bordered card. Transparent photos are flattened
 * onto white: an opaque card is copied onto each frame, where an alpha one would be blended pixel by pixel.
 */
export function productCardFilter(box: number): string {
  const border = Math.max(6, Math.round(box * 0.04));
  return [
    `[0:v]scale=${box}:${box}:force_original_aspect_ratio=decrease:flags=lanczos,format=rgba,split=2[photo][shape]`,
    `[shape]drawbox=c=white:t=fill,format=rgba[white]`,
    `[white][photo]overlay=format=auto,pad=iw+${2 * border}:ih+${2 * border}:${border}:${border}:color=white,format=rgb24[card]`,
  ].join(';');
}

export interface CompositionPlan {
  clip: CreatorClip;
  assPath: string | null;
  fontsDir: string;
  card: { path: string; x: number; y: number; start: number; end: number } | null;
  durationSeconds: number;
  outputPath: string;
  /** The filter graph is written here and passed with `-filter_complex_script` (it can be long). */
  filterScriptPath: string;
}

/**
 * The video encode: creator clip (input 0), product card, burnt captions. The audio track is made beside
 * it in another process and joined by `muxArgs`.
 */
export function compositionArgs(plan: CompositionPlan): { args: string[]; filterGraph: string } {
  const inputs = plan.clip.inputs.flat();
  const steps = [`${plan.clip.filter}[creator]`];
  let last = 'creator';
  if (plan.card) {
    inputs.push('-i', plan.card.path);
    const { x, y, start, end } = plan.card;
    steps.push(`[${last}][${plan.clip.inputs.length}:v]overlay=x=${x}:y=${y}:eof_action=repeat:enable='between(t,${start.toFixed(3)},${end.toFixed(3)})'[carded]`);
    last = 'carded';
  }
  if (plan.assPath) {
    steps.push(`[${last}]${assFilter(plan.assPath, plan.fontsDir)}[captioned]`);
    last = 'captioned';
  }
  steps.push(`[${last}]format=yuv420p[video]`);
  const filterGraph = steps.join(';\n');
  const source = [...inputs, '-filter_complex_script', plan.filterScriptPath, '-map', '[video]'];
  return {
    filterGraph,
    args: [...source, ...VIDEO_CODEC_ARGS, '-t', plan.durationSeconds.toFixed(3), '-f', 'mp4', plan.outputPath],
  };
}

/** One frame of the encoded video as a JPEG (decoding from the preceding keyframe is cheaper than re-filtering). */
export function thumbnailArgs(videoPath: string, atSeconds: number, outputPath: string): string[] {
  return ['-ss', atSeconds.toFixed(3), '-i', videoPath, '-frames:v', '1', '-q:v', '3', '-f', 'mjpeg', outputPath];
}

/** Joins the video and audio tracks without re-encoding, trimmed to the same length, index up front. */
export function muxArgs(videoPath: string, audioPath: string, durationSeconds: number, outputPath: string): string[] {
  return ['-i', videoPath, '-i', audioPath, '-map', '0:v', '-map', '1:a', '-c', 'copy', '-t', durationSeconds.toFixed(3), ...CONTAINER_ARGS, outputPath];
}
