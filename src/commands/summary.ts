import { relative } from 'node:path';
import type { Context } from '../core/context.js';
import type { Job } from '../core/job.js';
import { formatSeconds } from '../core/progress.js';
import { firstStream, probe } from '../render/ffmpeg/probe.js';
import { locateFfmpeg } from '../render/ffmpeg/locate.js';

/** A path under the working directory as relative to it; any other as it is. */
export function shortPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/**
 * The one-line success summary a person at a terminal sees on stderr after a job completes:
 * `✓ 14.4 s 1080x1920 ad in 12 s → ads/glow.mp4`. Nothing under --quiet or off a terminal.
 */
export async function printSummary(ctx: Context, job: Job, elapsedMs: number): Promise<void> {
  if (ctx.global.quiet || !ctx.io.stderr.isTTY) return;
  const where = job.output.path ? shortPath(ctx.cwd, job.output.path) : (job.output.url ?? job.id);
  const parts = ['✓'];
  if (job.output.durationSeconds) parts.push(`${job.output.durationSeconds.toFixed(1)} s`);
  const size = job.output.path ? await frameSize(ctx, job.output.path) : null;
  if (size) parts.push(size);
  const noun = job.output.type === 'image' || job.output.type === 'audio' ? job.output.type : 'ad';
  parts.push(`${noun} in ${formatSeconds(elapsedMs / 1000)} → ${where}`);
  const line = parts.join(' ');
  ctx.io.stderr.write(`${ctx.fancy ? `\x1b[32m${line.slice(0, 1)}\x1b[39m${line.slice(1)}` : line}\n`);
}

async function frameSize(ctx: Context, path: string): Promise<string | null> {
  try {
    const result = await probe((await locateFfmpeg(ctx.env)).ffprobe.path, path);
    const video = result ? firstStream(result, 'video') : undefined;
    return video?.width && video.height ? `${video.width}x${video.height}` : null;
  } catch {
    return null;
  }
}
