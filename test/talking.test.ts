import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { listStockCreators, stockCreatorRig, creatorImagePath } from '../src/render/creators.js';
import { photoRig } from '../src/render/face-photo.js';
import type { Box } from '../src/render/face-rig.js';
import { firstStream, probe } from '../src/render/ffmpeg/probe.js';
import { sourceBoxInFrame } from '../src/render/framing.js';
import { creatorPanel } from '../src/render/layout.js';
import { differingPixels, ffmpegStderr, grayFrame, tempDir, tools, ugc } from './support.js';

// Two sentences with a pause between them; --duration adds silence after the voice.
const SCRIPT = 'Hello, my name is Mia and I love this. Wow, look at my skin!';
const FRAME = { width: 720, height: 1280 };
const FPS = 30;
const PHOTO = new URL('./fixtures/astronaut.jpg', import.meta.url).pathname;

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(() => dir.cleanup());

async function generate(args: string[]): Promise<{ job: Job; stderr: string }> {
  const result = await ugc(['generate', '--script', SCRIPT, '--json', '--captions', 'none', '--resolution', '720p', '--duration', '7', ...args], { cwd: dir.path, env });
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.code).toBe(0);
  return { job: JSON.parse(result.stdout) as Job, stderr: result.stderr };
}

/** Every frame of the video inside `box`, as gray pixels. */
async function regionFrames(file: string, box: Box): Promise<Buffer[]> {
  const { ffmpeg } = await tools();
  const result = await execa(ffmpeg.path, ['-v', 'error', '-i', file, '-vf', `crop=${box.width}:${box.height}:${box.x}:${box.y}`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer', maxBuffer: 1 << 28 });
  const size = box.width * box.height;
  const data = Buffer.from(result.stdout);
  return Array.from({ length: Math.floor(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));
}

/** Loudness of the ad's audio per video frame (RMS of 8 kHz mono samples, 0..1). */
async function frameLoudness(file: string): Promise<number[]> {
  const { ffmpeg } = await tools();
  const result = await execa(ffmpeg.path, ['-v', 'error', '-i', file, '-vn', '-ac', '1', '-ar', '8000', '-f', 's16le', '-'], { encoding: 'buffer', maxBuffer: 1 << 26 });
  const pcm = Buffer.from(result.stdout);
  const perFrame = 8000 / FPS;
  const levels: number[] = [];
  for (let start = 0; (start + perFrame) * 2 <= pcm.length; start += perFrame) {
    let sum = 0;
    for (let i = Math.round(start); i < Math.round(start + perFrame); i++) sum += (pcm.readInt16LE(i * 2) / 32768) ** 2;
    levels.push(Math.sqrt(sum / perFrame));
  }
  return levels;
}

/**
 * Of the frames in speech (voice clearly audible around them) and in silence (none within 0.2 s), the share
 * whose picture inside `region` differs visibly from the frame before.
 */
async function motionInSpeechAndSilence(file: string, region: Box): Promise<{ speech: number; silence: number; speechFrames: number; silenceFrames: number }> {
  const [frames, loudness] = await Promise.all([regionFrames(file, region), frameLoudness(file)]);
  const around = (i: number, reach: number) => loudness.slice(Math.max(0, i - reach), i + reach + 1);
  const changed = (i: number) => differingPixels(frames[i - 1] as Buffer, frames[i] as Buffer, 24) > Math.max(12, region.width * region.height * 0.004);
  let speech = 0;
  let speechFrames = 0;
  let silence = 0;
  let silenceFrames = 0;
  for (let i = 1; i < frames.length; i++) {
    if (Math.max(...around(i, 2)) > 0.05 && Math.min(...around(i, 1)) > 0.01) {
      speechFrames++;
      if (changed(i)) speech++;
    } else if (Math.max(...around(i, 6)) < 0.003) {
      silenceFrames++;
      if (changed(i)) silence++;
    }
  }
  return { speech: speech / Math.max(1, speechFrames), silence: silence / Math.max(1, silenceFrames), speechFrames, silenceFrames };
}

async function imageSize(path: string): Promise<{ width: number; height: number }> {
  const info = await probe((await tools()).ffprobe.path, path);
  const video = info ? firstStream(info, 'video') : undefined;
  return { width: video?.width ?? 0, height: video?.height ?? 0 };
}

describe('stock creators talk', () => {
  it('every stock creator moves its mouth while speaking and rests it in silence', async () => {
    for (const creator of await listStockCreators()) {
      const { job } = await generate(['--creator', creator.slug, '--out', `stock-${creator.slug}.mp4`]);
      const rig = stockCreatorRig(creator);
      const mouth = sourceBoxInFrame(rig.mouth, await imageSize(creatorImagePath(creator)), FRAME);
      const shares = await motionInSpeechAndSilence(job.output.path as string, mouth);
      expect(shares.speechFrames, creator.slug).toBeGreaterThan(30);
      expect(shares.silenceFrames, creator.slug).toBeGreaterThan(30);
      expect(shares.speech, creator.slug).toBeGreaterThan(0.15);
      expect(shares.silence, creator.slug).toBeLessThan(0.03);
    }
  }, 300_000);

  it('blinks: the eyes close at least once in six seconds, and not all the time', async () => {
    const creator = (await listStockCreators()).find((c) => c.slug === 'leo');
    if (!creator) throw new Error('no leo');
    const rig = stockCreatorRig(creator);
    if (!rig.eyes) throw new Error('no eyes in the rig');
    const { job } = await generate(['--creator', 'leo', '--out', 'blink-leo.mp4']);
    const file = job.output.path as string;
    const eyes = await regionFrames(file, sourceBoxInFrame(rig.eyes, await imageSize(creatorImagePath(creator)), FRAME));
    const changes = eyes.slice(1).filter((frame, i) => differingPixels(eyes[i] as Buffer, frame, 24) > 20).length;
    // One blink is two changes down and two up at least.
    expect(changes).toBeGreaterThanOrEqual(3);
    expect(changes).toBeLessThan(eyes.length / 4);
  }, 60_000);

  it('--model still keeps the picture still', async () => {
    const creator = (await listStockCreators()).find((c) => c.slug === 'mia');
    if (!creator) throw new Error('no mia');
    const { job } = await generate(['--creator', 'mia', '--model', 'still', '--out', 'still-mia.mp4']);
    const whole = { x: 0, y: 0, ...FRAME };
    const shares = await motionInSpeechAndSilence(job.output.path as string, whole);
    expect(shares.speech).toBe(0);
    expect(shares.silence).toBe(0);
  }, 60_000);
});

describe('patches line up with the picture', () => {
  /** The frame at `seconds` as gray pixels, with the pixels that differ between two renders located. */
  async function differingOutside(a: string, b: string, seconds: number, frame: { width: number; height: number }, boxes: Box[]): Promise<{ inside: number; outside: number }> {
    const [x, y] = await Promise.all([grayFrame(a, seconds, frame.width, frame.height), grayFrame(b, seconds, frame.width, frame.height)]);
    let inside = 0;
    let outside = 0;
    for (let i = 0; i < x.length; i++) {
      if (Math.abs((x[i] ?? 0) - (y[i] ?? 0)) <= 12) continue;
      const px = i % frame.width;
      const py = Math.floor(i / frame.width);
      if (boxes.some((box) => px >= box.x && px < box.x + box.width && py >= box.y && py < box.y + box.height)) inside++;
      else outside++;
    }
    return { inside, outside };
  }

  it('a talking frame differs from the still one only inside the mouth and eye boxes (16:9, in the creator panel of the split layout), and not at all at rest', async () => {
    const creator = (await listStockCreators()).find((c) => c.slug === 'sofia');
    if (!creator) throw new Error('no sofia');
    const frame = { width: 1280, height: 720 };
    const args = ['--creator', 'sofia', '--aspect', '16:9'];
    const talking = (await generate([...args, '--out', 'align-talking.mp4'])).job.output.path as string;
    const still = (await generate([...args, '--model', 'still', '--out', 'align-still.mp4'])).job.output.path as string;
    const rig = stockCreatorRig(creator);
    const source = await imageSize(creatorImagePath(creator));
    // The encoder codes a changed block's neighbours a little differently: a 16-pixel macroblock of slack.
    const slack = 16;
    const boxes = [rig.mouth, ...(rig.eyes ? [rig.eyes] : [])]
      .map((box) => sourceBoxInFrame(box, source, creatorPanel('16:9', frame)))
      .map((b) => ({ x: b.x - slack, y: b.y - slack, width: b.width + 2 * slack, height: b.height + 2 * slack }));
    let inside = 0;
    for (const seconds of [0.6, 0.9, 1.2, 1.5, 2.1, 2.7, 4.5]) {
      const counts = await differingOutside(talking, still, seconds, frame, boxes);
      // A patch out of place shows as hundreds of pixels; the encoder's own variation is a few.
      expect(counts.outside, `at ${seconds} s`).toBeLessThan(30);
      inside += counts.inside;
    }
    expect(inside).toBeGreaterThan(200);
    // In silence the mouth rests: the rest patch is the picture itself, so only the eyes (a blink) may differ.
    const eyesOnly = boxes.slice(1);
    expect((await differingOutside(talking, still, 5.5, frame, eyesOnly)).outside).toBeLessThan(30);
  }, 120_000);
});

describe('a photo talks', () => {
  it('a real photo of a face moves its mouth in speech, rests it in silence, and is detected once', async () => {
    const { job, stderr } = await generate(['--image', PHOTO, '--out', 'photo.mp4']);
    expect(stderr).not.toMatch(/no face/i);
    const rig = await photoRig(PHOTO, env.UGC_CONFIG_DIR as string, await tools());
    if (!rig) throw new Error('no face found in the fixture');
    const mouth = sourceBoxInFrame(rig.mouth, await imageSize(PHOTO), FRAME);
    const shares = await motionInSpeechAndSilence(job.output.path as string, mouth);
    expect(shares.speech).toBeGreaterThan(0.15);
    expect(shares.silence).toBeLessThan(0.03);
    // The face box is where a face is: around the mouth, inside the photo.
    expect(rig.face.x).toBeLessThan(rig.mouth.x);
    expect(rig.face.x + rig.face.width).toBeGreaterThan(rig.mouth.x + rig.mouth.width);
    expect(rig.face.y + rig.face.height).toBeGreaterThan(rig.mouth.y);
    // Detected once: one cache entry for the photo, however many renders use it.
    await generate(['--image', PHOTO, '--out', 'photo-again.mp4']);
    expect(await readdir(join(env.UGC_CONFIG_DIR as string, 'cache', 'faces'))).toHaveLength(1);
  }, 120_000);

  it('a photo without a face renders still, with a one-line notice and no error', async () => {
    const picture = join(dir.path, 'no-face.png');
    await ffmpegStderr(['-f', 'lavfi', '-i', 'mandelbrot=size=600x800', '-frames:v', '1', picture]);
    const { job, stderr } = await generate(['--image', picture, '--out', 'no-face.mp4']);
    expect(job.status).toBe('completed');
    const notices = stderr.split('\n').filter((line) => /no face/i.test(line));
    expect(notices).toHaveLength(1);
    const shares = await motionInSpeechAndSilence(job.output.path as string, { x: 0, y: 0, ...FRAME });
    expect(shares.speech).toBe(0);
  }, 120_000);
});
