import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EyeState } from './blinks.js';
import type { Box, FaceRig } from './face-rig.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import { firstStream, probe } from './ffmpeg/probe.js';
import { runFfmpeg } from './ffmpeg/run.js';
import type { FrameSize } from './types.js';
import type { Viseme } from './visemes.js';

/**
 * Where the source image lands in the plate: scaled to `scaled` and placed with its top-left corner at
 * `offset` (negative when the plate crops it). A photo close to the frame's shape covers the plate; one of
 * a very different shape (a portrait in 16:9) is fitted inside it over a blurred, darkened copy of itself,
 * the way phone footage is shown in landscape. Explicit numbers, so patches can be mapped exactly.
 */
export interface PlateGeometry {
  mode: 'cover' | 'fit';
  scaled: FrameSize;
  offset: { x: number; y: number };
}

export function plateGeometry(source: FrameSize, plate: FrameSize): PlateGeometry {
  const mode = Math.abs(Math.log(source.width / source.height / (plate.width / plate.height))) < Math.log(1.35) ? 'cover' : 'fit';
  const scale = mode === 'cover' ? Math.max(plate.width / source.width, plate.height / source.height) : Math.min(plate.width / source.width, plate.height / source.height);
  const fitTo = (length: number, bound: number) => (mode === 'cover' ? Math.max(bound, Math.round(length * scale)) : Math.min(bound, Math.round(length * scale)));
  const scaled = { width: fitTo(source.width, plate.width), height: fitTo(source.height, plate.height) };
  return { mode, scaled, offset: { x: Math.floor((plate.width - scaled.width) / 2), y: Math.floor((plate.height - scaled.height) / 2) } };
}

/**
 * Filter graph from the creator photo (`input`, already rgb24) to the plate (`output`), larger than the frame
 * by `OVERSCAN` for motion. Runs once per render on a single frame, so its cost is negligible.
 */
export function framePlateFilter(geometry: PlateGeometry, plate: FrameSize, input = '0:v', output = 'plate'): string {
  const { scaled, offset } = geometry;
  const resize = `scale=${scaled.width}:${scaled.height}:flags=lanczos`;
  if (geometry.mode === 'cover') return `[${input}]${resize},crop=${plate.width}:${plate.height}:${-offset.x}:${-offset.y},setsar=1,format=rgb24[${output}]`;
  const cover = `scale=${plate.width}:${plate.height}:force_original_aspect_ratio=increase:flags=lanczos,crop=${plate.width}:${plate.height}`;
  return [
    `[${input}]split=2[${output}bgsrc][${output}fgsrc]`,
    `[${output}bgsrc]${cover},boxblur=luma_radius=40:luma_power=2,eq=brightness=-0.12:saturation=0.8[${output}bg]`,
    `[${output}fgsrc]${resize}[${output}fg]`,
    `[${output}bg][${output}fg]overlay=x=${offset.x}:y=${offset.y},setsar=1,format=rgb24[${output}]`,
  ].join(';');
}

/** The plate is this much larger than the frame on each axis, so the camera can drift without showing an edge. */
export const OVERSCAN = 0.04;

export function plateSize(frame: FrameSize): FrameSize {
  const even = (n: number) => Math.ceil(n / 2) * 2;
  return { width: even(frame.width * (1 + OVERSCAN)), height: even(frame.height * (1 + OVERSCAN)) };
}

/**
 * The frame's window on the plate: fixed, at the centre. The camera used to step a few pixels once a
 * second, which read as a jolt; smooth motion makes every frame differ and costs about 45% more encode
 * time, and the video's 2x2 chroma grid allows no step below 2 px. A talking, blinking face is the life of
 * the shot, so the camera holds still (see bench/README.md).
 */
export function frameCropFilter(frame: FrameSize, plate: FrameSize): string {
  const { x, y } = frameOnPlate(frame, plate);
  return `crop=w=${frame.width}:h=${frame.height}:x=${x}:y=${y}`;
}

function frameOnPlate(frame: FrameSize, plate: FrameSize): { x: number; y: number } {
  return { x: evenFloor((plate.width - frame.width) / 2), y: evenFloor((plate.height - frame.height) / 2) };
}

/** A box on the plate, in the ad's frame (clipped to it): e.g. where the face is, for layout. */
export function plateBoxInFrame(box: Box, frame: FrameSize, plate: FrameSize): Box {
  const at = frameOnPlate(frame, plate);
  const x0 = Math.max(0, box.x - at.x);
  const y0 = Math.max(0, box.y - at.y);
  const x1 = Math.min(frame.width, box.x + box.width - at.x);
  const y1 = Math.min(frame.height, box.y + box.height - at.y);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** A box in the creator image's pixels, in the ad's frame. */
export function sourceBoxInFrame(box: Box, source: FrameSize, frame: FrameSize): Box {
  const plate = plateSize(frame);
  return plateBoxInFrame(boxOnPlate(box, source, plateGeometry(source, plate), plate, 0), frame, plate);
}

const evenFloor = (n: number) => 2 * Math.floor(n / 2);
const evenCeil = (n: number) => 2 * Math.ceil(n / 2);

/** The mouth patches (the picture's own mouth as `rest`) and eye patches (`open` as pictured), framed like the plate. */
export interface FramedRig {
  /** The face on the plate, for layout. */
  face: Box;
  mouth: { box: Box; shapes: Record<Viseme, string> };
  eyes: { box: Box; states: Record<EyeState, string> } | null;
}

export interface Plate extends FrameSize {
  path: string;
  rig: FramedRig | null;
}

/** Lanczos spreads a change in the source over a few pixels of the plate: patches are cut this much wider. */
const RESAMPLING_MARGIN = 3;

/** A box in source pixels, on the plate: padded by `margin`, on even coordinates, inside the scaled picture. */
export function boxOnPlate(box: Box, source: FrameSize, geometry: PlateGeometry, plate: FrameSize, margin: number): Box {
  const kx = geometry.scaled.width / source.width;
  const ky = geometry.scaled.height / source.height;
  const left = Math.max(0, geometry.offset.x);
  const top = Math.max(0, geometry.offset.y);
  const right = Math.min(plate.width, geometry.offset.x + geometry.scaled.width);
  const bottom = Math.min(plate.height, geometry.offset.y + geometry.scaled.height);
  const x0 = Math.max(left, evenFloor(box.x * kx + geometry.offset.x - margin));
  const y0 = Math.max(top, evenFloor(box.y * ky + geometry.offset.y - margin));
  const x1 = Math.min(right, evenCeil((box.x + box.width) * kx + geometry.offset.x + margin));
  const y1 = Math.min(bottom, evenCeil((box.y + box.height) * ky + geometry.offset.y + margin));
  return { x: x0, y: y0, width: Math.max(2, x1 - x0), height: Math.max(2, y1 - y0) };
}

/**
 * Frames the creator photo for the ad once, as a PNG plate that runners animate, and with it the rig's
 * patches: each patch is laid over the whole photo, which is framed exactly like the plate, and the
 * patch's rectangle cut out again, so patches and plate line up to the pixel. One ffmpeg process.
 */
export async function framePlate(imagePath: string, frame: FrameSize, tools: FfmpegTools, workDir: string, signal: AbortSignal, rig: FaceRig | null = null): Promise<Plate> {
  const info = await probe(tools.ffprobe.path, imagePath);
  const video = info ? firstStream(info, 'video') : undefined;
  const source = { width: video?.width ?? frame.width, height: video?.height ?? frame.height };
  const plate = plateSize(frame);
  const geometry = plateGeometry(source, plate);
  const path = join(workDir, 'plate.png');
  if (!rig) {
    await runFfmpeg(tools.ffmpeg.path, ['-i', imagePath, '-filter_complex', `[0:v]format=rgb24[source];${framePlateFilter(geometry, plate, 'source')}`, '-map', '[plate]', '-frames:v', '1', path], { what: 'framing the creator image', signal });
    return { path, ...plate, rig: null };
  }

  const patchDir = join(workDir, 'patches');
  await mkdir(patchDir, { recursive: true });
  const inputs = ['-i', imagePath];
  const graph: string[] = [];
  const outputs: string[] = [];
  const patches: { source: string; box: Box; onPlate: Box; output: string }[] = [];
  const mouthOnPlate = boxOnPlate(rig.mouth, source, geometry, plate, RESAMPLING_MARGIN);
  const shapes = { rest: join(patchDir, 'mouth-rest.png') } as Record<Viseme, string>;
  for (const [shape, file] of Object.entries(rig.mouth.shapes)) {
    shapes[shape as Viseme] = join(patchDir, `mouth-${shape}.png`);
    patches.push({ source: file, box: rig.mouth, onPlate: mouthOnPlate, output: shapes[shape as Viseme] });
  }
  let eyes: FramedRig['eyes'] = null;
  if (rig.eyes) {
    const eyesOnPlate = boxOnPlate(rig.eyes, source, geometry, plate, RESAMPLING_MARGIN);
    eyes = { box: eyesOnPlate, states: { open: join(patchDir, 'eyes-open.png'), half: join(patchDir, 'eyes-half.png'), closed: join(patchDir, 'eyes-closed.png') } };
    patches.push({ source: rig.eyes.states.half, box: rig.eyes, onPlate: eyesOnPlate, output: eyes.states.half });
    patches.push({ source: rig.eyes.states.closed, box: rig.eyes, onPlate: eyesOnPlate, output: eyes.states.closed });
  }
  const crop = (box: Box, dx = 0, dy = 0) => `crop=${box.width}:${box.height}:${box.x - dx}:${box.y - dy}`;
  graph.push(`[0:v]format=rgb24,split=${patches.length + 1}[source]${patches.map((_, i) => `[variant${i}]`).join('')}`);
  graph.push(framePlateFilter(geometry, plate, 'source', 'framed'));
  const crops: [string, Box][] = [[shapes.rest, mouthOnPlate], ...(eyes ? ([[eyes.states.open, eyes.box]] as [string, Box][]) : [])];
  graph.push(`[framed]split=${crops.length + 1}[plate]${crops.map((_, i) => `[same${i}]`).join('')}`);
  crops.forEach(([file, box], i) => {
    graph.push(`[same${i}]${crop(box)}[cut${i}]`);
    outputs.push('-map', `[cut${i}]`, '-frames:v', '1', file);
  });
  patches.forEach((patch, i) => {
    inputs.push('-i', patch.source);
    const resize = `scale=${geometry.scaled.width}:${geometry.scaled.height}:flags=lanczos`;
    graph.push(`[variant${i}][${i + 1}:v]overlay=x=${patch.box.x}:y=${patch.box.y}:format=rgb,${resize},${crop(patch.onPlate, geometry.offset.x, geometry.offset.y)},format=rgb24[patch${i}]`);
    outputs.push('-map', `[patch${i}]`, '-frames:v', '1', patch.output);
  });
  await runFfmpeg(tools.ffmpeg.path, [...inputs, '-filter_complex', graph.join(';'), '-map', '[plate]', '-frames:v', '1', path, ...outputs], { what: 'framing the creator image', signal });
  const face = boxOnPlate(rig.face, source, geometry, plate, 0);
  return { path, ...plate, rig: { face, mouth: { box: mouthOnPlate, shapes }, eyes } };
}
