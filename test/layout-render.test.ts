import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import type { Platform } from '../src/core/platforms.js';
import { creatorImagePath, listStockCreators, stockCreatorRig } from '../src/render/creators.js';
import { sourceBoxInFrame } from '../src/render/framing.js';
import { creatorPanel, safeZone, type Rect } from '../src/render/layout.js';
import { FRAME_SIZES, type Aspect } from '../src/render/types.js';
import { ffmpegStderr, grayFrame, tempDir, ugc } from './support.js';

const SCRIPT = 'Okay so this changed my mornings. I make it in two minutes and it tastes amazing. My friends all asked for it. You have to try it.';
let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
  await ffmpegStderr(['-f', 'lavfi', '-i', 'color=c=0xdd2222:s=300x300', '-frames:v', '1', join(dir.path, 'logo.png')]);
  await writeFile(join(dir.path, 'brand.json'), JSON.stringify({ logo: { path: 'logo.png', corner: 'top-left' }, captions: 'box', colors: { accent: '#22CC66' } }));
});
afterAll(() => dir.cleanup());

async function render(args: string[]): Promise<Job> {
  const result = await ugc(['generate', '--script', SCRIPT, '--json', ...args], { cwd: dir.path, env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Job;
}

/** The stock creator's face as the renderer frames it (in its panel, which is the frame's left side in a split layout). */
async function faceOf(slug: string, aspect: Aspect): Promise<Rect> {
  const creator = (await listStockCreators()).find((c) => c.slug === slug);
  if (!creator) throw new Error(`no stock creator ${slug}`);
  const head = readFileSync(creatorImagePath(creator)).subarray(16, 24);
  const source = { width: head.readUInt32BE(0), height: head.readUInt32BE(4) };
  return sourceBoxInFrame(stockCreatorRig(creator).face, source, creatorPanel(aspect, FRAME_SIZES[aspect]));
}

/** Pixels that changed a lot between two frames (far above the encoder's noise), as a list of (x, y). */
function changed(a: Buffer, b: Buffer, width: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < a.length; i++) if (Math.abs((a[i] ?? 0) - (b[i] ?? 0)) > 48) out.push([i % width, Math.floor(i / width)]);
  return out;
}

const inside = (r: Rect, [x, y]: [number, number]) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;

describe('overlays stay off the face and inside the platform safe zone, in rendered frames', () => {
  const cases: [Aspect, Platform, string][] = [
    ['9:16', 'reels', 'mia'],
    ['1:1', 'generic', 'ava'],
  ];
  it.each(cases)('%s for %s with %s: hook, box captions and a logo vs the same ad bare', async (aspect, platform, creator) => {
    const common = ['--creator', creator, '--aspect', aspect, '--platform', platform, '--resolution', '1080p'];
    const bare = await render([...common, '--captions', 'none', '--out', `bare-${creator}.mp4`]);
    const dressed = await render([...common, '--hook', 'This changed my mornings', '--brand', 'brand.json', '--out', `dressed-${creator}.mp4`]);
    expect(dressed.output.durationSeconds).toBe(bare.output.durationSeconds);
    const { width, height } = FRAME_SIZES[aspect];
    const safe = safeZone(platform, aspect, FRAME_SIZES[aspect]);
    const face = await faceOf(creator, aspect);
    // The hook (0.6 s), then captions on three words; the logo throughout.
    for (const t of [0.6, 2.6, 3.4, 4.2]) {
      const before = await grayFrame(bare.output.path as string, t, width, height);
      const after = await grayFrame(dressed.output.path as string, t, width, height);
      const pixels = changed(before, after, width);
      expect(pixels.length, `overlays drawn at ${t} s`).toBeGreaterThan(3000);
      expect(pixels.filter((p) => inside(face, p)).length, `changed pixels on the face at ${t} s`).toBe(0);
      expect(pixels.filter((p) => !inside(safe, p)).length, `changed pixels outside the safe zone at ${t} s`).toBe(0);
    }
  });
});

describe('--brand', () => {
  it.each([
    ['{"colors": {"text": "white"}}', 'colors.text must be a colour written #RRGGBB'],
    ['{"logo": {"path": "logo.png", "corner": "middle"}}', 'logo.corner'],
    ['{"font": "nope.ttf"}', 'font: cannot read'],
    ['{"colour": {}}', 'has an unknown key (colour)'],
    ['not json', 'is not valid JSON'],
    ['{"logo": {"path": "brand.json"}}', 'logo:'],
  ])('%s is refused before any work (exit 2): %s', async (body, message) => {
    const file = join(dir.path, `bad-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, body);
    const result = await ugc(['generate', '--script', 'Hi there.', '--brand', file, '--out', 'never.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--brand');
    expect(result.stderr).toContain(message);
  });
});

describe('local-only layout fields on a remote provider', () => {
  it.each([
    ['--hook', 'Wait for it'],
    ['--url', 'glow.example'],
    ['--platform', 'tiktok'],
    ['--broll', 'brand.json'],
  ])('%s is refused (exit 2), not silently dropped', async (flag, value) => {
    const result = await ugc(['generate', '--provider', 'unrealugc', '--script', 'Hi there.', '--product-name', 'Glow', flag, value], { cwd: dir.path, env: { ...env, UGC_API_KEY: 'test-key' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`unrealugc does not take ${flag}`);
  });
});

describe('--broll', () => {
  it('cuts a muted video and a picture in at sentence starts, full frame, ~2 s each', async () => {
    const clip = join(dir.path, 'clip.mp4');
    const picture = join(dir.path, 'green.png');
    await ffmpegStderr(['-f', 'lavfi', '-i', 'color=c=0x2040e0:s=640x360:d=4', '-f', 'lavfi', '-i', 'sine=f=500:d=4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
    await ffmpegStderr(['-f', 'lavfi', '-i', 'color=c=0x20c040:s=500x500', '-frames:v', '1', picture]);
    const job = await render(['--creator', 'mia', '--captions', 'none', '--broll', clip, '--broll', picture, '--resolution', '720p', '--out', 'broll.mp4']);
    const { width, height } = { width: 720, height: 1280 };
    const file = job.output.path as string;
    const shown: { blue: number[]; green: number[] } = { blue: [], green: [] };
    for (let t = 0.1; t < (job.output.durationSeconds as number); t += 0.2) {
      const frame = await grayFrame(file, t, width, height);
      // The whole frame one flat shade: a cut-in (cover-scaled, so no creator shows at the edges).
      const corners = [frame[0], frame[width - 1], frame[(height - 1) * width], frame[height * width - 1], frame[(height / 2) * width + width / 2]] as number[];
      if (Math.max(...corners) - Math.min(...corners) > 6) continue;
      const v = corners[0] as number;
      // Gray of 0x2040e0 is about 66; of 0x20c040 about 124.
      if (Math.abs(v - 66) < 20) shown.blue.push(t);
      if (Math.abs(v - 124) < 20) shown.green.push(t);
    }
    for (const [colour, times] of Object.entries(shown)) {
      expect(times.length, `${colour} shown`).toBeGreaterThan(4);
      expect((times.at(-1) as number) - (times[0] as number), colour).toBeLessThanOrEqual(2.1);
      expect(times[0] as number, colour).toBeGreaterThan(1);
    }
    expect(shown.blue[0] as number).toBeLessThan(shown.green[0] as number);
  });
});

describe('the profile brand kit', () => {
  it('`ugc config set brand` stores the file absolute and renders use it when --brand is not given', async () => {
    const profileEnv = { UGC_CONFIG_DIR: join(dir.path, 'config-brand') };
    const missing = await ugc(['config', 'set', 'brand', 'nope.json'], { cwd: dir.path, env: profileEnv });
    expect(missing.code).toBe(2);
    await writeFile(join(dir.path, 'bad-brand.json'), '{"captions": "loud"}');
    const set = await ugc(['config', 'set', 'brand', 'bad-brand.json', '--json'], { cwd: dir.path, env: profileEnv });
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).value).toBe(join(dir.path, 'bad-brand.json'));
    // The render reads it: its bad preset is refused as --brand's, before any work.
    const result = await ugc(['generate', '--script', 'Hi there.', '--out', 'never.mp4'], { cwd: dir.path, env: profileEnv });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad-brand.json: captions');
  });
});

describe('--platform checks the length', () => {
  it('warns when the ad is outside the chosen platform range, and says nothing without --platform', async () => {
    const short = ['generate', '--script', 'Try it today.', '--captions', 'none', '--resolution', '720p'];
    const chosen = await ugc([...short, '--platform', 'tiktok', '--out', 'short-tiktok.mp4'], { cwd: dir.path, env });
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stderr).toMatch(/The ad is \d+\.\d s; TikTok[^\n]* takes 5-60 s/);
    const unchosen = await ugc([...short, '--out', 'short-generic.mp4'], { cwd: dir.path, env });
    expect(unchosen.code, unchosen.stderr).toBe(0);
    expect(unchosen.stderr).not.toMatch(/The ad is/);
  });
});
