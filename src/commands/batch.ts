import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { ExitCode, UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { checkOutputWritable } from '../core/output-path.js';
import { printJson, printLine, printTable } from '../core/present.js';
import { resolveProviderName } from '../core/profiles.js';
import { executeJob, type RowResult } from '../batch/execute.js';
import { MANIFEST_FILE, Manifest, ManifestFileSchema } from '../batch/manifest.js';
import { concurrencyFor, estimateJobs, planBatch } from '../batch/plan.js';
import { runPool } from '../batch/pool.js';
import { summarise, writeJunitReport } from '../batch/report.js';
import type { BatchJob } from '../batch/rows.js';
import { withInterrupt } from './interrupt.js';

export interface BatchFlags {
  out?: string;
  concurrency?: string;
  maxCredits?: string;
  dryRun?: boolean;
  report?: string;
  queue?: string;
  retryFailed?: boolean;
}

/** Keys of jobs an earlier run completed (read only: a dry run writes nothing). */
async function completedKeys(outDir: string): Promise<Set<string>> {
  try {
    const file = ManifestFileSchema.parse(JSON.parse(await readFile(join(outDir, MANIFEST_FILE), 'utf8')));
    return new Set(Object.values(file.entries).filter((e) => e.state === 'completed').map((e) => e.key));
  } catch {
    return new Set();
  }
}

export default async function batch(ctx: Context, rowsFile: string, flags: BatchFlags): Promise<number> {
  const defaultProvider = await resolveProviderName(ctx);
  const jobs = await planBatch(ctx, rowsFile, defaultProvider);
  const providers = new Set<ProviderName>(jobs.map((j) => j.provider ?? defaultProvider));
  const concurrency = concurrencyFor(flags.concurrency, providers);
  const outDir = resolve(ctx.cwd, flags.out ?? 'ugc-out');
  await checkOutputWritable(join(outDir, MANIFEST_FILE));

  const done = await completedKeys(outDir);
  const todo = jobs.filter((j) => !done.has(j.key));
  const estimates = await estimateJobs(ctx, todo, defaultProvider);
  const known = estimates.every((e) => e !== null);
  const totalCredits = estimates.reduce<number>((sum, e) => sum + (e ?? 0), 0);
  if (flags.maxCredits !== undefined) {
    const max = Number(flags.maxCredits);
    if (!Number.isFinite(max) || max < 0) throw new UsageError('--max-credits must be a number of credits');
    if (!known) throw new UsageError(`cannot estimate the cost of every row (a provider without an estimate endpoint), so --max-credits ${max} cannot be guaranteed`);
    if (totalCredits > max) throw new UsageError(`the batch would cost ${totalCredits} credits, over --max-credits ${max}; nothing was submitted`);
  }
  if (flags.dryRun) return printPlan(ctx, jobs, done, todo, estimates, { totalCredits, known, concurrency, outDir, defaultProvider });

  const manifest = await Manifest.open(outDir, { rowsFile: resolve(ctx.cwd, rowsFile), totalJobs: jobs.length });
  await manifest.register(jobs.map((j) => ({ key: j.key, row: j.row, name: j.name, provider: j.provider ?? defaultProvider })));
  const progress = new BatchProgress(ctx, jobs.length);
  const results = await withInterrupt(ctx, async (signal) => {
    if (flags.queue) {
      const { runOnQueue } = await import('../batch/queue.js');
      return runOnQueue(ctx, jobs, { redisUrl: flags.queue, outDir, rowsFile: resolve(ctx.cwd, rowsFile), defaultProvider, retryFailed: Boolean(flags.retryFailed), signal, onResult: (r) => progress.finished(r) });
    }
    return runPool(jobs, concurrency, async (job) => {
      const result = await executeJob(ctx, job, { outDir, manifest, defaultProvider, retryFailed: Boolean(flags.retryFailed), signal });
      progress.finished(result);
      return result;
    });
  }).finally(() => progress.stop());

  const summary = summarise(results);
  if (flags.report) await writeJunitReport(resolve(ctx.cwd, flags.report), results, basename(rowsFile));
  if (ctx.global.json) printJson(ctx, { outDir, ...summary });
  else printLine(ctx, `${summary.completed} of ${summary.total} completed${summary.failed ? `, ${summary.failed} failed` : ''}${summary.skipped ? ` (${summary.skipped} from an earlier run)` : ''}: ${outDir}`);
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
  if (ctx.global.json) {
    printJson(ctx, { dryRun: true, jobs: plan, totalCredits: info.known ? info.totalCredits : null, concurrency: info.concurrency, outDir: info.outDir });
    return ExitCode.Ok;
  }
  await printTable(ctx, ['ROW', 'NAME', 'PROVIDER', 'CREATOR', 'ASPECT', 'ACTION', 'CREDITS'], plan.map((p) => [p.row, p.name, p.provider, p.creator, p.aspect, p.action, p.credits ?? '?']));
  printLine(ctx, `${todo.length} of ${jobs.length} to generate, ${info.known ? info.totalCredits : `at least ${info.totalCredits}`} credits, ${info.concurrency} at a time. Nothing was spent (dry run).`);
  return ExitCode.Ok;
}

/**
 * Batch progress on stderr: one summary line kept up to date for a person at a terminal; otherwise one
 * plain line per finished row (readable in CI logs).
 */
class BatchProgress {
  private done = 0;
  private failed = 0;

  constructor(
    private readonly ctx: Context,
    private readonly total: number,
  ) {}

  finished(result: RowResult): void {
    this.done++;
    if (result.status === 'failed') this.failed++;
    if (this.ctx.global.quiet) return;
    if (this.ctx.fancy) {
      this.ctx.io.stderr.write(`\r\u001b[2K${this.done}/${this.total} done, ${this.failed} failed — last: ${result.name} ${result.status}`);
      return;
    }
    const where = result.status === 'completed' ? (result.outputPath ?? '') : (result.error ?? '');
    this.ctx.io.stderr.write(`[${this.done}/${this.total}] ${result.status}${result.skipped ? ' (earlier run)' : ''} row ${result.row} ${result.name} ${where}\n`);
  }

  stop(): void {
    if (this.ctx.fancy && !this.ctx.global.quiet && this.done > 0) this.ctx.io.stderr.write('\n');
  }
}
