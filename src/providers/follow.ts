import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempPathFor, writeFileAtomic, writeThroughTemp } from '../core/atomic-write.js';
import type { Context } from '../core/context.js';
import { InterruptedError, UgcError } from '../core/errors.js';
import { isTerminal, type Job, type OutputType } from '../core/job.js';
import { thumbnailPathFor, withExtension } from '../core/output-path.js';
import { note } from '../core/present.js';
import type { ProviderDefinition } from './definition.js';
import { requirePart } from './registry.js';
import { thumbnailArgs } from '../render/compose.js';
import { locateFfmpeg } from '../render/ffmpeg/locate.js';
import { decodeProblem, durationOf, mediaTypeOf, probe } from '../render/ffmpeg/probe.js';
import { runFfmpeg } from '../render/ffmpeg/run.js';

export interface FollowOptions {
  /** Where the finished video goes. */
  outputPath: string;
  intervalSeconds?: number;
  timeoutSeconds?: number | null;
  signal: AbortSignal;
  /** Called with each new state (status, progress or stage changed). */
  onChange?: (job: Job) => void;
  onDownload?: (received: number, total: number | null) => void;
}

/**
 * (Shared by `generate`, `watch` and `batch`. It uses the render layer's ffmpeg helpers only to make the
 * thumbnail of a downloaded video.)
 *
 * Polls a job to a terminal status at the provider's recommended interval (with jitter, so many
 * watchers do not poll in step), then makes sure its video is at `outputPath` with a thumbnail beside it.
 */
export async function follow(ctx: Context, provider: ProviderDefinition, job: Job, options: FollowOptions): Promise<Job> {
  const jobs = requirePart(provider, 'jobs', 'watch');
  const interval = options.intervalSeconds ?? ctx.settings.pollIntervalSeconds ?? jobs.pollIntervalSeconds;
  const deadline = options.timeoutSeconds ? Date.now() + options.timeoutSeconds * 1000 : Infinity;
  let last = '';
  for (;;) {
    const fingerprint = `${job.status}|${job.progress}|${job.stage ?? ''}`;
    if (fingerprint !== last) {
      last = fingerprint;
      options.onChange?.(job);
    }
    if (isTerminal(job.status)) break;
    const wait = interval * 1000 * (0.9 + Math.random() * 0.2);
    if (Date.now() + wait > deadline) {
      throw new UgcError(`gave up after ${options.timeoutSeconds} s; ${job.id} is still ${job.status}`, { hint: `Run \`ugc watch ${job.id}\` to keep following it.` });
    }
    try {
      await sleep(wait, undefined, { signal: options.signal });
    } catch {
      throw new InterruptedError(`stopped following ${job.id}; it continues (\`ugc watch ${job.id}\`)`);
    }
    job = await jobs.refresh(ctx, job);
  }
  if (job.status !== 'completed') return job;
  return deliver(ctx, provider, job, options);
}

/**
 * Whether `job`'s output is already at `target`: the same path, or the same path with the extension its
 * type gave it (an image asked for as `ad.mp4` is at `ad.png`).
 */
export function isDeliveredAt(job: Job, target: string): boolean {
  const path = job.output.path;
  return path !== null && (path === target || (job.output.type !== 'video' && job.output.type != null && path === withExtension(target, extname(path).slice(1))));
}

/**
 * Puts the finished output at `outputPath`: copied (a local job asked elsewhere) or downloaded (a job
 * whose output is at a URL). A download's content decides its type and extension: a video gets a
 * thumbnail beside it; an image or audio (a provider kind that makes one) is written with its own
 * extension instead of the `.mp4` asked for, and the command says so.
 */
async function deliver(ctx: Context, provider: ProviderDefinition, job: Job, options: FollowOptions): Promise<Job> {
  const download = provider.jobs?.download;
  let target = options.outputPath;
  if (isDeliveredAt(job, target)) return job;
  let type: OutputType = job.output.type ?? 'video';
  if (job.output.path) {
    if (type !== 'video') target = withExtension(target, extname(job.output.path).slice(1));
    await copyAtomic(job.output.path, target);
    if (job.output.thumbnailPath) await copyAtomic(job.output.thumbnailPath, thumbnailPathFor(target));
  } else if (job.output.url && download) {
    const staged = tempPathFor(target);
    try {
      await download(ctx, job, staged, { signal: options.signal, onProgress: options.onDownload });
      const media = await mediaOf(ctx, staged);
      type = media.type;
      if (type !== 'video' || media.extension !== 'mp4') target = withExtension(target, media.extension);
      await rename(staged, target);
    } finally {
      await rm(staged, { force: true });
    }
  } else {
    throw new UgcError(`${job.id} completed but ${provider.name} gave no video URL`, { code: 'no_output' });
  }
  if (type !== 'video') ctx.io.stderr.write(`warning: ${provider.name} made ${type === 'image' ? 'an image' : 'audio'}, not a video: wrote ${target}\n`);
  const thumbnailPath = type === 'video' ? thumbnailPathFor(target) : null;
  const durationSeconds = job.output.thumbnailPath && job.output.path ? job.output.durationSeconds : type === 'image' ? null : await makeThumbnail(ctx, target, thumbnailPath);
  const subtitlesPath = type === 'image' ? null : await deliverSubtitles(ctx, job, target, options.signal);
  return ctx.jobs.update(job.id, (current) => ({ output: { ...current.output, path: target, thumbnailPath, durationSeconds, subtitlesPath, type } }));
}

/** A downloaded file's type by its content; anything that is not media is an error. */
async function mediaOf(ctx: Context, file: string): Promise<{ type: OutputType; extension: string }> {
  const tools = await locateFfmpeg(ctx.env);
  const media = await probe(tools.ffprobe.path, file).then((info) => info && mediaTypeOf(info));
  if (!media) throw new UgcError('the downloaded file is not a video, an image or audio', { code: 'bad_output' });
  return media;
}

/**
 * The `--subtitles` sidecar beside the delivered video: copied when the render made one, else timed by
 * aligning the script to the video's own voice (a provider returns no word timings). A video that cannot
 * be aligned is still delivered, with a notice.
 */
async function deliverSubtitles(ctx: Context, job: Job, target: string, signal: AbortSignal): Promise<string | null> {
  const format = job.request.subtitles;
  if (format !== 'srt' && format !== 'vtt') return null;
  const { subtitlesPathFor, buildSubtitles } = await import('../render/subtitles.js');
  const path = subtitlesPathFor(target, format);
  if (job.output.subtitlesPath) {
    if (job.output.subtitlesPath !== path) await copyAtomic(job.output.subtitlesPath, path);
    return path;
  }
  const script = typeof job.request.script === 'string' ? job.request.script.trim() : '';
  if (!script) {
    note(ctx, `no subtitles for ${job.id}: the request had no script to time`);
    return null;
  }
  try {
    const [{ alignScriptToRecording }, { findVoice }] = await Promise.all([import('../render/align/index.js'), import('../render/voices.js')]);
    const requested = typeof job.request.voice === 'string' ? await findVoice(job.request.voice).catch(() => null) : null;
    const voice = requested ?? (await findVoice('en-us-female'));
    const { words } = await alignScriptToRecording({ script, audioPath: target, voice, tools: await locateFfmpeg(ctx.env), signal });
    await writeFileAtomic(path, buildSubtitles(format, words));
    return path;
  } catch (error) {
    if (signal.aborted) throw error;
    note(ctx, `no subtitles for ${job.id}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/** A thumbnail for a downloaded video (none for audio), one second in (or half way through a shorter one); returns its duration. */
async function makeThumbnail(ctx: Context, video: string, thumbnailPath: string | null): Promise<number | null> {
  const tools = await locateFfmpeg(ctx.env);
  const info = await probe(tools.ffprobe.path, video);
  if (!info) throw new UgcError(`the downloaded file ${video} is not a video`, { code: 'bad_output' });
  const duration = durationOf(info);
  if (!thumbnailPath) return duration || null;
  await writeThroughTemp(thumbnailPath, async (temp) => {
    await runFfmpeg(tools.ffmpeg.path, thumbnailArgs(video, Math.min(1, duration / 2), temp), { what: 'writing the thumbnail' });
    // ffmpeg may exit 0 having written nothing (a full disk).
    const damage = await decodeProblem(tools.ffmpeg.path, temp, 'image');
    if (damage) throw new UgcError(`the thumbnail ${thumbnailPath} could not be written (${damage}); is the disk full?`, { code: 'write_failed' });
  });
  return duration || null;
}

async function copyAtomic(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await writeThroughTemp(to, (temp) => copyFile(from, temp));
}
