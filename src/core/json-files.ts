import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

// A missing file or directory is common (no custom creators, no added voices) and is checked for each row of a
// batch: a stat that does not throw is far cheaper than the ENOENT error a read would build and throw.
const missing = (path: string) => statSync(path, { throwIfNoEntry: false }) === undefined;

/** A JSON file's content, or null when there is no such file (other errors are thrown). */
export async function readJsonFile<T>(path: string): Promise<T | null> {
  if (missing(path)) return null;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The ids of the `<id>.json` records in `dir` (temp and lock files, which start with a dot or end otherwise, excluded). */
export async function listJsonIds(dir: string): Promise<string[]> {
  if (missing(dir)) return [];
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).map((name) => name.slice(0, -'.json'.length));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Reads each record with `find`, skipping unreadable ones (one bad file must not hide the rest), newest first. */
export async function listRecords<T extends { createdAt: string; id: string }>(dir: string, find: (id: string) => Promise<T | null>): Promise<T[]> {
  const records: T[] = [];
  for (const id of await listJsonIds(dir)) {
    const record = await find(id).catch(() => null);
    if (record) records.push(record);
  }
  return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}
