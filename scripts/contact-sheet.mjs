#!/usr/bin/env node
// Renders short ads with the built CLI and tiles frames of the talking face into one JPEG, for the README.
//
// Usage: npm run build && node scripts/contact-sheet.mjs [out.jpg]
//   (default docs/talking.jpg): a row for a stock creator and a row for a photo (test/fixtures/astronaut.jpg),
//   frames every 0.1 s through the first words, each cropped around the face.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { locateFfmpeg } = await import(join(ROOT, 'dist/render/ffmpeg/locate.js'));
const { listStockCreators, stockCreatorRig, creatorImagePath } = await import(join(ROOT, 'dist/render/creators.js'));
const { photoRig } = await import(join(ROOT, 'dist/render/face-photo.js'));
const { sourceBoxInFrame } = await import(join(ROOT, 'dist/render/framing.js'));
const { firstStream, probe } = await import(join(ROOT, 'dist/render/ffmpeg/probe.js'));

const OUT = process.argv[2] ?? join(ROOT, 'docs', 'talking.jpg');
const SCRIPT = 'Okay, so I did not expect this to work. Wow!';
const FRAME = { width: 1080, height: 1920 };
const TIMES = [0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1.05, 1.15];
const TILE = 220;

const tools = await locateFfmpeg();
const work = mkdtempSync(join(tmpdir(), 'ugc-sheet-'));
const env = { ...process.env, UGC_CONFIG_DIR: join(work, 'config'), CI: 'true' };

async function sizeOf(path) {
  const video = firstStream(await probe(tools.ffprobe.path, path), 'video');
  return { width: video.width, height: video.height };
}

/** One row: the ad's frames at TIMES, each cropped to a square around the face and scaled to TILE. */
async function row(name, args, faceBox) {
  const ad = join(work, `${name}.mp4`);
  execFileSync(process.execPath, [join(ROOT, 'bin/ugc.js'), 'generate', '--quiet', '--script', SCRIPT, '--captions', 'none', ...args, '--out', ad], { env });
  const side = Math.round(Math.max(faceBox.width, faceBox.height) * 1.25);
  const x = Math.max(0, Math.round(faceBox.x + faceBox.width / 2 - side / 2));
  const y = Math.max(0, Math.round(faceBox.y + faceBox.height / 2 - side / 2));
  const file = join(work, `${name}.png`);
  const select = TIMES.map((t) => `eq(n\\,${Math.round(t * 30)})`).join('+');
  execFileSync(tools.ffmpeg.path, ['-v', 'error', '-y', '-i', ad, '-vf', `select='${select}',crop=${side}:${side}:${x}:${y},scale=${TILE}:${TILE},tile=${TIMES.length}x1`, '-frames:v', '1', file]);
  return file;
}

try {
  const mia = (await listStockCreators()).find((c) => c.slug === 'mia');
  const miaFace = sourceBoxInFrame(stockCreatorRig(mia).face, await sizeOf(creatorImagePath(mia)), FRAME);
  const photo = join(ROOT, 'test/fixtures/astronaut.jpg');
  const photoFace = sourceBoxInFrame((await photoRig(photo, env.UGC_CONFIG_DIR, tools)).face, await sizeOf(photo), FRAME);
  const rows = [await row('mia', ['--creator', 'mia'], miaFace), await row('photo', ['--image', photo, '--voice', 'en-us-female'], photoFace)];
  mkdirSync(dirname(OUT), { recursive: true });
  execFileSync(tools.ffmpeg.path, ['-v', 'error', '-y', ...rows.flatMap((r) => ['-i', r]), '-filter_complex', `vstack=inputs=${rows.length}`, '-q:v', '6', OUT]);
  console.log(OUT);
} finally {
  rmSync(work, { recursive: true, force: true });
}
