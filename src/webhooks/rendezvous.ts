import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fetch } from 'undici';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-write.js';
import { UgcError } from '../core/errors.js';
import { listJsonIds, readJsonFile } from '../core/json-files.js';

/**
 * How `ugc webhooks trigger` finds a running `ugc webhooks listen` on this machine: each listener writes
 * `<config>/webhooks/listeners/<pid>.json` (owner-only: it holds the token that lets a caller hand it
 * an event to sign and forward) while it runs and removes it on exit; a file whose process is gone
 * (a listener killed outright) is removed by the next look.
 */
export interface ListenerAddress {
  pid: number;
  /** Its receiver, e.g. http://127.0.0.1:41234. */
  url: string;
  token: string;
  targets: string[];
  startedAt: string;
}

/** What `trigger` hands a listener: an event it built (a sample or a job's), to be recorded and forwarded. */
export const TriggerRequest = z.object({
  id: z.string().min(1).max(200),
  provider: z.string().min(1),
  type: z.string().min(1),
  jobId: z.string().nullable(),
  body: z.string(),
});
export type TriggerRequest = z.infer<typeof TriggerRequest>;

/** The listener's answer once every delivery of the event has its outcome (retries included). */
export interface TriggerAnswer {
  /** Set when the listener does not forward this event type (its `--events`). */
  filtered?: string[];
  results: { target: string; delivered: boolean; status: number | null; error: string | null }[];
}

export const TRIGGER_PATH = '/_trigger';

const dirOf = (configDir: string) => join(configDir, 'webhooks', 'listeners');

export const newToken = (): string => randomBytes(24).toString('hex');

/** True when `given` is `expected` (compared in constant time). */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return given !== undefined && timingSafeEqual(digest(expected), digest(given));
}

export async function publishListener(configDir: string, address: ListenerAddress): Promise<void> {
  await mkdir(dirOf(configDir), { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dirOf(configDir), `${address.pid}.json`), JSON.stringify(address), 0o600);
}

export async function withdrawListener(configDir: string, pid: number): Promise<void> {
  await rm(join(dirOf(configDir), `${pid}.json`), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The most recently started listener still running, or null (stale entries are removed on the way). */
export async function findListener(configDir: string): Promise<ListenerAddress | null> {
  const live: ListenerAddress[] = [];
  for (const name of await listJsonIds(dirOf(configDir))) {
    const address = await readJsonFile<ListenerAddress>(join(dirOf(configDir), `${name}.json`)).catch(() => null);
    if (address && Number.isInteger(address.pid) && isAlive(address.pid)) live.push(address);
    else await withdrawListener(configDir, Number(name));
  }
  return live.sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0] ?? null;
}

/** Hands an event to a running listener and waits for its deliveries' outcomes. */
export async function triggerThrough(listener: ListenerAddress, request: TriggerRequest): Promise<TriggerAnswer> {
  let response;
  try {
    response = await fetch(`${listener.url}${TRIGGER_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${listener.token}` },
      body: JSON.stringify(request),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new UgcError(`the running \`ugc webhooks listen\` (pid ${listener.pid}) did not answer at ${listener.url} (${cause})`, { hint: 'Restart it, or pass --forward-to <url>.' });
  }
  const text = await response.text();
  if (!response.ok) throw new UgcError(`the running \`ugc webhooks listen\` (pid ${listener.pid}) refused the event: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as TriggerAnswer;
}
