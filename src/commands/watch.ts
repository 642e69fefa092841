import type { Context } from '../core/context.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { isTerminal } from '../core/job.js';
import { checkOutputWritable, resolveOutputPath } from '../core/output-path.js';
import { describeJob, printJsonLine, printLine } from '../core/present.js';
import { ProgressDisplay } from '../core/progress.js';
import { getProvider } from '../providers/index.js';
import { follow } from '../providers/follow.js';
import { withInterrupt } from './interrupt.js';

export default async function watch(ctx: Context, id: string, flags: { interval?: string; timeout?: string; out?: string }): Promise<number> {
  const interval = seconds('--interval', flags.interval);
  const timeout = seconds('--timeout', flags.timeout);
  const stored = await ctx.jobs.get(id);
  const provider = await getProvider(stored.provider);
  const outputPath = flags.out ? resolveOutputPath(flags.out, stored.id, ctx.cwd) : (stored.output.path ?? resolveOutputPath(stored.request.out as string | undefined, stored.id, ctx.cwd));
  await checkOutputWritable(outputPath);
  const progress = ctx.global.json ? null : await ProgressDisplay.start(ctx, `Watching ${id}…`);
  const job = await withInterrupt(ctx, async (signal) => {
    const current = await provider.refresh(ctx, stored);
    return follow(ctx, provider, current, {
      outputPath,
      intervalSeconds: interval ?? undefined,
      timeoutSeconds: timeout,
      signal,
      // With --json, one line per change; the final state is printed once, after the download.
      onChange: (j) => (ctx.global.json ? !isTerminal(j.status) && printJsonLine(ctx, j) : progress?.update(j.stage ?? j.status, j.progress)),
      onDownload: (received, total) => progress?.update('download', total ? Math.round((received / total) * 100) : 0),
    });
  }).finally(() => progress?.stop());
  if (ctx.global.json) printJsonLine(ctx, job);
  else if (job.status === 'completed') printLine(ctx, job.output.path ?? job.output.url ?? job.id);
  else ctx.io.stderr.write(`${describeJob(job)}\n`);
  return job.status === 'completed' ? ExitCode.Ok : ExitCode.JobFailed;
}

function seconds(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds`);
  return n;
}
