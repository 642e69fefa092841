import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '../core/job.js';

const PREFIX = 'ugc-render-';
/** Who made a work dir: a render killed outright cannot remove its dir, so the next `ugc` does. */
const OWNER_FILE = 'owner.json';

/** A private temp dir for one render, recording its owner (this process). */
export async function makeWorkDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), PREFIX));
  await writeFile(join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname(), createdAt: new Date().toISOString() }));
  return dir;
}

/**
 * Removes the render work dirs whose owner process on this machine is gone (killed mid-render).
 * A dir without an owner record, or owned by a live process or another host, is left alone.
 * Returns the dirs removed.
 */
export async function sweepOrphanWorkDirs(root: string = tmpdir()): Promise<string[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(root, name);
    const owner = await readOwner(dir);
    if (!owner || owner.host !== hostname() || isProcessAlive(owner.pid)) continue;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    removed.push(dir);
  }
  return removed;
}

async function readOwner(dir: string): Promise<{ pid: number; host: string } | null> {
  try {
    const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as { pid?: unknown; host?: unknown };
    return Number.isInteger(owner.pid) && typeof owner.host === 'string' ? { pid: owner.pid as number, host: owner.host } : null;
  } catch {
    return null;
  }
}
