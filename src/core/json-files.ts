import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UgcError } from './errors.js';

// A missing file or directory is common (no custom creators, no added voices) and is checked for each row of a
// batch: a stat that does not throw is far cheaper than the ENOENT error a read would build and throw.
const missing = (path: string) => statSync(path, { throwIfNoEntry: false }) === undefined;

/** What to say about a state file that is not valid JSON: which file, why, and what to do. */
export function invalidJsonError(path: string, cause: unknown, hint = `Fix it by hand, or move it away: ${path}`): UgcError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new UgcError(`${path} is not valid JSON (${why})`, { code: 'bad_state_file', hint, cause });
}

/** A JSON file's content, or null when there is no such file; a file that is not JSON is an error naming it. */
export async function readJsonFile<T>(path: string, hint?: string): Promise<T | null> {
  if (missing(path)) return null;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw invalidJsonError(path, error, hint);
  }
}

/**
 * The state files in the config dir (its `*.json` and the job records) that cannot be read as JSON,
 * each as a problem line: for `doctor`.
 */
export async function brokenStateFiles(configDir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const dir of [configDir, join(configDir, 'jobs'), join(configDir, 'webhooks')]) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.name.endsWith('.json') || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        problems.push(`${path} is a symbolic link; ugc reads only plain files there: remove it`);
        continue;
      }
      if (!entry.isFile()) continue;
      try {
        JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        problems.push(`${path} is not valid JSON (${(error as Error).message}): fix it by hand, or move it away`);
      }
    }
  }
  return problems;
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

/**
 * Reads each record with `find`, skipping unreadable ones (one bad file must not hide the rest), each
 * told to `onUnreadable`; newest first.
 */
export async function listRecords<T extends { createdAt: string; id: string }>(dir: string, find: (id: string) => Promise<T | null>, onUnreadable?: (id: string, error: unknown) => void): Promise<T[]> {
  const records: T[] = [];
  for (const id of await listJsonIds(dir)) {
    const record = await find(id).catch((error: unknown) => {
      onUnreadable?.(id, error);
      return null;
    });
    if (record) records.push(record);
  }
  return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}
