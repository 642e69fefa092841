import { UsageError } from '../core/errors.js';
import { printLine } from '../core/present.js';
import { runWorker } from '../batch/queue.js';
import { DEFAULT_PROVIDER, getProvider, requirePart, supported } from '../providers/registry.js';
import { defineCommand, isWholeIn, number, text, withDefault } from './define.js';
import { withInterrupt } from './interrupt.js';

/** Takes batch rows off a BullMQ queue until Ctrl-C; one line per row taken and finished. */
export default defineCommand({
  flags: {
    queue: text('<redis-url>', 'the Redis behind the queue'),
    concurrency: withDefault(number('<n>', 'rows at once in this worker', 'a whole number from 1 to 64', isWholeIn(1, 64)), 1),
    model: text('<id>', 'the model runner for rendered (local) rows that name none: built in, or configured on this machine (`ugc models`)'),
  },
  examples: ['ugc worker --queue redis://redis:6379', 'ugc worker --queue redis://redis:6379 --concurrency 2', 'ugc worker --queue redis://redis:6379 --model sadtalker'],
  async run(ctx, { queue, concurrency, model }) {
    if (!queue) throw new UsageError('--queue <redis-url> is required', 'e.g. ugc worker --queue redis://localhost:6379');
    if (model) {
      // The runner must exist here; its health is worth a line (a worker on a GPU box shows its server's state).
      const found = await supported(requirePart(getProvider(DEFAULT_PROVIDER), 'models', 'worker').get, getProvider(DEFAULT_PROVIDER), 'worker')(ctx, model);
      printLine(ctx, `model ${model}: ${String(found.status ?? 'READY')}${found.detail ? ` (${String(found.detail)})` : ''}`);
    }
    await withInterrupt((signal) => runWorker(ctx, { redisUrl: queue, concurrency, model: model ?? null, signal, onLine: (line) => printLine(ctx, line) }));
  },
});
