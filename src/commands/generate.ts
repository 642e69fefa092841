import type { Context } from '../core/context.js';
import { ExitCode } from '../core/errors.js';
import { isTerminal, newJobId } from '../core/job.js';
import { resolveOutputPath } from '../core/output-path.js';
import { describeJob, printJson, printLine } from '../core/present.js';
import { ProgressDisplay } from '../core/progress.js';
import { checkRequest, type GenerateRequest } from '../core/request.js';
import { currentProvider } from '../providers/index.js';
import { follow } from '../providers/follow.js';
import { withInterrupt } from './interrupt.js';

export interface GenerateFlags {
  script?: string;
  scriptFile?: string;
  creator?: string;
  image?: string;
  voice?: string;
  audio?: string;
  aspect?: string;
  captions?: string;
  music?: string;
  productName?: string;
  productImage?: string;
  cta?: string;
  prompt?: string;
  model?: string;
  duration?: string;
  resolution?: string;
  param?: string[];
  webhookUrl?: string;
  idempotencyKey?: string;
  out?: string;
  wait?: boolean;
}

/** Flags → the unified request: files resolved against the working directory, numbers parsed, params split. */
export async function requestFromFlags(ctx: Context, flags: GenerateFlags): Promise<GenerateRequest> {
  const { scriptFile, duration, param, ...rest } = flags;
  return checkRequest({ ...rest, scriptFile, durationSeconds: duration, params: param }, { cwd: ctx.cwd });
}

export default async function generate(ctx: Context, flags: GenerateFlags): Promise<number> {
  const request = await requestFromFlags(ctx, flags);
  const provider = await currentProvider(ctx);
  const wait = flags.wait !== false;
  const jobId = newJobId();
  const outputPath = resolveOutputPath(flags.out, jobId, ctx.cwd);
  const progress = wait ? await ProgressDisplay.start(ctx, provider.name === 'local' ? 'Rendering…' : `Generating with ${provider.name}…`) : null;
  const started = Date.now();
  let stageShown = '';
  const onProgress = (stage: string, percent: number) => {
    progress?.update(stage, percent);
    if (ctx.global.debug && stage !== stageShown) {
      stageShown = stage;
      ctx.io.stderr.write(`[debug] ${((Date.now() - started) / 1000).toFixed(2)} s: ${stage} starts\n`);
    }
  };
  const job = await withInterrupt(ctx, async (signal) => {
    const submitted = await provider.submit(ctx, request, { jobId, outputPath, wait, signal, onProgress });
    if (!wait || isTerminal(submitted.status)) return submitted;
    return follow(ctx, provider, submitted, {
      outputPath,
      signal,
      onChange: (j) => onProgress(j.stage ?? j.providerStatus, j.progress),
      onDownload: (received, total) => onProgress('download', total ? Math.round((received / total) * 100) : 0),
    });
  }).finally(() => progress?.stop());
  if (ctx.global.debug) ctx.io.stderr.write(`[debug] ${((Date.now() - started) / 1000).toFixed(2)} s: ${job.status}\n`);
  if (ctx.global.json) printJson(ctx, job);
  else if (!wait) printLine(ctx, job.id);
  else if (job.status === 'completed') printLine(ctx, job.output.path ?? job.output.url ?? job.id);
  if (!wait) return ExitCode.Ok;
  if (job.status !== 'completed') {
    if (!ctx.global.json) ctx.io.stderr.write(`${describeJob(job)}\n`);
    return ExitCode.JobFailed;
  }
  return ExitCode.Ok;
}
