import { dirname, resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { withSharedReads } from '../core/shared-reads.js';
import { getProvider, requirePart, type ProviderDefinition } from '../providers/registry.js';
import { runPool } from './pool.js';
import { formatRowErrors, parseRowsFile, rowErrorFor, validateRows, type BatchJob, type RowError } from './rows.js';

/** Rows checked (or estimated) at once. */
const CHECKS_AT_ONCE = 16;

/**
 * Reads and checks every row before anything is spent or rendered: the rows' own schema, then each
 * job against its provider (files are what they claim, creators and voices exist). All problems are
 * reported at once, each with its row and field (exit 2).
 */
export async function planBatch(ctx: Context, rowsFile: string, defaultProvider: ProviderName): Promise<BatchJob[]> {
  const path = resolve(ctx.cwd, rowsFile);
  const rows = await parseRowsFile(path);
  const { jobs, errors } = validateRows(rows, { cwd: dirname(path), defaults: { provider: defaultProvider } });
  const providerErrors: RowError[] = [];
  // The checks wait on files, catalogs and ffprobe: many at once keep a big batch's check short. Each
  // catalog is read once for all rows.
  await withSharedReads(() =>
    runPool(jobs, CHECKS_AT_ONCE, async (job) => {
      try {
        await requirePart(getProvider(job.provider ?? defaultProvider), 'jobs', 'batch').validate(ctx, job.request);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        providerErrors.push(rowErrorFor(job, error));
      }
    }),
  );
  const all = [...errors, ...providerErrors].sort((a, b) => a.row - b.row);
  if (all.length > 0) throw new UsageError(`${all.length} problem${all.length === 1 ? '' : 's'} in ${rowsFile}; nothing was rendered or spent:\n${formatRowErrors(all)}`);
  if (jobs.length === 0) throw new UsageError(`${rowsFile} has no rows`);
  return jobs;
}

/** Credits per job: the provider's estimate, null where a provider cannot say. */
export async function estimateJobs(ctx: Context, jobs: BatchJob[], defaultProvider: ProviderName): Promise<(number | null)[]> {
  return withSharedReads(() =>
    runPool(jobs, CHECKS_AT_ONCE, async (job) => {
      const estimate = getProvider(job.provider ?? defaultProvider).estimate;
      return estimate ? (await estimate(ctx, job.request)).credits : null;
    }),
  );
}

/**
 * How many jobs run at once: the providers' own defaults (local renders: half the cores; remote: 4),
 * the smallest where a batch mixes providers, and never more than a provider allows (vidgen: one
 * active job per key) or than the jobs' slots allow (`slots`: a model runner that holds one prediction
 * at a time takes one row at a time).
 */
export function concurrencyFor(requested: number | undefined, providers: ProviderDefinition[], slots: number | null = null): number {
  const parts = providers.map((p) => requirePart(p, 'jobs', 'batch'));
  const limit = Math.min(...parts.map((jobs) => jobs.maxConcurrency ?? Infinity), slots ?? Infinity);
  return Math.min(requested ?? Math.min(...parts.map((jobs) => jobs.defaultConcurrency)), limit);
}

/** The jobs' slot limit: each provider's for its own jobs (e.g. the model runners they use), the smallest; null when none limits. */
export async function slotsOf(ctx: Context, jobs: BatchJob[], defaultProvider: ProviderName): Promise<number | null> {
  const byProvider = new Map<ProviderName, BatchJob[]>();
  for (const job of jobs) {
    const name = job.provider ?? defaultProvider;
    const own = byProvider.get(name) ?? [];
    own.push(job);
    byProvider.set(name, own);
  }
  let limit: number | null = null;
  for (const [name, own] of byProvider) {
    const slots = await requirePart(getProvider(name), 'jobs', 'batch').slotsFor?.(ctx, own.map((j) => j.request));
    if (slots !== undefined && slots !== null) limit = Math.min(limit ?? Infinity, slots);
  }
  return limit;
}
