import { UsageError } from '../core/errors.js';
import { printLine } from '../core/present.js';
import { runWorker } from '../batch/queue.js';
import { defineCommand, isWholeIn, number, text, withDefault } from './define.js';
import { withInterrupt } from './interrupt.js';

/** Takes batch rows off a BullMQ queue until Ctrl-C; one line per row taken and finished. */
export default defineCommand({
  flags: {
    queue: text('<redis-url>', 'the Redis behind the queue'),
    concurrency: withDefault(number('<n>', 'rows at once in this worker', 'a whole number from 1 to 64', isWholeIn(1, 64)), 1),
  },
  examples: ['ugc worker --queue redis://redis:6379', 'ugc worker --queue redis://redis:6379 --concurrency 2'],
  async run(ctx, { queue, concurrency }) {
    if (!queue) throw new UsageError('--queue <redis-url> is required', 'e.g. ugc worker --queue redis://localhost:6379');
    await withInterrupt((signal) => runWorker(ctx, { redisUrl: queue, concurrency, signal, onLine: (line) => printLine(ctx, line) }));
  },
});
