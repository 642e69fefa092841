import type { Context } from '../core/context.js';
import { runLocalJob } from '../providers/local.js';
import { withInterrupt } from './interrupt.js';

/** The detached process behind `generate --no-wait` (local): renders one stored job, recording everything. */
export default async function renderJob(ctx: Context, id: string): Promise<number> {
  const job = await withInterrupt(ctx, (signal) => runLocalJob(ctx, id, { signal })).catch(() => null);
  return job?.status === 'completed' ? 0 : 5;
}
