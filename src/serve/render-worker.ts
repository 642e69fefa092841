/**
 * A render slot of `ugc serve`, in a worker thread: the pipeline's own JavaScript (face rig, mouth
 * patches, decoding) would otherwise hold up the API's event loop for a tenth of a second at a time.
 * The thread stays up between jobs, so its modules and models load once. It renders a stored job exactly
 * as `generate` does (`runLocalJob`), keeping the job record current; the server only reads records.
 */
import { PassThrough } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { createContext, type GlobalOptions } from '../core/context.js';
import { JobStore } from '../core/job-store.js';
import { runLocalJob } from '../providers/local-render.js';

export type ToWorker =
  | { type: 'render'; jobId: string; dataDir: string; env: Record<string, string | undefined>; cwd: string; global: GlobalOptions }
  | { type: 'abort' };
export interface FromWorker {
  type: 'done';
  jobId: string;
  error: string | null;
}

let current: AbortController | null = null;

parentPort?.on('message', (message: ToWorker) => {
  if (message.type === 'abort') return current?.abort();
  const stop = new AbortController();
  current = stop;
  const sink = () => new PassThrough().resume();
  const world = { stdout: sink(), stderr: sink(), stdin: new PassThrough(), env: message.env, cwd: message.cwd };
  const ctx = { ...createContext(world, message.global), jobs: new JobStore(message.dataDir) };
  void runLocalJob(ctx, message.jobId, { signal: stop.signal })
    .then(
      () => null,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    )
    .then((error) => {
      if (current === stop) current = null;
      parentPort?.postMessage({ type: 'done', jobId: message.jobId, error } satisfies FromWorker);
    });
});
