import { randomBytes } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { UsageError } from './errors.js';

/** Names that say "a video file" but not MP4, which is what `ugc` writes: refused rather than made a directory. */
const OTHER_MEDIA = /\.(mov|qt|mkv|webm|avi|m4v|wmv|flv|mpe?g|3gp|ts|gif|jpe?g|png|webp|wav|mp3|m4a|aac)$/i;
/** The longest name of one path component on Linux and macOS filesystems, in bytes. */
const NAME_MAX_BYTES = 255;
/** What the temp file beside the output adds to its name (`.<name>.<pid>.<8 hex>.tmp`, a pid of up to 7 digits): see atomic-write.ts. */
const TEMP_NAME_EXTRA_BYTES = '.'.length + '.9999999.01234567.tmp'.length;
const OUT_HINT = 'Pass --out <file.mp4|dir> somewhere writable.';

/**
 * `--out` is a file when it ends in .mp4, else a directory that receives `<id>.mp4` (also any path ending
 * in a slash). A name ending in another media extension (`ad.mov`) is a usage error: it is neither.
 */
export function resolveOutputPath(out: string | null | undefined, id: string, cwd: string = process.cwd()): string {
  if (!out) return join(cwd, 'ugc-out', `${id}.mp4`);
  const target = resolve(cwd, out);
  const isDirectory = /[\\/]$/.test(out);
  if (!isDirectory && OTHER_MEDIA.test(target)) {
    throw new UsageError(`--out ${out}: ugc writes MP4 video, not ${extname(target).slice(1).toLowerCase()}`, `Name the file ${withExtension(basename(target), 'mp4')}, or give a directory.`);
  }
  return !isDirectory && /\.mp4$/i.test(target) ? target : join(target, `${id}.mp4`);
}

export const thumbnailPathFor = (videoPath: string): string => videoPath.replace(/\.mp4$/i, '.jpg');

/** `path` with its extension replaced (an output that turned out not to be an MP4 video). */
export const withExtension = (path: string, extension: string): string => `${path.slice(0, path.length - extname(path).length)}.${extension}`;

/**
 * Fails (exit 2) before any work unless the output file can be written: every name in the path fits the
 * filesystem (255 bytes, the file's name less what its temp file adds), the nearest existing directory
 * on the way is a directory where a file can really be created (tried, then removed: permission bits
 * alone do not tell, e.g. /proc for root), and the path itself is not a directory. Creates nothing.
 */
export async function checkOutputWritable(outputPath: string): Promise<void> {
  checkNameLengths(outputPath);
  let dir = dirname(outputPath);
  for (;;) {
    const info = await stat(dir).catch(() => null);
    if (info) {
      if (!info.isDirectory()) throw new UsageError(`cannot write ${outputPath}: ${dir} is not a directory`, OUT_HINT);
      await tryCreatingIn(dir, outputPath);
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const existing = await stat(outputPath).catch(() => null);
  if (existing?.isDirectory()) throw new UsageError(`cannot write ${outputPath}: it is a directory`, OUT_HINT);
}

function checkNameLengths(outputPath: string): void {
  const names = outputPath.split(sep).filter(Boolean);
  const file = names.pop() ?? '';
  const long = names.find((name) => Buffer.byteLength(name) > NAME_MAX_BYTES);
  if (long) throw new UsageError(`cannot write ${outputPath}: the directory name "${long.slice(0, 24)}…" is ${Buffer.byteLength(long)} bytes; a name can be at most ${NAME_MAX_BYTES}`, OUT_HINT);
  const most = NAME_MAX_BYTES - TEMP_NAME_EXTRA_BYTES;
  if (Buffer.byteLength(file) > most) throw new UsageError(`cannot write ${outputPath}: the file name is ${Buffer.byteLength(file)} bytes; it can be at most ${most} (the filesystem's ${NAME_MAX_BYTES}, less the temp file's suffix)`, OUT_HINT);
}

async function tryCreatingIn(dir: string, outputPath: string): Promise<void> {
  const probe = join(dir, `.ugc-write-test.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot write ${outputPath}: no file can be created in ${dir} (${code})`, OUT_HINT);
  }
  await rm(probe, { force: true });
}
