#!/usr/bin/env node
// Renders one short ad per aspect and platform with the built CLI (hook, box captions, the product cut in,
// the end card) and tiles four moments of each into one JPEG per aspect, for the README. The platform's safe
// zone is outlined in cyan and the face the layout keeps clear in magenta (drawn on the sheet, not the ad).
//
// Usage: npm run build && node scripts/layout-sheet.mjs [out-dir]   (default docs/): layout-9x16.jpg,
//   layout-1x1.jpg, layout-16x9.jpg; a row per platform, columns: hook, captions, product shot, end card.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const { locateFfmpeg } = await import(join(ROOT, 'dist/render/ffmpeg/locate.js'));
const { listStockCreators, stockCreatorRig, creatorImagePath } = await import(join(ROOT, 'dist/render/creators.js'));
const { sourceBoxInFrame } = await import(join(ROOT, 'dist/render/framing.js'));
const { planLayout, creatorPanel } = await import(join(ROOT, 'dist/render/layout.js'));
const { FRAME_SIZES } = await import(join(ROOT, 'dist/render/types.js'));

const OUT_DIR = process.argv[2] ?? join(ROOT, 'docs');
const CREATOR = 'sofia';
const SCRIPT = 'Okay, stop scrolling. My skin was a mess for years. Then I tried Glow Serum and wow. It absorbs fast and never feels sticky. Grab yours today.';
const PLATFORMS = ['tiktok', 'reels', 'shorts', 'generic'];
const ASPECTS = ['9:16', '1:1', '16:9'];
const TILE_HEIGHT = 480;

const tools = await locateFfmpeg();
const ff = (args) => execFileSync(tools.ffmpeg.path, ['-v', 'error', '-y', ...args]);
const work = mkdtempSync(join(tmpdir(), 'ugc-layout-sheet-'));
const env = { ...process.env, UGC_CONFIG_DIR: join(work, 'config'), CI: 'true' };

/** Start of the first word of the VTT cue text matching `word` (word-timed VTT: `<hh:mm:ss.mmm>` before each word). */
function wordStart(vtt, word) {
  for (const block of vtt.split('\n\n')) {
    const [timing, text] = block.split('\n');
    if (!text || !timing?.includes('-->')) continue;
    const cueStart = timing.split(' --> ')[0];
    const parts = text.split(/<(\d\d:\d\d:\d\d\.\d\d\d)>/);
    let at = cueStart;
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 1) at = parts[i];
      else if (parts[i].includes(word)) return seconds(at);
    }
  }
  throw new Error(`"${word}" is not in the subtitles`);
}
const seconds = (t) => t.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
const box = (r, colour) => `drawbox=x=${r.x}:y=${r.y}:w=${r.width}:h=${r.height}:color=${colour}:t=6`;

try {
  const product = join(work, 'serum.png');
  // A stand-in product photo: a bottle-shaped block on a soft backdrop.
  ff(['-f', 'lavfi', '-i', 'color=c=0xf3e6da:s=900x1200', '-vf', 'drawbox=x=330:y=260:w=240:h=700:c=0xd9823b:t=fill,drawbox=x=380:y=160:w=140:h=110:c=0x333333:t=fill,drawbox=x=350:y=520:w=200:h=180:c=white:t=fill', '-frames:v', '1', product]);
  const sofia = (await listStockCreators()).find((c) => c.slug === CREATOR);
  const head = readFileSync(creatorImagePath(sofia)).subarray(16, 24);
  const source = { width: head.readUInt32BE(0), height: head.readUInt32BE(4) };
  mkdirSync(OUT_DIR, { recursive: true });
  for (const aspect of ASPECTS) {
    const frame = FRAME_SIZES[aspect];
    const face = sourceBoxInFrame(stockCreatorRig(sofia).face, source, creatorPanel(aspect, frame));
    const rows = [];
    for (const platform of PLATFORMS) {
      const name = `${aspect.replace(':', 'x')}-${platform}`;
      const ad = join(work, `${name}.mp4`);
      execFileSync(process.execPath, [join(ROOT, 'bin/ugc.js'), 'generate', '--quiet', '--script', SCRIPT, '--creator', CREATOR, '--aspect', aspect, '--platform', platform,
        '--captions', 'box', '--hook', 'My skin in 10 days', '--product-image', product, '--product-name', 'Glow Serum', '--cta', 'Shop now', '--url', 'glow.example',
        '--subtitles', 'vtt', '--out', ad], { env });
      const vtt = readFileSync(ad.replace(/\.mp4$/, '.vtt'), 'utf8');
      const duration = Number(execFileSync(tools.ffprobe.path, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', ad]).toString());
      const layout = planLayout({ frame, aspect, platform, face });
      const times = [0.8, wordStart(vtt, 'years') - 0.1, wordStart(vtt, 'Glow') + 1.2, duration - 0.3];
      const guides = `${box(layout.safe, 'cyan')},${box(layout.face, 'magenta')}`;
      const tiles = times.map((t, i) => {
        const file = join(work, `${name}-${i}.png`);
        ff(['-ss', t.toFixed(2), '-i', ad, '-frames:v', '1', '-vf', `${i < 2 ? `${guides},` : `${box(layout.safe, 'cyan')},`}scale=-2:${TILE_HEIGHT}`, file]);
        return file;
      });
      const row = join(work, `${name}.png`);
      ff([...tiles.flatMap((t) => ['-i', t]), '-filter_complex', `hstack=inputs=${tiles.length}`, row]);
      rows.push(row);
    }
    const out = join(OUT_DIR, `layout-${aspect.replace(':', 'x')}.jpg`);
    ff([...rows.flatMap((r) => ['-i', r]), '-filter_complex', `vstack=inputs=${rows.length}`, '-q:v', '7', out]);
    console.log(out);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
