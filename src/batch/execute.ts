import { dirname, resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { InterruptedError, UgcError } from '../core/errors.js';
import { isTerminal, newJobId, type Job, type ProviderName } from '../core/job.js';
import { follow, isDeliveredAt } from '../providers/follow.js';
import type { JobsPart } from '../providers/definition.js';
import { getProvider, requirePart } from '../providers/registry.js';
import type { Manifest } from './manifest.js';
import type { BatchJob } from './rows.js';

export type RowStatus = 'completed' | 'failed';

/** How one batch job ended, for progress lines, the summary and the JUnit report. */
export interface RowResult {
  key: string;
  row: number;
  name: string;
  provider: ProviderName;
  status: RowStatus;
  jobId: string | null;
  outputPath: string | null;
  error: string | null;
  seconds: number;
  /** Already done by an earlier run (completed and intact, or failed without --retry-failed). */
  skipped: boolean;
}

export interface ExecuteOptions {
  outDir: string;
  manifest: Manifest;
  defaultProvider: ProviderName;
  retryFailed: boolean;
  signal: AbortSignal;
}

/** `<outDir>/<name>.mp4`, never anywhere else: a name that would lead out of the directory is refused. */
export function outputPathOf(outDir: string, job: BatchJob): string {
  const path = resolve(outDir, `${job.name}.mp4`);
  if (dirname(path) !== resolve(outDir)) throw new UgcError(`row ${job.row}: the name "${job.name}" would write outside ${outDir}`, { code: 'invalid_name' });
  return path;
}

/**
 * Takes one batch job to its end, exactly once across runs: a completed job whose file is intact is
 * skipped; a failed one is skipped unless --retry-failed; a remote job already submitted is re-attached
 * (its idempotency key is the row's content key, so even a submission whose answer was lost is found,
 * never paid twice); anything else is submitted and followed to the end.
 */
export async function executeJob(ctx: Context, job: BatchJob, options: ExecuteOptions): Promise<RowResult> {
  const started = Date.now();
  const provider = job.provider ?? options.defaultProvider;
  const outputPath = outputPathOf(options.outDir, job);
  const result = (fields: Partial<RowResult> & Pick<RowResult, 'status'>): RowResult => ({
    key: job.key,
    row: job.row,
    name: job.name,
    provider,
    jobId: null,
    outputPath: null,
    error: null,
    seconds: (Date.now() - started) / 1000,
    skipped: false,
    ...fields,
  });

  const entry = await options.manifest.get(job.key);
  if (entry?.state === 'completed' && (await options.manifest.isIntact(entry))) {
    return result({ status: 'completed', jobId: entry.jobId, outputPath: entry.outputPath, skipped: true });
  }
  if (entry?.state === 'failed' && !options.retryFailed) {
    return result({ status: 'failed', jobId: entry.jobId, error: entry.error?.message ?? 'failed in an earlier run', skipped: true });
  }

  const definition = getProvider(provider);
  try {
    const jobs = requirePart(definition, 'jobs', 'batch');
    let current = entry?.state === 'submitted' && entry.jobId ? await reattach(ctx, entry.jobId, jobs) : null;
    if (!current) {
      const jobId = newJobId();
      await options.manifest.update(job.key, { state: 'submitted', jobId, provider, error: null });
      // A job that dies with its process (a local render) is redone after a crash, at no cost; one that
      // outlives it carries the row's key, so a resubmission finds it instead of paying twice.
      const request = jobs.resumable ? { ...job.request, idempotencyKey: job.request.idempotencyKey ?? job.key } : { ...job.request, idempotencyKey: null };
      current = await jobs.submit(ctx, request, { jobId, outputPath, wait: true, signal: options.signal });
    }
    if (!isTerminal(current.status) || (current.status === 'completed' && !isDeliveredAt(current, outputPath))) {
      current = await follow(ctx, definition, current, { outputPath, signal: options.signal });
    }
    await options.manifest.update(job.key, {
      state: current.status === 'completed' ? 'completed' : 'failed',
      jobId: current.id,
      remoteId: current.remoteId,
      outputPath: current.output.path,
      error: current.error,
    });
    return result({ status: current.status === 'completed' ? 'completed' : 'failed', jobId: current.id, outputPath: current.output.path, error: current.error?.message ?? null });
  } catch (error) {
    if (error instanceof InterruptedError || options.signal.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    await options.manifest.update(job.key, { state: 'failed', error: { code: error instanceof UgcError ? error.code : 'error', message } });
    return result({ status: 'failed', error: message });
  }
}

/**
 * The job a previous run submitted, if it can carry on: a resumable (remote) job still known here,
 * refreshed. A local render that died with its process cannot be resumed, so it is rendered again (null).
 */
async function reattach(ctx: Context, jobId: string, jobs: JobsPart): Promise<Job | null> {
  const stored = await ctx.jobs.find(jobId);
  if (!stored) return null;
  if (!jobs.resumable) return stored.status === 'completed' ? stored : null;
  const refreshed = await jobs.refresh(ctx, stored);
  return refreshed.status === 'failed' && refreshed.providerStatus === 'not_submitted' ? null : refreshed;
}
