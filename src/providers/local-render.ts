import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Context } from '../core/context.js';
import { InterruptedError, UgcError, UsageError } from '../core/errors.js';
import { HttpClient } from '../http/client.js';
import { readErrorEnvelope } from './envelopes.js';
import { isTerminal, newJob, type Job } from '../core/job.js';
import { checkOutputWritable, thumbnailPathFor } from '../core/output-path.js';
import { note } from '../core/present.js';
import { InputError, isUrl, MEDIA_FIELDS, requestFingerprint, type GenerateRequest, type Scene } from '../core/request.js';
import { locateFfmpeg, type FfmpegTools } from '../render/ffmpeg/locate.js';
import { readProfile } from '../core/profiles.js';
import { resolveRenderInputs, type RenderInputs } from '../render/inputs.js';
import { renderAd } from '../render/pipeline.js';
import { shotKind, type Shot } from '../render/scenes.js';
import { findRunner, isBuiltInRunner } from '../render/runners/index.js';
import { subtitlesPathFor } from '../render/subtitles.js';
import { warmUpSpeech } from '../render/tts.js';
import type { SubmitOptions } from './definition.js';
import { checkModelFields, chooseRunner } from './local-models.js';

/**
 * The local provider's render machinery, loaded only when something renders (the definition in
 * local.ts stays light): checking inputs, rendering in this process or a detached one.
 */

const BIN = fileURLToPath(new URL('../../bin/ugc.js', import.meta.url));
/** Job records are rewritten at most this often while rendering. */
const PROGRESS_WRITE_INTERVAL_MS = 400;

/** `generate` for the local provider: records the job, then renders it here or in a detached process. */
export async function submitLocal(ctx: Context, request: GenerateRequest, options: SubmitOptions): Promise<Job> {
  const fingerprint = requestFingerprint(request);
  if (request.idempotencyKey) {
    const existing = await ctx.jobs.findByIdempotencyKey('local', request.idempotencyKey, fingerprint);
    if (existing) return existing;
  }
  await checkOutputWritable(options.outputPath);
  // A configured model runner that is down stops the job here, before any work (or --fallback takes over).
  await checkModelFields(ctx, request);
  const runner = await chooseRunner(ctx, request);
  const inputs = await checkedInputs(ctx, runner === request.model ? request : { ...request, model: runner });
  if (inputs.notice) note(ctx, inputs.notice);
  // The job records the voice that speaks (the creator's in the script's language, when none was asked for).
  const job = newJob({ id: options.jobId, provider: 'local', request: { ...request, voice: request.audio ? request.voice : inputs.voiceId, out: options.outputPath } });
  // The runner decided on here is the one that renders, in this process or a detached one.
  if (runner) job.runner = runner;
  // Claimed before the record and the render: of two submissions with one key at the same instant, one renders.
  if (request.idempotencyKey) {
    const existing = await ctx.jobs.claimIdempotencyKey('local', request.idempotencyKey, job.id, fingerprint);
    if (existing) return existing;
  }
  await ctx.jobs.create(job);
  if (!options.wait) return await startDetachedRender(ctx, job);
  return runLocalJob(ctx, job.id, options, inputs);
}

/** The speech machinery, loaded on first use and kept (a batch's check asks for it on every row). */
let speech: Promise<typeof import('../speech/local-voices.js')> | undefined;
const speechModule = () => (speech ??= import('../speech/local-voices.js'));

/**
 * The request's inputs, checked: media downloaded and checked by content, the creator found, the voice
 * chosen (by language) and able to speak. `voiceId` is the voice that speaks, for the job record.
 */
export async function checkedInputs(ctx: Context, request: GenerateRequest): Promise<RenderInputs & { voiceId: string }> {
  if (request.scenes) return checkedSceneInputs(ctx, request, request.scenes);
  // Loading eSpeak overlaps the file checks (which run in ffprobe processes); every voice needs it: to
  // speak, or to time another engine's audio or a supplied voiceover against.
  warmUpSpeech();
  const { planVoice, speechChoice } = await speechModule();
  const plan = await planVoice(ctx, request);
  // A profile's brand kit (`ugc config set brand`, stored absolute) is the default for local renders.
  const brand = request.brand ?? (await readProfile(ctx)).brand ?? null;
  const inputs = await resolveRenderInputs(await withDownloads(ctx, { ...request, brand }), await locateFfmpeg(ctx.env), ctx.configDir, speechChoice(ctx, plan, request));
  return { ...inputs, voiceId: plan.voice.id };
}

/**
 * A request in scenes: each scene checked as the request it is (its script, creator, image and voice), a
 * problem named by its scene. The first scene's creator is the ad's picture where one is needed (layout).
 */
async function checkedSceneInputs(ctx: Context, request: GenerateRequest, scenes: Scene[]): Promise<RenderInputs & { voiceId: string }> {
  if (request.audio) throw new InputError({ field: 'audio', message: '{} is one recording: it cannot be split between scenes said by different creators', hint: 'Drop --audio, or give the whole ad one creator.' });
  const { scenes: _whole, ...ad } = request;
  const checked: Awaited<ReturnType<typeof checkedInputs>>[] = [];
  for (const [i, scene] of scenes.entries()) {
    try {
      checked.push(await checkedInputs(ctx, { ...ad, script: scene.script, creator: scene.creator, image: scene.image, voice: scene.voice }));
    } catch (error) {
      if (error instanceof InputError) throw new InputError({ ...error.issue, scene: i });
      if (error instanceof UsageError) throw new InputError({ field: 'creator', message: error.message, hint: error.hint, scene: i });
      throw error;
    }
  }
  const [first] = checked as [RenderInputs & { voiceId: string }];
  const tools = await locateFfmpeg(ctx.env);
  const shots = await Promise.all(scenes.map((scene, i) => sceneShots(scene, i, first.productImage, tools)));
  return {
    ...first,
    script: request.script,
    notice: [...new Set(checked.map((c) => c.notice).filter(Boolean))].join('\n') || null,
    scenes: checked.map((c, i) => ({ script: c.script, creatorImage: c.creatorImage, rig: c.rig, voice: c.voice, speaker: c.speaker, shots: shots[i] ?? [] })),
  };
}

/** A scene's b-roll (each file an image or a video, by content), then its product shot. */
async function sceneShots(scene: Scene, index: number, productImage: string | null, tools: FfmpegTools): Promise<Shot[]> {
  const shots: Shot[] = [];
  for (const path of scene.broll) {
    if (isUrl(path)) throw new InputError({ field: 'broll', scene: index, message: `${path}: a scene's b-roll must be a local file` });
    if (!(await stat(path).catch(() => null))?.isFile()) throw new InputError({ field: 'broll', scene: index, message: `no such file ${path}` });
    const kind = await shotKind(path, tools);
    if (!kind) throw new InputError({ field: 'broll', scene: index, message: `${path} is not an image or a video` });
    shots.push({ path, kind, fit: 'cover' });
  }
  if (scene.product) {
    if (!productImage) throw new InputError({ field: 'product', scene: index, message: "needs the ad's {productImage}" });
    shots.push({ path: productImage, kind: 'image', fit: 'contain' });
  }
  return shots;
}

/** Media given as URLs are fetched once into the config dir's cache (keyed by URL), then checked like files. */
async function withDownloads(ctx: Context, request: GenerateRequest): Promise<GenerateRequest> {
  const resolved = { ...request };
  for (const field of MEDIA_FIELDS) {
    const url = request[field];
    if (!isUrl(url)) continue;
    const extension = /\.[a-z0-9]{2,5}$/i.exec(new URL(url).pathname)?.[0] ?? '';
    const path = join(ctx.configDir, 'cache', 'downloads', `${createHash('sha256').update(url).digest('hex').slice(0, 24)}${extension}`);
    if (!(await stat(path).catch(() => null))) {
      const http = new HttpClient({ provider: 'download', baseUrl: url, auth: null, idempotency: 'none', parseError: readErrorEnvelope, maxAttempts: 3 });
      await http.download(url, path).catch((error: unknown) => {
        throw new InputError({ field, message: `{}: could not download ${url}: ${(error as Error).message}` });
      });
    }
    resolved[field] = path;
  }
  return resolved;
}

/**
 * Renders a stored job in this process, keeping its record current (used by `generate` and the background
 * render process). `checked` is passed when this process just checked the inputs; otherwise they are checked again.
 */
export async function runLocalJob(ctx: Context, jobId: string, options: Pick<SubmitOptions, 'onProgress' | 'signal'>, checked?: RenderInputs): Promise<Job> {
  const job = await ctx.jobs.updateIfActive(jobId, { status: 'processing', providerStatus: 'processing', stage: 'voice', worker: { pid: process.pid, host: hostname() } });
  if (isTerminal(job.status)) return job;
  const outputPath = String(job.request.out);
  const thumbnailPath = thumbnailPathFor(outputPath);
  const local = new AbortController();
  const signal = AbortSignal.any([options.signal, local.signal]);
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  let percentShown = 0;
  let statusShown = '';
  // A model runner's own state (waiting for its server, running) shows as the job's stage until the next one.
  const onStatus = (text: string) => {
    if (text === statusShown) return;
    statusShown = text;
    options.onProgress?.(text, percentShown);
    writing = writing.then(() => ctx.jobs.updateIfActive(jobId, { stage: text, providerStatus: 'processing' }));
  };
  try {
    const tools = await locateFfmpeg(ctx.env);
    const request = job.request as unknown as GenerateRequest;
    const runnerId = typeof job.runner === 'string' ? job.runner : request.model;
    const inputs = checked ?? (await checkedInputs(ctx, runnerId ? { ...request, model: runnerId } : request));
    const runner = runnerId && !isBuiltInRunner(runnerId) ? await findRunner(runnerId, ctx.configDir, { onStatus }) : undefined;
    const rendered = await renderAd(inputs, {
      tools,
      outputPath,
      thumbnailPath,
      signal,
      runner,
      onProgress: (stage, percent) => {
        percentShown = percent;
        statusShown = '';
        options.onProgress?.(stage, percent);
        const now = Date.now();
        if (now - lastWrite < PROGRESS_WRITE_INTERVAL_MS) return;
        lastWrite = now;
        writing = writing.then(() =>
          ctx.jobs.updateIfActive(jobId, { progress: percent, stage, providerStatus: stage }).then((current) => {
            if (current.status === 'cancelled') local.abort();
          }),
        );
      },
      // Publish only if nobody cancelled the job meanwhile: the check, the renames and the record update
      // happen under the job's lock, so a concurrent `cancel` sees either a finished job or none at all.
      commit: async (durationSeconds, publish) => {
        await writing;
        const final = await ctx.jobs.update(jobId, async (current) => {
          if (current.status !== 'processing') return null;
          await publish();
          return {
            status: 'completed',
            providerStatus: 'completed',
            progress: 100,
            stage: 'done',
            output: { path: outputPath, url: null, thumbnailPath, durationSeconds, subtitlesPath: inputs.subtitles ? subtitlesPathFor(outputPath, inputs.subtitles) : null },
            worker: null,
          };
        });
        return final.status === 'completed';
      },
    });
    for (const warning of rendered.warnings) note(ctx, warning);
    await writing;
    return await ctx.jobs.get(jobId);
  } catch (error) {
    await writing.catch(() => undefined);
    const interrupted = error instanceof InterruptedError || signal.aborted;
    const code = interrupted ? 'interrupted' : error instanceof UgcError ? error.code : 'render_failed';
    const message = interrupted ? 'the render was interrupted' : error instanceof Error ? error.message : String(error);
    const final = await ctx.jobs.updateIfActive(jobId, { status: interrupted ? 'cancelled' : 'failed', providerStatus: interrupted ? 'cancelled' : 'failed', error: { code, message }, worker: null });
    if (interrupted && final.error?.code === 'cancelled') return final;
    throw interrupted ? new InterruptedError('the render was interrupted; no output was written') : error;
  }
}

/** `generate --no-wait`: the render continues in a detached process that outlives this one. */
async function startDetachedRender(ctx: Context, job: Job): Promise<Job> {
  const child = spawn(process.execPath, [BIN, '__render-job', job.id], {
    detached: true,
    stdio: 'ignore',
    cwd: ctx.cwd,
    env: { ...ctx.env, UGC_CONFIG_DIR: ctx.configDir } as NodeJS.ProcessEnv,
  });
  child.unref();
  if (!child.pid) throw new UgcError('could not start the background render process');
  const worker = { pid: child.pid, host: hostname() };
  // Recorded here too, so a child that dies before it writes anything is still noticed by `status`.
  return ctx.jobs.update(job.id, (current) => (current.worker ? null : { worker }));
}
