import type { Context } from '../core/context.js';
import { describeJob, printJson, printLine } from '../core/present.js';
import { getProvider } from '../providers/index.js';

export default async function status(ctx: Context, id: string): Promise<number> {
  const stored = await ctx.jobs.get(id);
  const job = await (await getProvider(stored.provider)).refresh(ctx, stored);
  if (ctx.global.json) printJson(ctx, job);
  else printLine(ctx, describeJob(job));
  return 0;
}
