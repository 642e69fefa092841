// A marketer's 30 s ad (hook, karaoke captions, the product cut in where it is named, the end card, music)
// against the still-image floor measured in the same run: bench/results/layout.json. Target: within 1.5x.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { CONTAINER_ARGS, VIDEO_CODEC_ARGS } from '../dist/render/compose.js';
import { locateFfmpeg } from '../dist/render/ffmpeg/locate.js';
import { durationOf, probe } from '../dist/render/ffmpeg/probe.js';

const BIN = new URL('../bin/ugc.js', import.meta.url).pathname;
const RESULTS = new URL('./results/', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SCRIPT =
  'Okay, I need to tell you about this because it honestly changed my skin. ' +
  'I was breaking out every single week, and nothing I tried was working. ' +
  'Then a friend told me about Glow Serum, and within ten days my skin was calmer, brighter and so much smoother. ' +
  'It absorbs fast, it is not sticky, and a single bottle lasts me two months. ' +
  'If you have been struggling like I was, please just try it for a week and see for yourself. ' +
  'Trust me, your skin will thank you.';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (xs) => xs.map((t) => Number(t.toFixed(2)));

async function timed(fn) {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

export async function benchLayout() {
  const tools = await locateFfmpeg();
  const ff = tools.ffmpeg.path;
  const work = await mkdtemp(join(tmpdir(), 'ugc-bench-layout-'));
  const env = { ...process.env, UGC_CONFIG_DIR: join(work, 'config'), CI: 'true' };
  try {
    const music = join(work, 'music.wav');
    const product = join(work, 'product.png');
    await execa(ff, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=f=220:d=12', '-f', 'lavfi', '-i', 'sine=f=330:d=12', '-filter_complex', 'amix=inputs=2,volume=2', music]);
    await execa(ff, ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=0xf3e6da:s=900x1200', '-vf', 'drawbox=x=330:y=260:w=240:h=700:c=0xd9823b:t=fill', '-frames:v', '1', product]);
    const ad = join(work, 'ad.mp4');
    const generate = () =>
      execa(process.execPath, [BIN, 'generate', '--quiet', '--script', SCRIPT, '--creator', 'mia', '--captions', 'karaoke', '--hook', 'My skin in 10 days', '--music', music,
        '--product-image', product, '--product-name', 'Glow Serum', '--cta', 'Shop now', '--url', 'glow.example', '--platform', 'tiktok', '--out', ad], { env });

    // The floor: the stock creator's picture encoded with the ad's own audio at the same settings, the frame
    // repeated by the loop filter: what any ad of this length costs at the least.
    await generate();
    const seconds = durationOf(await probe(tools.ffprobe.path, ad), 'video');
    const still = join(work, 'still.png');
    const audio = join(work, 'audio.wav');
    await execa(ff, ['-v', 'error', '-i', new URL('../templates/creators/mia.png', import.meta.url).pathname, '-vf', 'scale=1080:1920', still]);
    await execa(ff, ['-v', 'error', '-i', ad, '-vn', '-c:a', 'pcm_s16le', audio]);
    const floor = () =>
      execa(ff, ['-v', 'error', '-y', '-i', still, '-i', audio, '-filter_complex', '[0:v]loop=loop=-1:size=1:start=0,setpts=N/30/TB[v]', '-map', '[v]', '-map', '1:a', ...VIDEO_CODEC_ARGS, '-c:a', 'aac', '-b:a', '192k', '-t', seconds.toFixed(3), ...CONTAINER_ARGS, join(work, 'floor.mp4')]);

    const times = { pipeline: [], floor: [] };
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so drift in the machine's load affects both alike.
      times.floor.push(await timed(floor));
      times.pipeline.push(await timed(generate));
    }
    const layout = {
      adSeconds: Number(seconds.toFixed(2)),
      features: ['hook', 'karaoke captions', 'product cut-in', 'end card', 'music', 'talking creator'],
      pipelineSeconds: Number(median(times.pipeline).toFixed(2)),
      floorSeconds: Number(median(times.floor).toFixed(2)),
      ratio: Number((median(times.pipeline) / median(times.floor)).toFixed(3)),
      target: 1.5,
      runs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(v)])),
    };
    const result = { date: new Date().toISOString(), machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version }, ffmpeg: tools.ffmpeg, layout };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'layout.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`layout: ${layout.adSeconds} s ad (hook, captions, product cut-in, end card) in ${layout.pipelineSeconds} s; floor ${layout.floorSeconds} s; ratio ${layout.ratio} (target <= ${layout.target})`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
