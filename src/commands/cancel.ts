import type { Context } from '../core/context.js';
import { isTerminal } from '../core/job.js';
import { describeJob, note, printJson, printLine } from '../core/present.js';
import { getProvider, requireCapability } from '../providers/index.js';

export default async function cancel(ctx: Context, id: string): Promise<number> {
  const stored = await ctx.jobs.get(id);
  const provider = await getProvider(stored.provider);
  requireCapability(provider, 'cancel', 'cancel');
  if (isTerminal(stored.status)) note(ctx, `${id} has already ended (${stored.status}); nothing to cancel`);
  const job = isTerminal(stored.status) ? stored : await provider.cancel(ctx, stored);
  if (ctx.global.json) printJson(ctx, job);
  else printLine(ctx, describeJob(job));
  return 0;
}
