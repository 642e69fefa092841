import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { firstStream, probe } from '../src/render/ffmpeg/probe.js';
import { differingPixels, ffmpegStderr, grayFrame, loudness, makeTone, rgbFrame, tempDir, tools, ugc } from './support.js';

const SCRIPT = 'Glow serum changed my skin in one week. Honestly, try it today!';
let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(() => dir.cleanup());

async function generate(args: string[], script = SCRIPT): Promise<Job> {
  const result = await ugc(['generate', '--script', script, '--json', ...args], { cwd: dir.path, env });
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Job;
}

/** The pixels of a rectangle of an RGB frame that are within `tolerance` of `colour` on every channel. */
function pixelsNear(frame: Buffer, width: number, box: { x: number; y: number; w: number; h: number }, colour: [number, number, number], tolerance = 40): number {
  let count = 0;
  for (let y = box.y; y < box.y + box.h; y++) {
    for (let x = box.x; x < box.x + box.w; x++) {
      const i = (y * width + x) * 3;
      if (colour.every((c, k) => Math.abs((frame[i + k] ?? 0) - c) <= tolerance)) count++;
    }
  }
  return count;
}

/** Mean brightness and mean difference between horizontal neighbours (sharpness) of a rectangle of a gray frame. */
function texture(frame: Buffer, width: number, box: { x: number; y: number; w: number; h: number }): { mean: number; gradient: number } {
  let sum = 0;
  let gradient = 0;
  for (let y = box.y; y < box.y + box.h; y++) {
    for (let x = box.x; x < box.x + box.w - 1; x++) {
      const v = frame[y * width + x] ?? 0;
      sum += v;
      gradient += Math.abs(v - (frame[y * width + x + 1] ?? 0));
    }
  }
  const n = box.h * (box.w - 1);
  return { mean: sum / n, gradient: gradient / n };
}

/** Top-level MP4 boxes in file order: with +faststart, moov comes before mdat. */
async function topLevelBoxes(file: string): Promise<string[]> {
  const handle = await open(file, 'r');
  const size = (await handle.stat()).size;
  const boxes: string[] = [];
  const header = Buffer.alloc(16);
  for (let offset = 0; offset < size; ) {
    await handle.read(header, 0, 16, offset);
    let length = header.readUInt32BE(0);
    boxes.push(header.toString('latin1', 4, 8));
    if (length === 1) length = Number(header.readBigUInt64BE(8));
    if (length < 8) break;
    offset += length;
  }
  await handle.close();
  return boxes;
}

async function expectUploadReady(job: Job, width: number, height: number): Promise<void> {
  expect(job.status).toBe('completed');
  const file = job.output.path as string;
  const info = await probe((await tools()).ffprobe.path, file);
  if (!info) throw new Error('ffprobe could not read the output');
  const video = firstStream(info, 'video');
  const audio = firstStream(info, 'audio');
  expect(video).toMatchObject({ codec_name: 'h264', profile: 'High', pix_fmt: 'yuv420p', width, height, r_frame_rate: '30/1' });
  expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000' });
  expect(Math.abs(Number(video?.duration) - Number(audio?.duration))).toBeLessThan(0.05);
  expect(Number(video?.duration)).toBeCloseTo(job.output.durationSeconds as number, 1);
  const boxes = await topLevelBoxes(file);
  expect(boxes.indexOf('moov')).toBeGreaterThan(-1);
  expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
  const level = await loudness(file);
  expect(Math.abs(level.integrated - -14)).toBeLessThanOrEqual(1);
  expect(level.truePeak).toBeLessThanOrEqual(-1.5);
  const thumb = await readFile(job.output.thumbnailPath as string);
  expect(thumb.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
}

describe('generate renders an upload-ready ad', () => {
  it('9:16 at 1080x1920 by default, with karaoke captions', async () => {
    const job = await generate(['--creator', 'mia', '--out', 'ads/vertical.mp4']);
    expect(job.output.path).toBe(join(dir.path, 'ads', 'vertical.mp4'));
    await expectUploadReady(job, 1080, 1920);
  });

  it('16:9 at 1920x1080 split: the creator on the left, captions on a plain side, no blurred copy', async () => {
    const job = await generate(['--creator', 'leo', '--aspect', '16:9', '--captions', 'clean']);
    await expectUploadReady(job, 1920, 1080);
    const frame = await grayFrame(job.output.path as string, 0.2, 1920, 1080);
    // The creator's panel (3:4, 810 px) is the picture; past the text column's edge the side is one flat colour.
    const creator = texture(frame, 1920, { x: 100, y: 100, w: 600, h: 700 });
    const side = texture(frame, 1920, { x: 1840, y: 100, w: 70, h: 880 });
    expect(creator.gradient).toBeGreaterThan(1);
    expect(side.gradient).toBeLessThan(0.3);
    expect(side.mean).toBeLessThan(30);
  });

  it('1:1 at 1080x1080: the product cut in full frame where the script names it, then the end card', async () => {
    const product = join(dir.path, 'product.png');
    await ffmpegStderr(['-f', 'lavfi', '-i', 'color=c=0xee5533:s=600x800', '-frames:v', '1', product]);
    expect((await stat(product)).size).toBeGreaterThan(0);
    const script = 'I tried everything for my skin. Then Glow Serum changed it in a week. Honestly, try it today!';
    const job = await generate(['--creator', 'ava', '--aspect', '1:1', '--captions', 'none', '--product-image', product, '--product-name', 'Glow Serum', '--cta', 'Shop now'], script);
    await expectUploadReady(job, 1080, 1080);
    const file = job.output.path as string;
    const duration = job.output.durationSeconds as number;
    // Split layout: the product sits on the creator's (left) side of the frame, the captions keep the other.
    const centre = { x: 150, y: 300, w: 200, h: 200 };
    const orange: [number, number, number] = [0xee, 0x55, 0x33];
    // Sampled every 0.2 s: the product fills its side for one stretch of 1.5-3 s, after the first sentence.
    const shown: number[] = [];
    for (let t = 0.1; t < duration - 2.2; t += 0.2) {
      if (pixelsNear(await rgbFrame(file, t, 1080, 1080), 1080, centre, orange) > centre.w * centre.h * 0.8) shown.push(t);
    }
    expect(shown.length).toBeGreaterThan(0);
    const first = shown[0] as number;
    const last = shown.at(-1) as number;
    expect(first).toBeGreaterThan(1);
    expect(last - first).toBeGreaterThanOrEqual(1.2);
    expect(last - first).toBeLessThanOrEqual(3);
    expect(shown.length).toBe(Math.round((last - first) / 0.2) + 1);
    // The end card: the product shot on top, the yellow button below it, at the end and not at the start.
    const button = { x: 200, y: 700, w: 680, h: 250 };
    const yellow: [number, number, number] = [0xff, 0xd6, 0x00];
    const end = await rgbFrame(file, duration - 0.2, 1080, 1080);
    expect(pixelsNear(end, 1080, button, yellow)).toBeGreaterThan(5000);
    expect(pixelsNear(end, 1080, { x: 440, y: 150, w: 200, h: 200 }, orange)).toBeGreaterThan(20000);
    expect(pixelsNear(await rgbFrame(file, 0.1, 1080, 1080), 1080, button, yellow)).toBeLessThan(100);
  });

  it('leaves no temp files beside the output', async () => {
    const job = await generate(['--creator', 'mia', '--captions', 'none', '--resolution', '720p', '--out', 'clean/ad.mp4'], 'Nothing left behind.');
    expect(job.status).toBe('completed');
    const names = await readdir(join(dir.path, 'clean'));
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(names.sort()).toEqual(['ad.jpg', 'ad.mp4']);
  });
});

describe('captions and motion', () => {
  it('draws captions: a frame with captions differs from the same frame without', async () => {
    const withCaptions = await generate(['--creator', 'noah', '--captions', 'karaoke', '--out', 'cap-on.mp4']);
    const without = await generate(['--creator', 'noah', '--captions', 'none', '--out', 'cap-off.mp4']);
    const a = await grayFrame(withCaptions.output.path as string, 1.2, 1080, 1920);
    const b = await grayFrame(without.output.path as string, 1.2, 1080, 1920);
    expect(differingPixels(a, b)).toBeGreaterThan(2000);
  });

  it('moves the creator: frames seconds apart differ even without captions', async () => {
    const job = await generate(['--creator', 'noah', '--captions', 'none', '--out', 'still.mp4']);
    const a = await grayFrame(job.output.path as string, 0.2, 1080, 1920);
    const b = await grayFrame(job.output.path as string, 3.0, 1080, 1920);
    expect(differingPixels(a, b)).toBeGreaterThan(1000);
  });
});

describe('music', () => {
  /** Level of a narrow band around the music tone, in dB, over a window of the ad. */
  async function toneLevel(file: string, from: number, seconds: number): Promise<number> {
    const text = await ffmpegStderr(['-ss', String(from), '-t', String(seconds), '-i', file, '-map', '0:a', '-af', 'bandpass=f=6000:width_type=h:w=60,volumedetect', '-f', 'null', '-']);
    return Number(/mean_volume: (-?[\d.]+) dB/.exec(text)?.[1]);
  }

  it('is looped to the end and ducked under the voice', async () => {
    const music = join(dir.path, 'tone.wav');
    await makeTone(music, 2, 6000);
    const job = await generate(['--creator', 'mia', '--music', music, '--duration', '9', '--captions', 'none', '--out', 'music.mp4']);
    expect(job.output.durationSeconds).toBeCloseTo(9, 1);
    const underSpeech = await toneLevel(job.output.path as string, 0.8, 1.5);
    const alone = await toneLevel(job.output.path as string, 5, 2);
    // The 2 s tone was looped: it is still there at 5-7 s, and louder there than under the voice.
    expect(alone).toBeGreaterThan(-60);
    expect(alone - underSpeech).toBeGreaterThan(4);
  });
});
