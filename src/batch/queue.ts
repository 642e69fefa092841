import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents, Worker, type Job as QueueJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Context } from '../core/context.js';
import { InterruptedError, UgcError, UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { redactUrl } from '../core/redact-url.js';
import { printable } from '../core/terminal-text.js';
import { DEFAULT_PROVIDER } from '../providers/registry.js';
import { executeJob, type RowResult } from './execute.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import type { BatchJob } from './rows.js';
import { checkTask, RefusedTask, type RowTask } from './task.js';

const QUEUE_NAME = 'ugc-batch';
const POLL_MS = 500;

async function connect(url: string): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--queue must be a redis:// or rediss:// URL (got "${redactUrl(url)}")`);
  // BullMQ needs maxRetriesPerRequest: null; the first connection is checked with a short timeout instead.
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new UgcError(`cannot reach Redis at ${redactUrl(url)}: ${(error as Error).message}`, { hint: 'Start redis-server, or check the --queue URL.' });
  }
  return redis;
}

/** A second connection for a blocking client (events, a worker's fetches), its errors handled like the first's. */
function duplicate(redis: Redis): Redis {
  const copy = redis.duplicate();
  copy.on('error', () => undefined);
  return copy;
}

/** The same row of the same batch (output directory) always has the same queue job id, so a rerun never enqueues it twice. */
function queueJobId(outDir: string, key: string): string {
  return `${createHash('sha256').update(outDir).digest('hex').slice(0, 12)}-${key}`;
}

export interface QueueRunOptions {
  redisUrl: string;
  outDir: string;
  /** The batch's manifest: it knows every row, so rows the queue loses are noticed and put back. */
  manifest: Manifest;
  rowsFile?: string;
  defaultProvider: ProviderName;
  retryFailed: boolean;
  signal: AbortSignal;
  onResult: (result: RowResult) => void;
  /** A line about the queue itself (rows put back after Redis lost them). */
  onNote?: (line: string) => void;
}

/**
 * `ugc batch --queue`: puts every row on the BullMQ queue (once: job ids come from the row's content),
 * then waits for workers on any machine to finish them, reporting each as it ends. Rows the queue loses
 * (Redis restarted without its data) are put back under the same ids, or taken from the manifest where a
 * worker finished them. Redis silent for longer than UGC_QUEUE_OUTAGE_MS ends the wait with one line.
 */
export async function runOnQueue(ctx: Context, jobs: BatchJob[], options: QueueRunOptions): Promise<RowResult[]> {
  const startedAt = new Date().toISOString();
  const where = redactUrl(options.redisUrl);
  const connection = await connect(options.redisUrl);
  const queue = new Queue<RowTask, RowResult>(QUEUE_NAME, { connection });
  const eventsConnection = duplicate(connection);
  const events = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  const results = new Map<string, RowResult>();
  const byId = new Map(jobs.map((job) => [queueJobId(options.outDir, job.key), job]));
  const settle = (id: string, result: RowResult) => {
    if (results.has(id)) return;
    results.set(id, result);
    options.onResult(result);
  };
  const taskOf = (job: BatchJob): RowTask => ({ job, outDir: options.outDir, rowsFile: options.rowsFile ?? '', totalJobs: jobs.length, defaultProvider: options.defaultProvider, retryFailed: options.retryFailed });
  const add = (id: string, job: BatchJob) => queue.add('row', taskOf(job), { jobId: id, removeOnComplete: false, removeOnFail: false });

  // Every call to Redis goes through `ask`: one that gets no answer while Redis has been silent for the
  // allowed outage ends the wait (ioredis would otherwise hold it until Redis returns, maybe never).
  const outageMs = ctx.settings.queueOutageMs;
  let lastAnswer = Date.now();
  const ask = async <T>(call: () => Promise<T>): Promise<T> => {
    const done = new AbortController();
    const left = Math.max(outageMs - (Date.now() - lastAnswer), 0);
    try {
      return await Promise.race([
        call().then((value) => {
          lastAnswer = Date.now();
          return value;
        }),
        sleep(left, undefined, { signal: AbortSignal.any([done.signal, options.signal]) }).then(
          () => Promise.reject(new OutageError(false)),
          () => Promise.reject(new OutageError(true)),
        ),
      ]);
    } finally {
      done.abort();
    }
  };
  /** Redis has not answered for a while (seconds, not the poll interval). */
  const silent = () => Date.now() - lastAnswer > Math.min(outageMs, 2_000);
  let onQueue = byId.size;
  let graceful = true;
  try {
    try {
      await ask(() => events.waitUntilReady());
      events.on('completed', ({ jobId, returnvalue }) => {
        if (byId.has(jobId)) settle(jobId, (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as RowResult);
      });
      events.on('failed', ({ jobId, failedReason }) => {
        const job = byId.get(jobId);
        if (job) settle(jobId, failedRow(job, options.defaultProvider, failedReason));
      });
      for (const [id, job] of byId) {
        const existing = await ask(() => queue.getJob(id));
        const state = existing ? await ask(() => existing.getState()) : null;
        const stale = existing && ((state === 'completed' && (existing.returnvalue as RowResult | undefined)?.status === 'failed') || state === 'failed') && options.retryFailed;
        if (existing && !stale) continue;
        if (existing) await ask(() => existing.remove());
        await ask(() => add(id, job));
      }
      // Events can be missed (rows finished before this run subscribed, or while Redis was away): look at each row's state too.
      while (results.size < byId.size) {
        if (options.signal.aborted) throw new OutageError(true);
        let lost = 0;
        onQueue = 0;
        for (const [id, job] of byId) {
          if (results.has(id)) continue;
          const queued = await ask(() => queue.getJob(id));
          const state = queued ? await ask(() => queued.getState()) : 'missing';
          if (state === 'completed') settle(id, queued?.returnvalue as RowResult);
          else if (state === 'failed') settle(id, failedRow(job, options.defaultProvider, queued?.failedReason ?? 'failed'));
          else if (state !== 'missing' && state !== 'unknown') onQueue++;
          else {
            // Not on the queue any more: finished by a worker whose answer Redis lost, or lost before that.
            const entry = await options.manifest.get(job.key);
            if (entry && (entry.state === 'completed' || entry.state === 'failed') && (entry.finishedAt ?? '') >= startedAt) settle(id, resultOf(job, entry, options.defaultProvider));
            else {
              await ask(() => add(id, job));
              lost++;
              onQueue++;
            }
          }
        }
        if (lost > 0) options.onNote?.(`the queue lost ${lost} unfinished row${lost === 1 ? '' : 's'} (was Redis restarted?): put back under the same ids`);
        if (results.size < byId.size) await sleep(POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
      }
    } catch (error) {
      if (!(error instanceof OutageError)) throw error;
      graceful = !silent();
      const left = byId.size - results.size;
      const rest = `${left} unfinished row${left === 1 ? '' : 's'}`;
      if (error.interrupted) {
        throw new InterruptedError(!graceful
          ? `stopped waiting; Redis at ${where} is not answering, so the ${rest} may not be on its queue: run the same command again to put them back and finish them`
          : `stopped waiting; ${onQueue === left ? `the ${rest} stay` : `${onQueue} of the ${rest} stay`} on the queue at ${where} for the workers: run the same command again to collect them`);
      }
      throw new UgcError(`lost Redis at ${where}: no answer for ${Math.round(outageMs / 1000)} s; ${results.size} of ${byId.size} rows finished, the ${rest} are recorded in ${options.manifest.path}`, {
        code: 'queue_lost',
        hint: 'Run the same command again once Redis is back: finished rows are kept, the rest are put back on the queue.',
      });
    }
    return jobs.map((job) => results.get(queueJobId(options.outDir, job.key)) as RowResult);
  } finally {
    await closeAll([() => events.close(), () => queue.close()], graceful && !silent(), [connection, eventsConnection]);
  }
}

/** No answer from Redis within the allowed outage, or a Ctrl-C while waiting for one. */
class OutageError extends Error {
  constructor(readonly interrupted = false) {
    super('Redis did not answer');
  }
}

/** Closes BullMQ's clients; a Redis that is not answering cannot take a clean close, so those connections are dropped. */
async function closeAll(closers: (() => Promise<unknown>)[], graceful: boolean, connections: Redis[]): Promise<void> {
  if (graceful) {
    const closing = Promise.allSettled(closers.map((close) => close()));
    await Promise.race([closing, sleep(2_000)]);
  } else for (const close of closers) void close().catch(() => undefined);
  for (const connection of connections) connection.disconnect();
}

function failedRow(job: BatchJob, defaultProvider: ProviderName, reason: string): RowResult {
  return { key: job.key, row: job.row, name: job.name, provider: job.provider ?? defaultProvider, status: 'failed', jobId: null, outputPath: null, error: reason, seconds: 0, skipped: false };
}

/** A row's result as the manifest recorded it (a worker finished it, the queue lost its answer). */
function resultOf(job: BatchJob, entry: ManifestEntry, defaultProvider: ProviderName): RowResult {
  const seconds = entry.submittedAt && entry.finishedAt ? (Date.parse(entry.finishedAt) - Date.parse(entry.submittedAt)) / 1000 : 0;
  return {
    key: job.key, row: job.row, name: job.name, provider: job.provider ?? defaultProvider, status: entry.state === 'completed' ? 'completed' : 'failed',
    jobId: entry.jobId, outputPath: entry.outputPath, error: entry.error?.message ?? null, seconds, skipped: false,
  };
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
 * would (same executor, same manifest in the shared output directory). Each row is checked first as if
 * a user had written it (`checkTask`): a row that fails is refused, nothing written. A worker that dies
 * mid-row has its row taken over by another once BullMQ sees the row's lock expire (stalled-job
 * handling). While Redis is away it says so once, and carries on when Redis is back.
 */
export async function runWorker(ctx: Context, options: WorkerOptions): Promise<void> {
  const where = redactUrl(options.redisUrl);
  const connection = await connect(options.redisUrl);
  const lockMs = ctx.settings.queueLockMs;
  const abort = new AbortController();
  const manifests = new Map<string, Manifest>();
  const say = (line: string) => options.onLine(printable(line));
  const worker = new Worker<RowTask, RowResult>(
    QUEUE_NAME,
    async (queued: QueueJob<RowTask, RowResult>) => {
      let checked;
      try {
        checked = await checkTask(ctx, queued.data, manifests);
      } catch (error) {
        if (error instanceof RefusedTask) say(error.message);
        throw error;
      }
      const { task, manifest } = checked;
      const { job: row, outDir, defaultProvider, retryFailed } = task;
      const job = options.model && !row.request.model && (row.provider ?? defaultProvider) === DEFAULT_PROVIDER ? { ...row, request: { ...row.request, model: options.model } } : row;
      say(`took row ${job.row} ${job.name}`);
      const result = await executeJob(ctx, job, { outDir, manifest, defaultProvider, retryFailed, signal: abort.signal });
      say(`finished row ${job.row} ${job.name}: ${result.status}${result.outputPath ? ` ${result.outputPath}` : result.error ? ` (${result.error})` : ''}`);
      return result;
    },
    { connection, concurrency: options.concurrency, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 3 },
  );
  let away = false;
  worker.on('error', (error) => {
    if (away) return;
    away = connection.status !== 'ready';
    say(away ? `lost Redis at ${where} (${redactUrl(error.message)}); waiting for it to come back` : `error: ${redactUrl(error.message)}`);
  });
  connection.on('ready', () => {
    if (!away) return;
    away = false;
    say(`Redis at ${where} is back; taking rows again`);
  });
  await worker.waitUntilReady();
  say(`ready: waiting for rows on ${where} (${QUEUE_NAME})`);
  await new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve(), { once: true }));
  abort.abort();
  await Promise.race([worker.close(), sleep(5_000)]);
  connection.disconnect();
}
