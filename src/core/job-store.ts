import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createExclusive, writeFileAtomic } from './atomic-write.js';
import { UgcError, UsageError } from './errors.js';
import { withFileLock } from './file-lock.js';
import { invalidJsonError, listRecords } from './json-files.js';
import { isProcessAlive, isTerminal, JobSchema, type Job } from './job.js';

/** An idempotency key's entry in the index: which job holds it, for which request. */
export interface KeyClaim {
  provider: string;
  key: string;
  jobId: string;
  /** `requestFingerprint()` of the request that claimed it (null in entries written before it was kept). */
  fingerprint: string | null;
  claimedAt: string;
  /** The process that claimed it, so a claim whose record never came (that process died) can be taken over. */
  pid?: number;
  host?: string;
}

/** How long a key's claimant has to write its job record before a second submission stops waiting for it. */
const CLAIM_RECORD_WAIT_MS = 15_000;

const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Job records, one JSON file per job under `<configDir>/jobs/`. Every write is atomic (temp + rename)
 * and every read-modify-write holds that job's lock, so concurrent `ugc` processes never lose updates.
 */
export class JobStore {
  readonly dir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'jobs');
  }

  private pathOf(id: string): string {
    if (!ID_PATTERN.test(id)) throw new UsageError(`invalid job id "${id}"`, 'Run `ugc jobs` to list job ids.');
    return join(this.dir, `${id}.json`);
  }

  async create(job: Job): Promise<Job> {
    await mkdir(this.dir, { recursive: true });
    await withFileLock(`${this.pathOf(job.id)}.lock`, () => writeFileAtomic(this.pathOf(job.id), serialize(job)));
    return job;
  }

  /**
   * Claims idempotency key `key` at `provider` for job `jobId` before any work is done for it: an exclusive
   * create of the key's index entry, so of two submissions at the same instant exactly one wins. Returns
   * null when the key is now `jobId`'s; otherwise the job that holds it (waiting briefly for its record,
   * which the winner writes right after claiming). The same key with another request is a usage error,
   * as at Stripe. An index file per key makes this one read, not a scan (a batch asks once per row).
   */
  async claimIdempotencyKey(provider: string, key: string, jobId: string, fingerprint: string): Promise<Job | null> {
    const path = this.keyPath(provider, key);
    await mkdir(join(this.dir, 'keys'), { recursive: true });
    const mine: KeyClaim = { provider, key, jobId, fingerprint, claimedAt: new Date().toISOString(), pid: process.pid, host: hostname() };
    for (;;) {
      if (await createExclusive(path, `${JSON.stringify(mine)}\n`)) return null;
      const held = await this.readClaim(path);
      if (!held) continue;
      if (held.jobId === jobId) return null;
      const job = await this.existingFor(held, key, fingerprint);
      if (job) return job;
      // The claimant died before writing its record: nothing was done for the key, so it is free again.
      await rm(path, { force: true });
    }
  }

  /**
   * The job already holding `key` at `provider` for this request (null when the key is unused), without
   * claiming it; a usage error when it holds it for another request.
   */
  async findByIdempotencyKey(provider: string, key: string, fingerprint?: string): Promise<Job | null> {
    const held = await this.readClaim(this.keyPath(provider, key));
    return held ? this.existingFor(held, key, fingerprint) : null;
  }

  private async existingFor(held: KeyClaim, key: string, fingerprint: string | undefined): Promise<Job | null> {
    if (fingerprint && held.fingerprint && held.fingerprint !== fingerprint) {
      throw new UsageError(
        `idempotency key "${key}" was already used for job ${held.jobId} with a different request`,
        `Use a new --idempotency-key for a different request, or run \`ugc status ${held.jobId}\` for the earlier job.`,
      );
    }
    const deadline = Date.now() + CLAIM_RECORD_WAIT_MS;
    for (;;) {
      const job = await this.find(held.jobId);
      if (job) return job;
      const claimantGone = held.pid === undefined || (held.host === hostname() && !isProcessAlive(held.pid));
      if (claimantGone || Date.now() > deadline) return null;
      await sleep(50);
    }
  }

  private async readClaim(path: string): Promise<KeyClaim | null> {
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      return JSON.parse(text) as KeyClaim;
    } catch {
      // An entry of an earlier version: the job id alone.
      return text.trim() ? { provider: '', key: '', jobId: text.trim(), fingerprint: null, claimedAt: '' } : null;
    }
  }

  private keyPath(provider: string, key: string): string {
    return join(this.dir, 'keys', `${provider}-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`);
  }

  async find(id: string): Promise<Job | null> {
    const path = this.pathOf(id);
    let text: string;
    try {
      // Never through a symbolic link: a record linked to another file must not print that file.
      const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code === 'ELOOP') throw new UgcError(`job record ${path} is a symbolic link; ugc reads only plain files there`, { code: 'bad_job_record', hint: `Remove it: rm ${path}` });
      throw error;
    }
    return parse(text, path);
  }

  async get(id: string): Promise<Job> {
    const job = await this.find(id);
    if (!job) throw new UsageError(`no job "${id}" on this machine`, 'Run `ugc jobs` to list job ids.');
    return job;
  }

  /**
   * Applies `change` to the current record under the job's lock. `change` returns the new fields, or
   * null to leave the record as it is (e.g. it is already terminal). Returns the record as stored.
   */
  async update(id: string, change: (current: Job) => Partial<Job> | null | Promise<Partial<Job> | null>, options: { giveUpAfterMs?: number } = {}): Promise<Job> {
    const path = this.pathOf(id);
    return withFileLock(`${path}.lock`, async () => {
      const current = await this.get(id);
      const fields = await change(current);
      if (!fields) return current;
      const next = JobSchema.parse({ ...current, ...fields, updatedAt: new Date().toISOString() });
      await writeFileAtomic(path, serialize(next));
      return next;
    }, options);
  }

  /** Updates only while the job is not yet terminal (a cancel wins over a late progress report). */
  updateIfActive(id: string, fields: Partial<Job> | ((current: Job) => Partial<Job>)): Promise<Job> {
    return this.update(id, (current) => {
      if (isTerminal(current.status)) return null;
      return typeof fields === 'function' ? fields(current) : fields;
    });
  }

  /** All records, newest first; those that cannot be read are skipped, and told to `onUnreadable`. */
  list(onUnreadable?: (id: string, error: unknown) => void): Promise<Job[]> {
    return listRecords(this.dir, (id) => this.find(id), onUnreadable);
  }

  /**
   * All records, newest first, re-reading only those whose file changed since `cache` last saw them: for
   * callers that look every fraction of a second (the webhook listener).
   */
  listCached(cache: Map<string, { mtimeMs: number; job: Job }>): Promise<Job[]> {
    return listRecords(this.dir, async (id) => {
      const mtimeMs = (await stat(this.pathOf(id))).mtimeMs;
      const seen = cache.get(id);
      if (seen?.mtimeMs === mtimeMs) return seen.job;
      const job = await this.find(id);
      if (job) cache.set(id, { mtimeMs, job });
      return job;
    });
  }
}

function serialize(job: Job): string {
  return `${JSON.stringify(job, null, 2)}\n`;
}

function parse(text: string, path: string): Job {
  const hint = `Move it out of the way (or delete it) if you do not need that job: ${path}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidJsonError(path, error, hint);
  }
  const result = JobSchema.safeParse(json);
  if (!result.success) throw new UgcError(`job record ${path} is not a valid job: ${result.error.issues[0]?.message ?? 'unknown'}`, { code: 'bad_job_record', hint });
  return result.data;
}
