import { join } from 'node:path';
import type { FfmpegTools } from './ffmpeg/locate.js';
import { firstStream, probe } from './ffmpeg/probe.js';
import { runFfmpeg } from './ffmpeg/run.js';
import type { FrameSize } from './types.js';

/**
 * Filter chain that frames a creator photo of any shape for the ad's frame, producing `plate` (larger than
 * the frame by `overscan`, for motion). A photo close to the frame's shape is scaled to cover it; one of a
 * very different shape (a portrait in 16:9) is fitted over a blurred, darkened copy of itself, the way
 * phone footage is shown in landscape. Runs once per render on a single frame, so its cost is negligible.
 */
export function framePlateFilter(source: FrameSize, plate: FrameSize): string {
  const sourceRatio = source.width / source.height;
  const plateRatio = plate.width / plate.height;
  const cover = `scale=${plate.width}:${plate.height}:force_original_aspect_ratio=increase:flags=lanczos,crop=${plate.width}:${plate.height}`;
  if (Math.abs(Math.log(sourceRatio / plateRatio)) < Math.log(1.35)) return `[0:v]${cover},setsar=1,format=rgb24[plate]`;
  const fit = `scale=${plate.width}:${plate.height}:force_original_aspect_ratio=decrease:flags=lanczos`;
  return [
    `[0:v]split=2[bgsrc][fgsrc]`,
    `[bgsrc]${cover},boxblur=luma_radius=40:luma_power=2,eq=brightness=-0.12:saturation=0.8[bg]`,
    `[fgsrc]${fit}[fg]`,
    `[bg][fg]overlay=x=(W-w)/2:y=(H-h)/2,setsar=1,format=rgb24[plate]`,
  ].join(';');
}

/** The plate is this much larger than the frame on each axis, so the camera can drift without showing an edge. */
export const OVERSCAN = 0.04;

export function plateSize(frame: FrameSize): FrameSize {
  const even = (n: number) => Math.ceil(n / 2) * 2;
  return { width: even(frame.width * (1 + OVERSCAN)), height: even(frame.height * (1 + OVERSCAN)) };
}

/** The camera moves once a second, by at most this share of the frame's width. */
const DRIFT_MAX_STEP = 0.006;
const PERIOD_X = 17;
const PERIOD_Y = 23;

/**
 * A slow handheld-style drift: the crop window wanders over the plate along two sines of unrelated periods.
 * The position moves a few pixels once a second rather than every frame: a frame identical to the last
 * costs the encoder almost nothing, so this stays within a few percent of a still image's encode time,
 * where moving on every frame measured 45% slower and twice a second 16% (see bench/README.md).
 */
export function driftCropFilter(frame: FrameSize, plate: FrameSize): string {
  const maxStep = frame.width * DRIFT_MAX_STEP;
  // A sine of amplitude A and period P moves at most 2*pi*A/P per second.
  const amplitudeX = Math.min((plate.width - frame.width) / 2 - 1, (maxStep * PERIOD_X) / (2 * Math.PI));
  const amplitudeY = Math.min((plate.height - frame.height) / 2 - 1, (maxStep * PERIOD_Y) / (2 * Math.PI));
  const x = `${(plate.width - frame.width) / 2}+${amplitudeX.toFixed(1)}*sin(2*PI*floor(t)/${PERIOD_X})`;
  const y = `${(plate.height - frame.height) / 2}+${amplitudeY.toFixed(1)}*sin(2*PI*floor(t)/${PERIOD_Y}+1)`;
  return `crop=w=${frame.width}:h=${frame.height}:x='floor(${x})':y='floor(${y})'`;
}

/** Frames the creator photo for the ad once, as a PNG plate that runners animate. */
export async function framePlate(imagePath: string, frame: FrameSize, tools: FfmpegTools, workDir: string, signal: AbortSignal): Promise<{ path: string } & FrameSize> {
  const info = await probe(tools.ffprobe.path, imagePath);
  const video = info ? firstStream(info, 'video') : undefined;
  const source = { width: video?.width ?? frame.width, height: video?.height ?? frame.height };
  const plate = plateSize(frame);
  const path = join(workDir, 'plate.png');
  await runFfmpeg(tools.ffmpeg.path, ['-i', imagePath, '-filter_complex', framePlateFilter(source, plate), '-map', '[plate]', '-frames:v', '1', path], { what: 'framing the creator image', signal });
  return { path, ...plate };
}
