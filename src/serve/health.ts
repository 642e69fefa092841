import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { isProcessAlive } from '../core/job.js';
import { KeyStore } from './keys.js';
import { dataLayout } from './layout.js';

/** What `ugc doctor` says about a `ugc serve` data dir. */
export interface ServeHealth {
  dataDir: string;
  exists: boolean;
  writable: boolean;
  activeKeys: number;
  /** The pid of the `ugc serve` using the dir now, if one is. */
  runningPid: number | null;
  problem: string | null;
}

export async function serveHealth(dataDir: string): Promise<ServeHealth> {
  const layout = dataLayout(dataDir);
  const exists = Boolean((await stat(dataDir).catch(() => null))?.isDirectory());
  const writable = exists && (await access(dataDir, constants.W_OK).then(() => true, () => false));
  const keys = exists ? await new KeyStore(layout.keys).list().catch(() => null) : [];
  const pid = Number((await readFile(layout.pidFile, 'utf8').catch(() => '')).trim());
  const problem = exists && !writable ? `serve data dir ${dataDir} is not writable` : keys === null ? `serve keys file ${layout.keys} is not readable JSON` : null;
  return { dataDir, exists, writable, activeKeys: (keys ?? []).filter((k) => !k.revokedAt).length, runningPid: pid && isProcessAlive(pid) ? pid : null, problem };
}
