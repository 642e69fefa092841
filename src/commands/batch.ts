import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { ExitCode, UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { checkOutputWritable } from '../core/output-path.js';
import { note, output } from '../core/present.js';
import { ProgressDisplay } from '../core/progress.js';
import { printable } from '../core/terminal-text.js';
import { currentProvider, getProvider } from '../providers/registry.js';
import { executeJob, type RowResult } from '../batch/execute.js';
import { MANIFEST_FILE, Manifest } from '../batch/manifest.js';
import { claimOutDir, describeOwner } from '../batch/out-lock.js';
import { concurrencyFor, estimateJobs, planBatch, slotsOf } from '../batch/plan.js';
import { runPool } from '../batch/pool.js';
import { summarise, writeJunitReport } from '../batch/report.js';
import type { BatchJob } from '../batch/rows.js';
import { defineCommand, isWholeIn, number, text, toggle, type FlagValues } from './define.js';
import { withInterrupt } from './interrupt.js';

const flags = {
  out: text('<dir>', 'output directory (default ./ugc-out); holds the resume manifest', { short: 'o' }),
  concurrency: number('<n>', "rows at once (default: half the cores for local renders, the provider's limit otherwise)", 'a whole number from 1 to 64', isWholeIn(1, 64)),
  maxCredits: number('<n>', 'refuse to start if the estimate is higher', 'a number of credits', (n) => n >= 0),
  dryRun: toggle('print the plan and the credit estimate; spend nothing'),
  report: text('<junit.xml>', 'write a JUnit report for CI'),
  queue: text('<redis-url>', 'put the rows on a BullMQ queue for `ugc worker` processes'),
  retryFailed: toggle('also redo rows that failed in an earlier run'),
  wait: toggle('if another ugc batch is using --out, wait for it to finish instead of exiting 2'),
};

/** Keys of jobs an earlier run completed (read only: a dry run writes nothing). */
async function completedKeys(outDir: string): Promise<Set<string>> {
  const file = await Manifest.load(outDir);
  return new Set(Object.values(file?.entries ?? {}).filter((e) => e.state === 'completed').map((e) => e.key));
}

export default defineCommand({
  args: ['rows'],
  flags,
  examples: ['ugc batch templates/batch-sample.csv --out ads/', 'ugc batch rows.csv --provider unrealugc --dry-run --max-credits 5000', 'ugc batch rows.jsonl --out /shared/ads --queue redis://redis:6379 --report junit.xml'],
  async run(ctx, { rows, ...options }) {
    const display = ProgressDisplay.start(ctx, 'Batch');
    try {
      return await batch(ctx, rows, options, display);
    } finally {
      display.stop();
    }
  },
});

async function batch(ctx: Context, rowsFile: string, options: FlagValues<typeof flags>, display: ProgressDisplay): Promise<number> {
  const { out, concurrency: requested, maxCredits, dryRun, report, queue, retryFailed, wait } = options;
  if (ctx.fancy) display.update('reading rows', 0);
  const defaultProvider = (await currentProvider(ctx)).name;
  const jobs = await planBatch(ctx, rowsFile, defaultProvider);
  const providers = [...new Set<ProviderName>(jobs.map((j) => j.provider ?? defaultProvider))].map(getProvider);
  const concurrency = concurrencyFor(requested, providers, await slotsOf(ctx, jobs, defaultProvider));
  const outDir = resolve(ctx.cwd, out ?? 'ugc-out');
  await checkOutputWritable(join(outDir, MANIFEST_FILE));

  const done = await completedKeys(outDir);
  const todo = jobs.filter((j) => !done.has(j.key));
  const estimates = await estimateJobs(ctx, todo, defaultProvider);
  const known = estimates.every((e) => e !== null);
  const totalCredits = estimates.reduce<number>((sum, e) => sum + (e ?? 0), 0);
  if (maxCredits !== undefined) {
    const max = maxCredits;
    if (!known) throw new UsageError(`cannot estimate the cost of every row (a provider without an estimate endpoint), so --max-credits ${max} cannot be guaranteed`);
    if (totalCredits > max) throw new UsageError(`the batch would cost ${totalCredits} credits, over --max-credits ${max}; nothing was submitted`);
  }
  display.stop();
  if (dryRun) return printPlan(ctx, jobs, done, todo, estimates, { totalCredits, known, concurrency, outDir, defaultProvider });

  const progress = new BatchProgress(ctx, jobs.length, ProgressDisplay.start(ctx, `Batch of ${jobs.length}`));
  const results = await withInterrupt(async (signal) => {
    await mkdir(outDir, { recursive: true });
    const claim = await claimOutDir(outDir, { wait: Boolean(wait), signal, onWait: (owner) => note(ctx, `waiting for the ugc batch using ${outDir} (${describeOwner(owner)}) to finish…`) });
    try {
      const manifest = await Manifest.open(outDir, { rowsFile: resolve(ctx.cwd, rowsFile), totalJobs: jobs.length });
      await manifest.register(jobs.map((j) => ({ key: j.key, row: j.row, name: j.name, provider: j.provider ?? defaultProvider })));
      if (queue) {
        const { runOnQueue } = await import('../batch/queue.js');
        return await runOnQueue(ctx, jobs, { redisUrl: queue, outDir, manifest, rowsFile: resolve(ctx.cwd, rowsFile), defaultProvider, retryFailed: Boolean(retryFailed), signal, onResult: (r) => progress.finished(r), onNote: (line) => note(ctx, line) });
      }
      return await runPool(jobs, concurrency, async (job) => {
        const result = await executeJob(ctx, job, { outDir, manifest, defaultProvider, retryFailed: Boolean(retryFailed), signal });
        progress.finished(result);
        return result;
      });
    } finally {
      await claim.release();
    }
  }).finally(() => progress.stop());

  const summary = summarise(results);
  if (report) await writeJunitReport(resolve(ctx.cwd, report), results, basename(rowsFile));
  await output(ctx, { outDir, ...summary }, (s) => `${s.completed} of ${s.total} completed${s.failed ? `, ${s.failed} failed` : ''}${s.skipped ? ` (${s.skipped} from an earlier run)` : ''}: ${outDir}`);
  return summary.failed > 0 ? ExitCode.JobFailed : ExitCode.Ok;
}

async function printPlan(
  ctx: Context,
  jobs: BatchJob[],
  done: Set<string>,
  todo: BatchJob[],
  estimates: (number | null)[],
  info: { totalCredits: number; known: boolean; concurrency: number; outDir: string; defaultProvider: ProviderName },
): Promise<number> {
  const credits = new Map(todo.map((job, i) => [job.key, estimates[i] ?? null]));
  const plan = jobs.map((job) => ({
    row: job.row,
    name: job.name,
    provider: job.provider ?? info.defaultProvider,
    creator: job.request.creator ?? (job.request.image ? 'image' : null),
    aspect: job.request.aspect,
    action: done.has(job.key) ? 'skip (done)' : 'generate',
    credits: done.has(job.key) ? 0 : credits.get(job.key),
  }));
  await output(ctx, { dryRun: true, jobs: plan, totalCredits: info.known ? info.totalCredits : null, concurrency: info.concurrency, outDir: info.outDir }, {
    head: ['ROW', 'NAME', 'PROVIDER', 'CREATOR', 'ASPECT', 'ACTION', 'CREDITS'],
    rows: (p) => p.jobs.map((j) => [j.row, j.name, j.provider, j.creator, j.aspect, j.action, j.credits ?? '?']),
    footer: () => `${todo.length} of ${jobs.length} to generate, ${info.known ? info.totalCredits : `at least ${info.totalCredits}`} credits, ${info.concurrency} at a time. Nothing was spent (dry run).`,
  });
  return ExitCode.Ok;
}

/**
 * Batch progress on stderr: the bar for a person at a terminal (rows done, failed, the last one);
 * otherwise one plain line per finished row (readable in CI logs).
 */
class BatchProgress {
  private done = 0;
  private failed = 0;

  constructor(
    private readonly ctx: Context,
    private readonly total: number,
    private readonly display: ProgressDisplay,
  ) {
    if (ctx.fancy) display.update(`0/${total} done`, 0);
  }

  finished(result: RowResult): void {
    this.done++;
    if (result.status === 'failed') this.failed++;
    if (this.ctx.global.quiet) return;
    if (this.ctx.fancy) {
      this.display.update(`${this.done}/${this.total} done, ${this.failed} failed, last: ${printable(result.name)} ${result.status}`, Math.round((this.done / this.total) * 100));
      return;
    }
    const where = result.status === 'completed' ? (result.outputPath ?? '') : (result.error ?? '');
    this.ctx.io.stderr.write(`[${this.done}/${this.total}] ${result.status}${result.skipped ? ' (earlier run)' : ''} row ${result.row} ${printable(`${result.name} ${where}`)}\n`);
  }

  stop(): void {
    this.display.stop();
  }
}
