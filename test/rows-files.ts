import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseRowsFile, validateRows } from '../src/batch/rows.js';

/** Writes `text` to `name` under `root`, making its folders; returns the path. */
export async function writeIn(root: string, name: string, text: string): Promise<string> {
  const path = join(root, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return path;
}

/** A batch rows file written under `root`, then parsed and checked as `ugc batch` does (paths relative to it). */
export async function loadRowsIn(root: string, name: string, text: string) {
  const path = await writeIn(root, name, text);
  return validateRows(await parseRowsFile(path), { cwd: dirname(path) });
}
