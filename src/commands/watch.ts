import { copyFile, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempPathFor } from '../core/atomic-write.js';
import type { Context } from '../core/context.js';
import { ExitCode, UgcError, UsageError } from '../core/errors.js';
import { isTerminal, type Job } from '../core/job.js';
import { checkOutputWritable, resolveOutputPath, thumbnailPathFor } from '../core/output-path.js';
import { describeJob, printJsonLine, printLine } from '../core/present.js';
import { ProgressDisplay } from '../core/progress.js';
import { getProvider } from '../providers/index.js';

const LOCAL_POLL_SECONDS = 0.5;

export default async function watch(ctx: Context, id: string, flags: { interval?: string; timeout?: string; out?: string }): Promise<number> {
  const interval = seconds('--interval', flags.interval) ?? LOCAL_POLL_SECONDS;
  const timeout = seconds('--timeout', flags.timeout);
  let job = await ctx.jobs.get(id);
  const provider = await getProvider(job.provider);
  const outputPath = flags.out ? resolveOutputPath(flags.out, job.id, ctx.cwd) : null;
  if (outputPath) await checkOutputWritable(outputPath);
  const deadline = timeout === null ? Infinity : Date.now() + timeout * 1000;
  const progress = ctx.global.json ? null : await ProgressDisplay.start(ctx, `Watching ${job.id}…`);
  let last = '';
  try {
    for (;;) {
      job = await provider.refresh(ctx, job);
      const fingerprint = `${job.status}|${job.progress}|${job.stage ?? ''}`;
      if (fingerprint !== last) {
        last = fingerprint;
        if (ctx.global.json) printJsonLine(ctx, job);
        else progress?.update(job.stage ?? job.status, job.progress);
      }
      if (isTerminal(job.status)) break;
      if (Date.now() + interval * 1000 > deadline) throw new UgcError(`gave up watching ${job.id} after ${timeout} s; it is still ${job.status}`, { hint: `Run \`ugc watch ${job.id}\` again later.` });
      await sleep(interval * 1000);
    }
  } finally {
    progress?.stop();
  }
  if (job.status === 'completed' && outputPath && job.output.path && job.output.path !== outputPath) job = await copyOutput(ctx, job, outputPath);
  if (!ctx.global.json) {
    if (job.status === 'completed') printLine(ctx, job.output.path ?? job.output.url ?? job.id);
    else ctx.io.stderr.write(`${describeJob(job)}\n`);
  }
  return job.status === 'completed' ? ExitCode.Ok : ExitCode.JobFailed;
}

function seconds(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds`);
  return n;
}

/** A local job's video is already on disk; `--out` puts a copy where asked (atomically). */
async function copyOutput(ctx: Context, job: Job, outputPath: string): Promise<Job> {
  await mkdir(dirname(outputPath), { recursive: true });
  const temp = tempPathFor(outputPath);
  await copyFile(job.output.path as string, temp);
  await rename(temp, outputPath);
  let thumbnailPath = job.output.thumbnailPath;
  if (thumbnailPath) {
    const target = thumbnailPathFor(outputPath);
    await copyFile(thumbnailPath, target);
    thumbnailPath = target;
  }
  return ctx.jobs.update(job.id, () => ({ output: { ...job.output, path: outputPath, thumbnailPath } }));
}
