import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { UgcError, UsageError } from './errors.js';
import { withFileLock } from './file-lock.js';
import { listRecords } from './json-files.js';
import { isTerminal, JobSchema, type Job } from './job.js';

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
    const key = job.request.idempotencyKey;
    if (typeof key === 'string' && key) {
      await mkdir(join(this.dir, 'keys'), { recursive: true });
      await writeFileAtomic(this.keyPath(job.provider, key), job.id);
    }
    return job;
  }

  /**
   * The job this machine created for `provider` with this idempotency key, if any. An index file per key
   * makes this one read, not a scan of every record (a batch asks once per row).
   */
  async findByIdempotencyKey(provider: string, key: string): Promise<Job | null> {
    const id = await readFile(this.keyPath(provider, key), 'utf8').catch(() => null);
    return id ? this.find(id.trim()) : null;
  }

  private keyPath(provider: string, key: string): string {
    return join(this.dir, 'keys', `${provider}-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`);
  }

  async find(id: string): Promise<Job | null> {
    let text: string;
    try {
      text = await readFile(this.pathOf(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return parse(text, id);
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
  async update(id: string, change: (current: Job) => Partial<Job> | null | Promise<Partial<Job> | null>): Promise<Job> {
    const path = this.pathOf(id);
    return withFileLock(`${path}.lock`, async () => {
      const current = await this.get(id);
      const fields = await change(current);
      if (!fields) return current;
      const next = JobSchema.parse({ ...current, ...fields, updatedAt: new Date().toISOString() });
      await writeFileAtomic(path, serialize(next));
      return next;
    });
  }

  /** Updates only while the job is not yet terminal (a cancel wins over a late progress report). */
  updateIfActive(id: string, fields: Partial<Job> | ((current: Job) => Partial<Job>)): Promise<Job> {
    return this.update(id, (current) => {
      if (isTerminal(current.status)) return null;
      return typeof fields === 'function' ? fields(current) : fields;
    });
  }

  /** All records, newest first. */
  list(): Promise<Job[]> {
    return listRecords(this.dir, (id) => this.find(id));
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

function parse(text: string, id: string): Job {
  const result = JobSchema.safeParse(JSON.parse(text));
  if (!result.success) throw new UgcError(`job record "${id}" is not valid: ${result.error.issues[0]?.message ?? 'unknown'}`);
  return result.data;
}
