import { rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { Context } from '../core/context.js';
import { isTerminal, type Job } from '../core/job.js';
import type { JobIndex } from './job-index.js';
import type { FromWorker, ToWorker } from './render-worker.js';
import { serveFields, type ServeFields } from './shapes.js';

export interface QueueOptions {
  /** The CLI's context with `jobs` pointing at the data dir's job store. */
  ctx: Context;
  /** The records in memory: what the queue reads; every write goes to the store and is set here too. */
  index: JobIndex;
  concurrency: number;
  log: (line: string) => void;
  /** A job has ended (completed, failed or cancelled): its webhook, its uploads. */
  onEnded: (job: Job) => Promise<void>;
}

/** The server stopped in the middle of a render this many times before: the job fails instead of a new try. */
const MAX_RETRIES = 1;

/**
 * The queue on disk: PENDING jobs are job records with status `queued`, taken oldest first, `concurrency`
 * at a time, and rendered by the local provider's pipeline in this process (`runLocalJob`, as `generate`).
 * Taking a job is a locked read-modify-write of its record, so a cancel and a take never both win.
 */
export class RenderQueue {
  private readonly running = new Map<string, { stop: AbortController; done: Promise<void> }>();
  private readonly slots = new RenderSlots();
  private pumping: Promise<void> | null = null;
  private again = false;
  private closing = false;

  constructor(private readonly options: QueueOptions) {}

  get active(): number {
    return this.running.size;
  }

  /** Jobs in the store, newest first. */
  jobs(): Job[] {
    return this.options.index.all();
  }

  /** A locked update of the stored record, kept in the index too. */
  private async update(id: string, change: Parameters<Context['jobs']['update']>[1]): Promise<Job> {
    return this.options.index.set(await this.options.ctx.jobs.update(id, change));
  }

  /**
   * After a restart: a job left PROCESSING by a server that stopped without requeueing it (a crash, a
   * kill) is tried again once, counted in `retries`, then FAILED with the reason.
   */
  async recover(): Promise<void> {
    for (const job of this.jobs()) {
      if (job.status !== 'processing') continue;
      const updated = await this.update(job.id, (current) => {
        if (current.status !== 'processing') return null;
        const fields = serveFields(current);
        if (fields.retries < MAX_RETRIES) return { ...requeued, serve: { ...fields, retries: fields.retries + 1 } };
        return { status: 'failed', providerStatus: 'failed', worker: null, error: { code: 'server_stopped', message: `The server stopped while rendering this job (already retried ${fields.retries} time${fields.retries === 1 ? '' : 's'})` } };
      });
      this.options.log(`recovered ${job.id}: ${updated.status === 'queued' ? `queued again (retry ${serveFields(updated).retries})` : 'failed'}`);
      if (isTerminal(updated.status)) await this.options.onEnded(updated);
    }
  }

  /** Looks for work: after a job is created, after one ends, at start. */
  poke(): void {
    if (this.closing) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((error: unknown) => this.options.log(`queue: ${(error as Error).message}`))
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async pump(): Promise<void> {
    if (this.running.size >= this.options.concurrency) return;
    const waiting = this.jobs().filter((job) => job.status === 'queued' && !this.running.has(job.id)).reverse();
    for (const job of waiting) {
      if (this.closing || this.running.size >= this.options.concurrency) return;
      const taken = await this.update(job.id, (current) => (current.status === 'queued' ? { status: 'processing', providerStatus: 'processing', progress: 0, stage: 'voice' } : null));
      if (taken.status === 'processing' && !this.running.has(job.id)) this.start(taken);
    }
  }

  private start(job: Job): void {
    const stop = new AbortController();
    const done = this.render(job, stop.signal).finally(() => {
      this.running.delete(job.id);
      this.poke();
    });
    this.running.set(job.id, { stop, done });
  }

  private async render(job: Job, signal: AbortSignal): Promise<void> {
    const { ctx, log } = this.options;
    const started = Date.now();
    log(`render ${job.id} starts`);
    const { env, cwd, global } = ctx;
    const error = await this.slots.render({ type: 'render', jobId: job.id, dataDir: dataDirOf(ctx), env: { ...env }, cwd, global: { ...global } }, signal);
    if (error && !signal.aborted) log(`render ${job.id} failed: ${error}`);
    // A worker that died mid-render left the record PROCESSING: say so.
    await this.update(job.id, (current) => (current.status === 'processing' && !signal.aborted ? { status: 'failed', providerStatus: 'failed', worker: null, error: { code: 'render_failed', message: error ?? 'the render stopped unexpectedly' } } : null));
    if (signal.aborted) {
      // Stopped by a shutdown: back in the queue as it was, not a retry (nothing went wrong with the job).
      const back = await this.update(job.id, (current) => (current.status === 'completed' ? null : { ...requeued, serve: serveFields(current) }));
      if (back.status === 'queued') return log(`render ${job.id} stopped; queued again for the next start`);
    }
    const ended = this.options.index.set(await ctx.jobs.get(job.id));
    log(`render ${job.id} ${ended.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await this.options.onEnded(ended);
  }

  /** Stops taking jobs; running renders are stopped and queued again (a restart renders them from the start). */
  async close(): Promise<void> {
    this.closing = true;
    await this.pumping;
    for (const { stop } of this.running.values()) stop.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.slots.close();
  }
}

/** The data dir behind a job store (`<dataDir>/jobs`). */
const dataDirOf = (ctx: Context) => ctx.jobs.dir.replace(/[\\/]jobs$/, '');

// The worker runs built JavaScript; under the tests these sources run as TypeScript, so it comes from dist/.
const WORKER_URL = import.meta.url.endsWith('.ts') ? new URL('../../dist/serve/render-worker.js', import.meta.url) : new URL('./render-worker.js', import.meta.url);

/** Worker threads that render, one job each at a time, kept between jobs; a thread that dies is replaced. */
class RenderSlots {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();

  render(message: Extract<ToWorker, { type: 'render' }>, signal: AbortSignal): Promise<string | null> {
    const worker = this.idle.pop() ?? this.spawn();
    return new Promise((resolve) => {
      const abort = () => worker.postMessage({ type: 'abort' } satisfies ToWorker);
      const finish = (error: string | null, reusable: boolean) => {
        signal.removeEventListener('abort', abort);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        if (reusable) this.idle.push(worker);
        resolve(error);
      };
      const onMessage = (reply: FromWorker) => {
        if (reply.jobId === message.jobId) finish(reply.error, true);
      };
      const onExit = (code: number) => finish(`the render worker exited (code ${code})`, false);
      worker.on('message', onMessage);
      worker.on('exit', onExit);
      signal.addEventListener('abort', abort, { once: true });
      worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.all].map((worker) => worker.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_URL);
    this.all.add(worker);
    worker.on('error', () => undefined); // its exit follows and is handled there
    worker.on('exit', () => this.all.delete(worker));
    return worker;
  }
}

const requeued: Partial<Job> = { status: 'queued', providerStatus: 'queued', progress: 0, stage: 'queued', error: null, worker: null, output: { path: null, url: null, thumbnailPath: null, durationSeconds: null } };

/** A job's uploads are kept until it ends (a retry needs them), then removed. */
export async function removeUploads(job: Job): Promise<void> {
  const fields = job.serve as ServeFields | undefined;
  if (fields?.uploadDir) await rm(fields.uploadDir, { recursive: true, force: true });
}
