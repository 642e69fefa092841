import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents, Worker, type Job as QueueJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Context } from '../core/context.js';
import { InterruptedError, UgcError, UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { DEFAULT_PROVIDER } from '../providers/registry.js';
import { executeJob, type RowResult } from './execute.js';
import { Manifest } from './manifest.js';
import type { BatchJob } from './rows.js';

const QUEUE_NAME = 'ugc-batch';

interface RowTask {
  job: BatchJob;
  outDir: string;
  rowsFile: string;
  totalJobs: number;
  defaultProvider: ProviderName;
  retryFailed: boolean;
}

async function connect(url: string): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--queue must be a redis:// or rediss:// URL (got "${url}")`);
  // BullMQ needs maxRetriesPerRequest: null; the first connection is checked with a short timeout instead.
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new UgcError(`cannot reach Redis at ${url}: ${(error as Error).message}`, { hint: 'Start redis-server, or check the --queue URL.' });
  }
  return redis;
}

/** The same row of the same batch (output directory) always has the same queue job id, so a rerun never enqueues it twice. */
function queueJobId(outDir: string, key: string): string {
  return `${createHash('sha256').update(outDir).digest('hex').slice(0, 12)}-${key}`;
}

export interface QueueRunOptions {
  redisUrl: string;
  outDir: string;
  rowsFile?: string;
  defaultProvider: ProviderName;
  retryFailed: boolean;
  signal: AbortSignal;
  onResult: (result: RowResult) => void;
}

/**
 * `ugc batch --queue`: puts every row on the BullMQ queue (once: job ids come from the row's content),
 * then waits for workers on any machine to finish them, reporting each as it ends.
 */
export async function runOnQueue(ctx: Context, jobs: BatchJob[], options: QueueRunOptions): Promise<RowResult[]> {
  const connection = await connect(options.redisUrl);
  const queue = new Queue<RowTask, RowResult>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection: connection.duplicate() });
  const results = new Map<string, RowResult>();
  const byId = new Map(jobs.map((job) => [queueJobId(options.outDir, job.key), job]));
  const settle = (id: string, result: RowResult) => {
    if (results.has(id)) return;
    results.set(id, result);
    options.onResult(result);
  };
  try {
    await events.waitUntilReady();
    events.on('completed', ({ jobId, returnvalue }) => {
      if (byId.has(jobId)) settle(jobId, (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as RowResult);
    });
    events.on('failed', ({ jobId, failedReason }) => {
      const job = byId.get(jobId);
      if (job) settle(jobId, failedRow(job, options.defaultProvider, failedReason));
    });
    for (const [id, job] of byId) {
      const existing = await queue.getJob(id);
      const state = existing ? await existing.getState() : null;
      const stale = existing && ((state === 'completed' && (existing.returnvalue as RowResult | undefined)?.status === 'failed') || state === 'failed') && options.retryFailed;
      if (existing && !stale) continue;
      if (existing) await existing.remove();
      const task: RowTask = { job, outDir: options.outDir, rowsFile: options.rowsFile ?? '', totalJobs: jobs.length, defaultProvider: options.defaultProvider, retryFailed: options.retryFailed };
      await queue.add('row', task, { jobId: id, removeOnComplete: false, removeOnFail: false });
    }
    // Events can be missed (e.g. rows finished before this run subscribed): look at each row's state too.
    while (results.size < byId.size) {
      if (options.signal.aborted) throw new InterruptedError('stopped waiting; the rows stay on the queue for the workers');
      for (const [id, job] of byId) {
        if (results.has(id)) continue;
        const queued = await queue.getJob(id);
        const state = queued ? await queued.getState() : 'missing';
        if (state === 'completed') settle(id, queued?.returnvalue as RowResult);
        else if (state === 'failed') settle(id, failedRow(job, options.defaultProvider, queued?.failedReason ?? 'failed'));
      }
      await sleep(500, undefined, { signal: options.signal }).catch(() => undefined);
    }
    return jobs.map((job) => results.get(queueJobId(options.outDir, job.key)) as RowResult);
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
  }
}

function failedRow(job: BatchJob, defaultProvider: ProviderName, reason: string): RowResult {
  return { key: job.key, row: job.row, name: job.name, provider: job.provider ?? defaultProvider, status: 'failed', jobId: null, outputPath: null, error: reason, seconds: 0, skipped: false };
}

export interface WorkerOptions {
  redisUrl: string;
  concurrency: number;
  /** The model runner for local rows that name none (`ugc worker --model`): this machine's GPU model, say. */
  model?: string | null;
  signal: AbortSignal;
  onLine: (line: string) => void;
}

/**
 * `ugc worker`: takes rows off the queue and renders or submits them exactly as a single-machine batch
 * would (same executor, same manifest in the shared output directory). A worker that dies mid-row has
 * its row taken over by another once BullMQ sees the row's lock expire (stalled-job handling).
 */
export async function runWorker(ctx: Context, options: WorkerOptions): Promise<void> {
  const connection = await connect(options.redisUrl);
  const lockMs = ctx.settings.queueLockMs;
  const abort = new AbortController();
  const worker = new Worker<RowTask, RowResult>(
    QUEUE_NAME,
    async (queued: QueueJob<RowTask, RowResult>) => {
      const { job: task, outDir, rowsFile, totalJobs, defaultProvider, retryFailed } = queued.data;
      const job = options.model && !task.request.model && (task.provider ?? defaultProvider) === DEFAULT_PROVIDER ? { ...task, request: { ...task.request, model: options.model } } : task;
      options.onLine(`took row ${job.row} ${job.name}`);
      const manifest = await Manifest.open(outDir, { rowsFile: rowsFile || outDir, totalJobs });
      const result = await executeJob(ctx, job, { outDir, manifest, defaultProvider, retryFailed, signal: abort.signal });
      options.onLine(`finished row ${job.row} ${job.name}: ${result.status}${result.outputPath ? ` ${result.outputPath}` : result.error ? ` (${result.error})` : ''}`);
      return result;
    },
    { connection, concurrency: options.concurrency, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 3 },
  );
  worker.on('error', (error) => options.onLine(`error: ${error.message}`));
  await worker.waitUntilReady();
  options.onLine(`ready: waiting for rows on ${options.redisUrl.replace(/\/\/[^@/]*@/, '//***@')} (${QUEUE_NAME})`);
  await new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve(), { once: true }));
  abort.abort();
  await worker.close();
  connection.disconnect();
}
