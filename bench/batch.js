// A 12-row local batch at concurrency 1, at the default (half the cores) and one per core: time per ad and speed-up,
// in bench/results/batch.json.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';

const BIN = new URL('../bin/ugc.js', import.meta.url).pathname;
const RESULTS = new URL('./results/', import.meta.url).pathname;
const ROWS = 12;
const CREATORS = ['mia', 'leo', 'ava', 'noah', 'sofia', 'lucas'];

export async function benchBatch() {
  const work = await mkdtemp(join(tmpdir(), 'ugc-bench-batch-'));
  try {
    const lines = ['name,script,creator,captions'];
    for (let i = 0; i < ROWS; i++) lines.push(`ad-${i},"Honestly, product number ${i} surprised me. I use it every single day now, and you should try it.",${CREATORS[i % CREATORS.length]},karaoke`);
    await writeFile(join(work, 'rows.csv'), `${lines.join('\n')}\n`);
    const run = async (out, concurrency) => {
      const env = { ...process.env, UGC_CONFIG_DIR: join(work, 'config'), CI: 'true' };
      const args = [BIN, 'batch', 'rows.csv', '--out', out, '--quiet', ...(concurrency ? ['--concurrency', String(concurrency)] : [])];
      const started = performance.now();
      await execa(process.execPath, args, { cwd: work, env });
      return (performance.now() - started) / 1000;
    };
    const figures = (seconds) => ({ seconds: Number(seconds.toFixed(2)), secondsPerAd: Number((seconds / ROWS).toFixed(2)) });
    const serial = await run('serial', 1);
    const parallel = await run('default', null);
    const perCore = await run('per-core', cpus().length);
    const result = {
      date: new Date().toISOString(),
      rows: ROWS,
      cpus: cpus().length,
      defaultConcurrency: Math.max(1, Math.floor(cpus().length / 2)),
      concurrency1: figures(serial),
      defaultConcurrencyRun: figures(parallel),
      speedUp: Number((serial / parallel).toFixed(3)),
      // The alternative default: one render per core.
      concurrencyPerCore: { concurrency: cpus().length, ...figures(perCore), speedUp: Number((serial / perCore).toFixed(3)) },
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'batch.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`batch: ${ROWS} ads at concurrency 1 in ${result.concurrency1.seconds} s (${result.concurrency1.secondsPerAd} s/ad); at the default (${result.defaultConcurrency}) in ${result.defaultConcurrencyRun.seconds} s, speed-up ${result.speedUp}x; one per core (${cpus().length}) speed-up ${result.concurrencyPerCore.speedUp}x`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
