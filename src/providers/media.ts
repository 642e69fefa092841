import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { isUrl, MEDIA_FIELDS, mediaKindOf, type GenerateRequest } from '../core/request.js';
import type { UploadKind, UploadLimit } from './definition.js';

/**
 * Every media file of a request given as a local path is checked by its content (ffprobe), not its name,
 * before anything is uploaded or spent: a text file named `.png` is refused here, not by the provider
 * after the upload. URLs are the provider's to fetch.
 */
export async function checkRequestMedia(ctx: Context, request: GenerateRequest): Promise<void> {
  const local = MEDIA_FIELDS.filter((field) => request[field] && !isUrl(request[field]));
  if (local.length === 0) return;
  const [{ checkMedia }, tools] = await Promise.all([import('../render/inputs.js'), ffmpegTools(ctx)]);
  for (const field of local) await checkMedia(field, request[field] as string, mediaKindOf(field), tools);
}

/** A file a command uploads or stores (a creator photo, a voice sample), checked the same way. */
export async function checkMediaFile(ctx: Context, path: string, kind: 'image' | 'audio'): Promise<void> {
  const [{ mediaProblem }, tools] = await Promise.all([import('../render/inputs.js'), ffmpegTools(ctx)]);
  const problem = await mediaProblem(path, kind, tools);
  if (problem) throw new UsageError(problem);
}

/** An upload's extension and size against the provider's limits (cheap, so before the content check); returns its content type. */
export async function checkUploadLimits(provider: string, limit: UploadLimit, kind: UploadKind, path: string): Promise<string> {
  const contentType = limit.types[extname(path).slice(1).toLowerCase()];
  if (!contentType) throw new UsageError(`${basename(path)}: ${provider} takes ${Object.keys(limit.types).join(', ')} files for ${kind} uploads`);
  const size = (await stat(path).catch(() => null))?.size;
  if (size === undefined) throw new UsageError(`no such file ${path}`);
  if (size > limit.maxBytes) throw new UsageError(`${basename(path)} is ${(size / 1048576).toFixed(1)} MB; ${provider} takes ${kind} uploads up to ${limit.maxBytes / 1048576} MB`);
  return contentType;
}

/** The size a creator photo is shown at: the 9:16 frame at 1080p (and at least the 720p frame, 720x1280). */
const PHOTO_BEST = { width: 1080, height: 1920 };
const PHOTO_LEAST = { width: 720, height: 1280 };

/**
 * What would make a creator photo look worse than it could, for warnings: landscape (a 9:16 frame shows
 * only its middle), or smaller than the 720p frame (enlarged, soft). Says the size and what is recommended.
 */
export async function photoAdvice(ctx: Context, path: string): Promise<string[]> {
  const [{ probe, firstStream }, tools] = await Promise.all([import('../render/ffmpeg/probe.js'), ffmpegTools(ctx)]);
  const result = await probe(tools.ffprobe.path, path);
  const stream = result ? firstStream(result, 'video') : undefined;
  const { width, height } = { width: stream?.width ?? 0, height: stream?.height ?? 0 };
  if (!width || !height) return [];
  const name = basename(path);
  const advice: string[] = [];
  if (width > height) {
    const shown = Math.round(((height * 9) / 16 / width) * 100);
    advice.push(`${name} is landscape (${width}x${height}): a 9:16 ad shows only its middle ${shown}%. A portrait photo (${PHOTO_BEST.width}x${PHOTO_BEST.height}) fills the frame.`);
  }
  if (Math.min(width, height) < PHOTO_LEAST.width || Math.max(width, height) < PHOTO_LEAST.height) {
    advice.push(`${name} is small (${width}x${height}): it is enlarged to fill the frame and looks soft. At least ${PHOTO_LEAST.width}x${PHOTO_LEAST.height} is recommended, ${PHOTO_BEST.width}x${PHOTO_BEST.height} best.`);
  }
  return advice;
}

const ffmpegTools = async (ctx: Context) => (await import('../render/ffmpeg/locate.js')).locateFfmpeg(ctx.env);
