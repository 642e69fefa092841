import { open, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { UgcError } from './errors.js';

/** Locks are held for milliseconds (one read-modify-write); one older than this was left by a dead process. */
const STALE_AFTER_MS = 10_000;
const GIVE_UP_AFTER_MS = 15_000;

/**
 * Runs `fn` while holding an exclusive lock file at `lockPath` (O_EXCL create), across processes. A lock
 * held through slow work (a paid request) passes longer `staleAfterMs` and `giveUpAfterMs`.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: { staleAfterMs?: number; giveUpAfterMs?: number } = {}): Promise<T> {
  const staleAfter = options.staleAfterMs ?? STALE_AFTER_MS;
  const giveUpAfter = options.giveUpAfterMs ?? GIVE_UP_AFTER_MS;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await lockAge(lockPath);
      if (age !== null && age > staleAfter) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() - started > giveUpAfter) {
        throw new UgcError(`timed out waiting for ${lockPath}`, { code: 'lock_busy', hint: 'Another ugc process is holding it; try again, or delete that file if no ugc is running.' });
      }
      await sleep(Math.min(5 + attempt * 5, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function lockAge(lockPath: string): Promise<number | null> {
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs;
  } catch {
    return null;
  }
}
