import { assFilter } from './captions.js';
import { cutInFilter, cutInInputArgs, type CutIn } from './cutins.js';
import type { Rect } from './layout.js';
import type { CreatorClip } from './runners/types.js';
import type { FrameSize } from './types.js';

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

export interface CompositionPlan {
  clip: CreatorClip;
  frame: FrameSize;
  /** Where the creator's clip sits: the whole frame, or one side of a split layout over `background`. */
  creator: Rect;
  /** `#RRGGBB` of the split layout's other side. */
  background: string;
  cutIns: CutIn[];
  /** The end card's full-frame picture (product shot or dimmed creator), shown from `start` to the end. */
  endCard: { path: string; start: number } | null;
  logo: { path: string; x: number; y: number } | null;
  assPath: string | null;
  fontsDir: string;
  durationSeconds: number;
  outputPath: string;
  /** The filter graph is written here and passed with `-filter_complex_script` (it can be long). */
  filterScriptPath: string;
}

/**
 * The video encode: the creator clip (its inputs first), laid on the frame (split layouts), then the
 * cut-ins, the end card's picture, the logo and the burnt text (captions, hook, end card). The audio track
 * is made beside it in another process and joined by `muxArgs`.
 */
export function compositionArgs(plan: CompositionPlan): { args: string[]; filterGraph: string } {
  const inputs = plan.clip.inputs.flat();
  let next = plan.clip.inputs.length;
  const steps = [`${plan.clip.filter}[creator]`];
  let last = 'creator';
  const { frame, creator } = plan;
  if (creator.width !== frame.width || creator.height !== frame.height) {
    steps.push(`[creator]pad=${frame.width}:${frame.height}:${creator.x}:${creator.y}:color=${plan.background.replace('#', '0x')}[laid]`);
    last = 'laid';
  }
  plan.cutIns.forEach((cut, i) => {
    inputs.push(...cutInInputArgs(cut, FPS));
    steps.push(cutInFilter(cut, next++, frame, FPS, `cut${i}`));
    steps.push(`[${last}][cut${i}]overlay=eof_action=pass:enable='between(t,${cut.start.toFixed(3)},${cut.end.toFixed(3)})'[after${i}]`);
    last = `after${i}`;
  });
  if (plan.endCard) {
    inputs.push('-i', plan.endCard.path);
    steps.push(`[${last}][${next++}:v]overlay=eof_action=repeat:enable='gte(t,${plan.endCard.start.toFixed(3)})'[ended]`);
    last = 'ended';
  }
  if (plan.logo) {
    inputs.push('-i', plan.logo.path);
    steps.push(`[${last}][${next++}:v]overlay=x=${plan.logo.x}:y=${plan.logo.y}:eof_action=repeat[logoed]`);
    last = 'logoed';
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
