import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { getProvider } from '../providers/index.js';
import { RemoteProvider } from '../providers/remote.js';
import { formatRowErrors, parseRowsFile, rowErrorFor, validateRows, type BatchJob, type RowError } from './rows.js';

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
  for (const job of jobs) {
    try {
      await (await getProvider(job.provider ?? defaultProvider)).validate(ctx, job.request);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      providerErrors.push(rowErrorFor(job, error));
    }
  }
  const all = [...errors, ...providerErrors].sort((a, b) => a.row - b.row);
  if (all.length > 0) throw new UsageError(`${all.length} problem${all.length === 1 ? '' : 's'} in ${rowsFile}; nothing was rendered or spent:\n${formatRowErrors(all)}`);
  if (jobs.length === 0) throw new UsageError(`${rowsFile} has no rows`);
  return jobs;
}

/** Credits per job: the provider's estimate endpoint, zero for local renders, null where a provider cannot say. */
export async function estimateJobs(ctx: Context, jobs: BatchJob[], defaultProvider: ProviderName): Promise<(number | null)[]> {
  const estimates: (number | null)[] = [];
  for (const job of jobs) {
    const provider = await getProvider(job.provider ?? defaultProvider);
    if (!(provider instanceof RemoteProvider)) estimates.push(0);
    else if (!provider.adapter.estimate) estimates.push(null);
    else estimates.push((await provider.adapter.estimate(await provider.client(ctx), job.request)).credits);
  }
  return estimates;
}

/**
 * How many jobs run at once. Local renders: half the cores. One render's encode already keeps two cores
 * busy (two renders at once on two cores measured no faster: bench/results/batch.json), while x264 gains
 * little past a few threads, so bigger machines do better with several renders. vidgen allows one active
 * job per key; other providers default to 4.
 */
export function defaultConcurrency(providers: Set<ProviderName>): number {
  if (providers.has('vidgen')) return 1;
  if (providers.size === 1 && providers.has('local')) return Math.max(1, Math.floor(cpus().length / 2));
  return 4;
}

export function concurrencyFor(requested: string | undefined, providers: Set<ProviderName>): number {
  if (requested === undefined) return defaultConcurrency(providers);
  const n = Number(requested);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError('--concurrency must be a whole number from 1 to 64');
  // vidgen refuses a second active job per key: more would only queue up behind its 409.
  return providers.has('vidgen') ? 1 : n;
}
