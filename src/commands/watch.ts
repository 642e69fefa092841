import type { Context } from '../core/context.js';
import { ExitCode } from '../core/errors.js';
import { isTerminal } from '../core/job.js';
import { checkOutputWritable, resolveOutputPath } from '../core/output-path.js';
import { describeJob, printJsonLine, printLine } from '../core/present.js';
import { ProgressDisplay } from '../core/progress.js';
import { follow } from '../providers/follow.js';
import { getProvider, requirePart } from '../providers/registry.js';
import { defineCommand, number, text } from './define.js';
import { withInterrupt } from './interrupt.js';
import { printSummary } from './summary.js';

const seconds = (description: string) => number('<seconds>', description, 'a positive number of seconds', (n) => n > 0);

export default defineCommand({
  args: ['id'],
  flags: {
    interval: seconds('seconds between polls'),
    timeout: seconds('give up after this many seconds'),
    out: text('<file.mp4|dir>', 'where to write the video', { short: 'o' }),
  },
  examples: ['ugc watch job_abc123', 'ugc watch job_abc123 --json --timeout 600'],
  // With --json, one JSON line per change (a stream, not one document); the final state is printed once, after the download.
  async run(ctx, input) {
    const progress = ProgressDisplay.start(ctx, `Watching ${input.id}`, { show: !ctx.global.json });
    try {
      return await watch(ctx, input, progress);
    } finally {
      progress.stop();
    }
  },
});

async function watch(ctx: Context, { id, interval, timeout, out }: { id: string; interval?: number; timeout?: number; out?: string }, progress: ProgressDisplay): Promise<number> {
  const started = Date.now();
  const stored = await ctx.jobs.get(id);
  const provider = getProvider(stored.provider);
  const jobs = requirePart(provider, 'jobs', 'watch');
  const outputPath = out ? resolveOutputPath(out, stored.id, ctx.cwd) : (stored.output.path ?? resolveOutputPath(stored.request.out as string | undefined, stored.id, ctx.cwd));
  await checkOutputWritable(outputPath);
  const job = await withInterrupt(async (signal) =>
    follow(ctx, provider, await jobs.refresh(ctx, stored), {
      outputPath,
      intervalSeconds: interval,
      timeoutSeconds: timeout ?? null,
      signal,
      onChange: (j) => (ctx.global.json ? !isTerminal(j.status) && printJsonLine(ctx, j) : progress.update(j.stage ?? j.status, j.progress)),
      onDownload: (received, total) => progress.update('download', total ? Math.round((received / total) * 100) : 0),
    }),
  );
  progress.stop();
  if (ctx.global.json) printJsonLine(ctx, job);
  else if (job.status === 'completed') printLine(ctx, job.output.path ?? job.output.url ?? job.id);
  else ctx.io.stderr.write(`${describeJob(job)}\n`);
  if (job.status !== 'completed') return ExitCode.JobFailed;
  await printSummary(ctx, job, Date.now() - started);
  return ExitCode.Ok;
}
