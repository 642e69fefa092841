import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { ExitCode, UsageError } from '../core/errors.js';
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
  if (flags.script && flags.scriptFile) throw new UsageError('pass either --script or --script-file, not both');
  let script = flags.script;
  if (flags.scriptFile) {
    script = await readFile(resolve(ctx.cwd, flags.scriptFile), 'utf8').catch(() => {
      throw new UsageError(`--script-file: cannot read ${flags.scriptFile}`);
    });
  }
  // Remote providers take some media as URLs; those pass through, local paths become absolute.
  const path = (p: string | undefined) => (p ? (/^https?:\/\//i.test(p) ? p : resolve(ctx.cwd, p)) : null);
  const params: Record<string, string> = {};
  for (const pair of flags.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--param must be key=value (got "${pair}")`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const duration = flags.duration === undefined ? null : Number(flags.duration);
  if (duration !== null && !Number.isFinite(duration)) throw new UsageError(`--duration must be a number of seconds (got "${flags.duration}")`);
  return checkRequest({
    script: script ?? '',
    creator: flags.creator ?? null,
    image: path(flags.image),
    voice: flags.voice ?? null,
    audio: path(flags.audio),
    aspect: flags.aspect as GenerateRequest['aspect'] | undefined,
    captions: flags.captions as GenerateRequest['captions'] | undefined,
    music: path(flags.music),
    productName: flags.productName ?? null,
    productImage: path(flags.productImage),
    cta: flags.cta ?? null,
    prompt: flags.prompt ?? null,
    model: flags.model ?? null,
    durationSeconds: duration,
    resolution: flags.resolution as GenerateRequest['resolution'] | undefined,
    params,
    webhookUrl: flags.webhookUrl ?? null,
    idempotencyKey: flags.idempotencyKey ?? null,
  });
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
