import { readFile, rm, stat, utimes } from 'node:fs/promises';
import { createExclusive } from '../core/atomic-write.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, InterruptedError, UgcError } from '../core/errors.js';
import { withFileLock } from '../core/file-lock.js';
import { isProcessAlive } from '../core/job.js';

/** The file in an output directory that says which `ugc batch` run owns it. */
export const OWNER_FILE = 'ugc-batch.owner';
/** How often the owner touches its file; a file on another host untouched for STALE_AFTER_MS is left by a run that is gone. */
const HEARTBEAT_MS = 10_000;
const STALE_AFTER_MS = 60_000;
const WAIT_POLL_MS = 500;

export interface Owner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface OutDirClaim {
  release(): Promise<void>;
}

/**
 * Makes this process the one `ugc batch` run that owns `outDir` (an exclusive create of its owner file,
 * holding this pid and host), so two runs never render the same rows. A file left by a run that is gone
 * (its pid dead on this host, or untouched for a minute on another) is taken over. A live owner is an
 * error naming it (exit 2), or with `wait`, waited for until it releases the directory.
 */
export async function claimOutDir(outDir: string, options: { wait: boolean; signal: AbortSignal; onWait?: (owner: Owner) => void }): Promise<OutDirClaim> {
  const path = join(outDir, OWNER_FILE);
  const me: Owner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let waiting = false;
  for (;;) {
    if (options.signal.aborted) throw new InterruptedError(`stopped waiting for ${outDir}`);
    // Appears whole or not at all: another run never reads it empty and mistakes a live owner for a stale one.
    if (await createExclusive(path, `${JSON.stringify(me)}\n`)) break;
    // Taking over a stale file is done under a short lock, so two runs never both remove and recreate it.
    const owner = await withFileLock(`${path}.lock`, async () => {
      const current = await readOwner(path);
      if (current && !(await isStale(path, current))) return current;
      await rm(path, { force: true });
      return null;
    });
    if (!owner) continue;
    if (!options.wait) {
      throw new UgcError(`${outDir} is in use by another ugc batch (${describeOwner(owner)})`, {
        exitCode: ExitCode.Usage,
        code: 'out_dir_in_use',
        hint: 'Wait for it to finish (add --wait to wait here), or pass another --out.',
      });
    }
    if (!waiting) options.onWait?.(owner);
    waiting = true;
    await sleep(WAIT_POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    release: async () => {
      clearInterval(heartbeat);
      const current = await readOwner(path);
      if (current && current.pid === me.pid && current.host === me.host && current.startedAt === me.startedAt) await rm(path, { force: true });
    },
  };
}

export const describeOwner = (owner: Owner): string => `pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}`;

async function readOwner(path: string): Promise<Owner | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<Owner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.startedAt === 'string') return parsed as Owner;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  }
  // Unreadable (a run killed between creating and writing it): treated as stale by its age alone.
  return { pid: 0, host: '', startedAt: '' };
}

async function isStale(path: string, owner: Owner): Promise<boolean> {
  if (owner.host === hostname() && owner.pid > 0) return !isProcessAlive(owner.pid);
  const info = await stat(path).catch(() => null);
  return !info || Date.now() - info.mtimeMs > STALE_AFTER_MS;
}
