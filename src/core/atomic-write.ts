import { randomBytes } from 'node:crypto';
import { link, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temp path beside `target`, so a rename onto `target` is atomic (same filesystem). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to a temp file beside `path` and renames it into place: readers never see half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await writeThroughTemp(path, (temp) => writeFile(temp, data, { mode }));
}

/**
 * `write` fills a temp file beside `path`, which is then renamed into place; on any failure (a full
 * disk included) the temp file is removed, so nothing half-written is left beside the output.
 */
export async function writeThroughTemp(path: string, write: (temp: string) => Promise<unknown>): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await write(temp);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Creates `path` holding `data` only if it does not exist, atomically and never half-written: a hard link of a complete temp file. */
export async function createExclusive(path: string, data: string): Promise<boolean> {
  const temp = tempPathFor(path);
  await writeFile(temp, data);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}
