import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Context } from '../core/context.js';
import { InterruptedError, UgcError, UsageError } from '../core/errors.js';
import { HttpClient } from '../http/client.js';
import { readErrorEnvelope } from './envelopes.js';
import { isTerminal, newJob, type Job } from '../core/job.js';
import { checkOutputWritable, thumbnailPathFor } from '../core/output-path.js';
import { note } from '../core/present.js';
import type { GenerateRequest } from '../core/request.js';
import { locateFfmpeg } from '../render/ffmpeg/locate.js';
import { resolveRenderInputs, type RenderInputs } from '../render/inputs.js';
import { renderAd } from '../render/pipeline.js';
import { SUBTITLE_FORMATS, subtitlesPathFor } from '../render/subtitles.js';
import { warmUpSpeech } from '../render/tts.js';
import type { Provider, SubmitOptions } from './types.js';

const BIN = fileURLToPath(new URL('../../bin/ugc.js', import.meta.url));
/** Job records are rewritten at most this often while rendering. */
const PROGRESS_WRITE_INTERVAL_MS = 400;

/** The offline pipeline on this machine. Jobs live only in the job store; `remoteId` is null. */
export const localProvider: Provider = {
  name: 'local',
  capabilities: { cancel: true, creators: true, voices: true, uploads: false, models: true, estimate: true, projects: false },
  pollIntervalSeconds: 0.5,

  async validate(ctx, request) {
    await checkedInputs(ctx, request);
  },

  async submit(ctx, request, options) {
    if (request.idempotencyKey) {
      const existing = await ctx.jobs.findByIdempotencyKey('local', request.idempotencyKey);
      if (existing) return existing;
    }
    await checkOutputWritable(options.outputPath);
    const inputs = await checkedInputs(ctx, request);
    if (inputs.notice) note(ctx, inputs.notice);
    const job = newJob({ id: options.jobId, provider: 'local', request: { ...request, out: options.outputPath } });
    await ctx.jobs.create(job);
    if (!options.wait) return await startDetachedRender(ctx, job);
    return runLocalJob(ctx, job.id, options, inputs);
  },

  async refresh(ctx, job) {
    const current = await ctx.jobs.get(job.id);
    if (isTerminal(current.status) || !current.worker || current.worker.host !== hostname() || isAlive(current.worker.pid)) return current;
    // The render process is gone without recording an outcome (killed, out of memory…): say so once, and
    // remove the temp files it left beside the output path.
    await removeTempFilesOf(String(current.request.out), current.worker.pid);
    return ctx.jobs.updateIfActive(job.id, { status: 'failed', providerStatus: 'failed', error: { code: 'render_died', message: 'the render process exited unexpectedly' } });
  },

  async cancel(ctx, job) {
    const updated = await ctx.jobs.updateIfActive(job.id, { status: 'cancelled', providerStatus: 'cancelled', error: { code: 'cancelled', message: 'cancelled by user' } });
    const pid = updated.worker?.pid;
    if (pid && updated.worker?.host === hostname() && pid !== process.pid && isAlive(pid)) {
      // The renderer sees the signal, stops ffmpeg and deletes its temp files; the record already says cancelled.
      process.kill(pid, 'SIGTERM');
    }
    return updated;
  },
};

/** Renders a stored job in this process, keeping its record current. Used by `generate` and the background worker. */
async function checkedInputs(ctx: Context, request: GenerateRequest): Promise<RenderInputs> {
  // Loading the speech engine overlaps the file checks (which run in ffprobe processes); a supplied
  // voiceover needs it too, to time the recording against.
  warmUpSpeech();
  return resolveRenderInputs(await withDownloads(ctx, request), await locateFfmpeg(ctx.env), ctx.configDir);
}

const MEDIA_FIELDS = ['image', 'audio', 'music', 'productImage'] as const;

/** Media given as URLs are fetched once into the config dir's cache (keyed by URL), then checked like files. */
async function withDownloads(ctx: Context, request: GenerateRequest): Promise<GenerateRequest> {
  const resolved = { ...request };
  for (const field of MEDIA_FIELDS) {
    const url = request[field];
    if (!url || !/^https?:\/\//i.test(url)) continue;
    const extension = /\.[a-z0-9]{2,5}$/i.exec(new URL(url).pathname)?.[0] ?? '';
    const path = join(ctx.configDir, 'cache', 'downloads', `${createHash('sha256').update(url).digest('hex').slice(0, 24)}${extension}`);
    if (!(await stat(path).catch(() => null))) {
      const http = new HttpClient({ provider: 'download', baseUrl: url, auth: null, idempotency: 'none', parseError: readErrorEnvelope, maxAttempts: 3 });
      await http.download(url, path).catch((error: unknown) => {
        throw new UsageError(`--${field === 'productImage' ? 'product-image' : field}: could not download ${url}: ${(error as Error).message}`);
      });
    }
    resolved[field] = path;
  }
  return resolved;
}

/** `inputs` are passed when this process just checked them; the background worker checks them again. */
export async function runLocalJob(ctx: Context, jobId: string, options: Pick<SubmitOptions, 'onProgress' | 'signal'>, checked?: RenderInputs): Promise<Job> {
  const job = await ctx.jobs.updateIfActive(jobId, { status: 'processing', providerStatus: 'processing', stage: 'voice', worker: { pid: process.pid, host: hostname() } });
  if (isTerminal(job.status)) return job;
  const outputPath = String(job.request.out);
  const thumbnailPath = thumbnailPathFor(outputPath);
  const local = new AbortController();
  const signal = AbortSignal.any([options.signal, local.signal]);
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  try {
    const tools = await locateFfmpeg(ctx.env);
    const inputs = checked ?? (await checkedInputs(ctx, job.request as unknown as GenerateRequest));
    await renderAd(inputs, {
      tools,
      outputPath,
      thumbnailPath,
      signal,
      onProgress: (stage, percent) => {
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
            output: { path: outputPath, url: null, thumbnailPath, durationSeconds },
            worker: null,
          };
        });
        return final.status === 'completed';
      },
    });
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

async function removeTempFilesOf(outputPath: string, pid: number): Promise<void> {
  const dir = dirname(outputPath);
  const names = await readdir(dir).catch(() => [] as string[]);
  const sidecars = SUBTITLE_FORMATS.map((format) => subtitlesPathFor(outputPath, format));
  const prefixes = [outputPath, thumbnailPathFor(outputPath), ...sidecars].map((p) => `.${basename(p)}.${pid}.`);
  await Promise.all(names.filter((n) => n.endsWith('.tmp') && prefixes.some((p) => n.startsWith(p))).map((n) => rm(join(dir, n), { force: true })));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
