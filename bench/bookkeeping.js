// A batch's bookkeeping: the manifest work `ugc batch` does for each row (read the row's entry, mark it submitted,
// mark it completed) in manifests of 1,000, 10,000 and 100,000 rows, against the floor of appending the same
// number of lines to a plain file; and `ugc batch --dry-run` of 100,000 rows. Results in bench/results/bookkeeping.json.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { Manifest } from '../dist/batch/manifest.js';

const BIN = new URL('../bin/ugc.js', import.meta.url).pathname;
const RESULTS = new URL('./results/', import.meta.url).pathname;
const SIZES = [1_000, 10_000, 100_000];
/** Rows timed per size: all of a small batch, an even spread of a big one (the per-row cost is what is compared). */
const TIMED_ROWS = 2_000;
const DRY_RUN_ROWS = 100_000;

const round = (n, digits = 3) => Number(n.toFixed(digits));

async function measureSize(work, size) {
  const out = join(work, `out-${size}`);
  const jobs = Array.from({ length: size }, (_, i) => ({ key: randomUUID(), row: i + 1, name: `ad-${i}`, provider: 'local' }));
  let started = performance.now();
  const manifest = await Manifest.open(out, { rowsFile: join(work, 'rows.csv'), totalJobs: size });
  await manifest.register(jobs);
  const setupMs = performance.now() - started;

  const step = Math.max(1, Math.floor(size / TIMED_ROWS));
  const timed = jobs.filter((_, i) => i % step === 0).slice(0, TIMED_ROWS);
  started = performance.now();
  for (const job of timed) {
    await manifest.get(job.key);
    await manifest.update(job.key, { state: 'submitted', jobId: `job_${job.row}`, provider: 'local', error: null });
    await manifest.update(job.key, { state: 'completed', jobId: `job_${job.row}`, remoteId: null, outputPath: join(out, `${job.name}.mp4`), error: null });
  }
  const perRowMs = (performance.now() - started) / timed.length;

  // The floor: two appended lines of the same length per row, to a file of its own.
  const floorFile = join(out, 'floor.jsonl');
  const line = `${JSON.stringify({ entry: await manifest.get(timed[0].key) })}\n`;
  started = performance.now();
  for (let i = 0; i < timed.length * 2; i++) await appendFile(floorFile, line);
  const floorPerRowMs = (performance.now() - started) / timed.length;

  started = performance.now();
  await Manifest.open(out, { rowsFile: join(work, 'rows.csv'), totalJobs: size });
  const reopenMs = performance.now() - started;
  await rm(out, { recursive: true, force: true });
  return {
    rows: size,
    timedRows: timed.length,
    perRowMs: round(perRowMs),
    floorPerRowMs: round(floorPerRowMs),
    ratioToFloor: round(perRowMs / floorPerRowMs, 2),
    openAndRegisterMs: round(setupMs, 0),
    // What a row costs all told in a batch of this size: its own work plus its share of opening and registering.
    perRowAllInMs: round(perRowMs + setupMs / size),
    reopenAndCompactMs: round(reopenMs, 0),
  };
}

async function measureDryRun(work) {
  const lines = ['name,script,creator,captions'];
  const creators = ['mia', 'leo', 'ava'];
  for (let i = 0; i < DRY_RUN_ROWS; i++) lines.push(`ad-${i},"Honestly, product number ${i} surprised me.",${creators[i % creators.length]},none`);
  await writeFile(join(work, 'rows.csv'), `${lines.join('\n')}\n`);
  const env = { ...process.env, UGC_CONFIG_DIR: join(work, 'config'), CI: 'true', TIMEFORMAT: '%U %S' };
  const started = performance.now();
  // bash's `time` gives the CPU seconds too: on a shared machine the wall time also counts other processes' turns.
  const { stderr } = await execa('bash', ['-c', `time "${process.execPath}" "${BIN}" batch rows.csv --out dry --dry-run --json > /dev/null`], { cwd: work, env });
  const seconds = (performance.now() - started) / 1000;
  const [user, system] = stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { rows: DRY_RUN_ROWS, seconds: round(seconds, 2), cpuSeconds: round(user + system, 2), loadAverage: round(loadavg()[0], 1) };
}

export async function benchBookkeeping() {
  const work = await mkdtemp(join(tmpdir(), 'ugc-bench-bookkeeping-'));
  try {
    const sizes = [];
    for (const size of SIZES) sizes.push(await measureSize(work, size));
    const dryRun = await measureDryRun(work);
    const result = { date: new Date().toISOString(), targets: { perRowMs: 5, dryRunSeconds: 10 }, sizes, dryRun };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'bookkeeping.json'), `${JSON.stringify(result, null, 2)}\n`);
    const rows = sizes.map((s) => `${s.rows} rows ${s.perRowMs} ms/row (all in ${s.perRowAllInMs}, floor ${s.floorPerRowMs})`).join('; ');
    console.log(`bookkeeping: ${rows}; --dry-run of ${dryRun.rows} rows ${dryRun.seconds} s (${dryRun.cpuSeconds} s of CPU, load average ${dryRun.loadAverage})`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
