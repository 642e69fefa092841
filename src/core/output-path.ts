import { access, constants, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** `--out` is a file when it ends in .mp4, else a directory that receives `<id>.mp4`. */
export function resolveOutputPath(out: string | null | undefined, id: string, cwd: string = process.cwd()): string {
  const target = out ? resolve(cwd, out) : join(cwd, 'ugc-out');
  return /\.mp4$/i.test(target) ? target : join(target, `${id}.mp4`);
}

export const thumbnailPathFor = (videoPath: string): string => videoPath.replace(/\.mp4$/i, '.jpg');

/** `path` with its extension replaced (an output that turned out not to be an MP4 video). */
export const withExtension = (path: string, extension: string): string => `${path.slice(0, path.length - extname(path).length)}.${extension}`;

/**
 * Fails (exit 2) unless the output file's directory exists and is writable, or can be created: the
 * nearest existing ancestor must be a writable directory. Creates nothing.
 */
export async function checkOutputWritable(outputPath: string): Promise<void> {
  let dir = dirname(outputPath);
  for (;;) {
    const info = await stat(dir).catch(() => null);
    if (info) {
      if (!info.isDirectory()) throw new UsageError(`cannot write ${outputPath}: ${dir} is not a directory`, 'Pass --out <file.mp4|dir> somewhere writable.');
      try {
        await access(dir, constants.W_OK);
      } catch {
        throw new UsageError(`cannot write ${outputPath}: ${dir} is not writable`, 'Pass --out <file.mp4|dir> somewhere writable.');
      }
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const existing = await stat(outputPath).catch(() => null);
  if (existing?.isDirectory()) throw new UsageError(`cannot write ${outputPath}: it is a directory`);
}
