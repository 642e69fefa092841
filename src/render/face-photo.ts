import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './ffmpeg/tool.js';
import { UgcError } from '../core/errors.js';
import { detectFace, type RgbImage } from './face-detect.js';
import { FaceRigSchema, resolveRigPaths, type FaceRig } from './face-rig.js';
import { eyesRig, mouthRig } from './face-warp.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import { firstStream, probe } from './ffmpeg/probe.js';
import { SPOKEN_VISEMES } from './visemes.js';

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** Bump when detection or warping changes, so cached rigs are made again. */
const RIG_VERSION = 1;

/** Decodes an image to RGB pixels with ffmpeg (the same decoder that frames it for the video). */
async function decodeRgb(imagePath: string, tools: FfmpegTools): Promise<RgbImage> {
  const info = await probe(tools.ffprobe.path, imagePath);
  const video = info ? firstStream(info, 'video') : undefined;
  if (!video?.width || !video.height) throw new UgcError(`cannot read the size of ${imagePath}`);
  const { width, height } = video;
  const result = await runTool(tools.ffmpeg.path, ['-v', 'error', '-i', imagePath, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { encoding: 'buffer', maxBuffer: width * height * 3 + 1024 });
  const data = new Uint8Array(result.stdout);
  if (data.length !== width * height * 3) throw new UgcError(`could not decode ${imagePath}`);
  return { width, height, data };
}

async function writePng(path: string, pixels: Uint8Array, width: number, height: number, tools: FfmpegTools): Promise<void> {
  await runTool(tools.ffmpeg.path, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-i', 'pipe:0', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', path], { input: Buffer.from(pixels) });
}

/** Finds the face and draws the patches into `dir`; the rig's paths are relative to it. Null when there is no face. */
async function makePhotoRig(imagePath: string, tools: FfmpegTools, dir: string): Promise<FaceRig | null> {
  const image = await decodeRgb(imagePath, tools);
  const face = await detectFace(image);
  if (!face) return null;
  const mouth = mouthRig(image, face);
  const eyes = eyesRig(image, face);
  const shapes = {} as FaceRig['mouth']['shapes'];
  await Promise.all(
    SPOKEN_VISEMES.map(async (shape) => {
      shapes[shape] = `mouth-${shape}.png`;
      await writePng(join(dir, shapes[shape]), mouth.draw(shape), mouth.box.width, mouth.box.height, tools);
    }),
  );
  let eyesPart: FaceRig['eyes'] = null;
  if (eyes) {
    eyesPart = { ...eyes.box, states: { half: 'eyes-half.png', closed: 'eyes-closed.png' } };
    await writePng(join(dir, eyesPart.states.half), eyes.draw('half'), eyes.box.width, eyes.box.height, tools);
    await writePng(join(dir, eyesPart.states.closed), eyes.draw('closed'), eyes.box.width, eyes.box.height, tools);
  }
  // The detector's box may reach past the image's edges: clip it.
  const x = clamp(Math.round(face.box.x), 0, image.width - 1);
  const y = clamp(Math.round(face.box.y), 0, image.height - 1);
  const faceBox = { x, y, width: clamp(Math.round(face.box.x + face.box.width) - x, 1, image.width - x), height: clamp(Math.round(face.box.y + face.box.height) - y, 1, image.height - y) };
  return { face: faceBox, mouth: { ...mouth.box, shapes }, eyes: eyesPart };
}

/**
 * The talking rig of a user's photo: the face found by @vladmandic/human, mouth shapes and blinks warped from
 * the photo. Made once per image content and kept in `<config>/cache/faces/<hash>/` (a photo without a face
 * is remembered too). Null when the photo has no face the detector is sure of.
 */
export async function photoRig(imagePath: string, configDir: string, tools: FfmpegTools): Promise<FaceRig | null> {
  const hash = createHash('sha256').update(`rig v${RIG_VERSION}\n`).update(await readFile(imagePath)).digest('hex').slice(0, 32);
  const cacheRoot = join(configDir, 'cache', 'faces');
  const dir = join(cacheRoot, hash);
  const cached = await readCachedRig(dir);
  if (cached !== undefined) return cached;
  await mkdir(cacheRoot, { recursive: true });
  const temp = await mkdtemp(join(cacheRoot, `.${hash}-`));
  try {
    const rig = await makePhotoRig(imagePath, tools, temp);
    await writeFile(join(temp, 'rig.json'), `${JSON.stringify({ rig }, null, 2)}\n`);
    try {
      await rename(temp, dir);
    } catch {
      // Another render of the same photo finished first (its rig is as good as ours), or a stale entry is in the way.
      const theirs = await readCachedRig(dir);
      if (theirs !== undefined) return theirs;
      await rm(dir, { recursive: true, force: true });
      await rename(temp, dir);
    }
    return rig && resolveRigPaths(rig, dir);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** The rig stored in `dir` (null: the photo has no face), or undefined when there is none or it is unreadable. */
async function readCachedRig(dir: string): Promise<FaceRig | null | undefined> {
  let stored: { rig?: unknown } | null;
  try {
    stored = JSON.parse(await readFile(join(dir, 'rig.json'), 'utf8')) as { rig?: unknown };
  } catch {
    return undefined;
  }
  const parsed = FaceRigSchema.nullable().safeParse(stored?.rig);
  if (!stored || !('rig' in stored) || !parsed.success) return undefined;
  return parsed.data && resolveRigPaths(parsed.data, dir);
}
