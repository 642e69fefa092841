import type { Context } from '../core/context.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { printLine } from '../core/present.js';
import { runWorker } from '../batch/queue.js';
import { withInterrupt } from './interrupt.js';

/** Takes batch rows off a BullMQ queue until Ctrl-C; one line per row taken and finished. */
export default async function worker(ctx: Context, flags: { queue?: string; concurrency?: string }): Promise<number> {
  if (!flags.queue) throw new UsageError('--queue <redis-url> is required', 'e.g. ugc worker --queue redis://localhost:6379');
  const concurrency = Number(flags.concurrency ?? 1);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be a whole number from 1 to 64');
  await withInterrupt(ctx, (signal) => runWorker(ctx, { redisUrl: flags.queue as string, concurrency, signal, onLine: (line) => printLine(ctx, line) }));
  return ExitCode.Ok;
}
