import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-write.js';
import { UgcError } from '../core/errors.js';
import { withFileLock } from '../core/file-lock.js';

export const MANIFEST_FILE = 'ugc-batch.json';
export const MANIFEST_STATES = ['pending', 'submitted', 'completed', 'failed'] as const;
export type ManifestState = (typeof MANIFEST_STATES)[number];

export const ManifestEntrySchema = z.object({
  /** The job's content key (`BatchJob.key`), also its idempotency key. */
  key: z.string(),
  row: z.number().int(),
  name: z.string(),
  provider: z.string().nullable(),
  /** The local job record (`ugc status <jobId>`), once submitted. */
  jobId: z.string().nullable(),
  remoteId: z.string().nullable(),
  state: z.enum(MANIFEST_STATES),
  outputPath: z.string().nullable(),
  /** How many times the job was submitted (a state change into `submitted` counts one). */
  attempts: z.number().int().min(0),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  submittedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

export const ManifestFileSchema = z.object({
  version: z.literal(1),
  /** The rows file of the latest run (absolute). */
  rowsFile: z.string(),
  /** Every rows file that has run into this directory, oldest first. Entries are keyed by content, so they all stay. */
  rowsFiles: z.array(z.string()),
  totalJobs: z.number().int().min(0),
  createdAt: z.string(),
  updatedAt: z.string(),
  entries: z.record(z.string(), ManifestEntrySchema),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

/** What `update` may change; `key` and `createdAt` are fixed. */
export type ManifestChange = Partial<Omit<ManifestEntry, 'key' | 'createdAt' | 'updatedAt'>>;

/**
 * The resume manifest `<outDir>/ugc-batch.json`: one entry per batch job, keyed by the job's content key.
 * Every read-modify-write holds the file's lock and replaces the file atomically, so parallel updates in
 * one process and in several processes never lose one another's changes. Reads go to the file each time.
 */
export class Manifest {
  readonly path: string;
  private readonly lockPath: string;
  /** Updates from this instance run one after another, so they do not spin against each other on the lock. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly outDir: string) {
    this.path = join(outDir, MANIFEST_FILE);
    this.lockPath = `${this.path}.lock`;
  }

  /** Opens (or creates) the manifest in `outDir`, recording `rowsFile` as this run's rows file. */
  static async open(outDir: string, options: { rowsFile: string; totalJobs: number }): Promise<Manifest> {
    const manifest = new Manifest(resolve(outDir));
    await mkdir(manifest.outDir, { recursive: true });
    const rowsFile = resolve(options.rowsFile);
    await manifest.modify((file, now) => {
      file.rowsFile = rowsFile;
      if (!file.rowsFiles.includes(rowsFile)) file.rowsFiles.push(rowsFile);
      file.totalJobs = options.totalJobs;
      file.updatedAt = now;
    });
    return manifest;
  }

  /** The whole file as it is now on disk. */
  async read(): Promise<ManifestFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const now = new Date().toISOString();
      return { version: 1, rowsFile: '', rowsFiles: [], totalJobs: 0, createdAt: now, updatedAt: now, entries: {} };
    }
    let parsed: ManifestFile;
    try {
      parsed = ManifestFileSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new UgcError(`the batch manifest ${this.path} is not valid`, {
        hint: 'Move it aside to start this batch over, or pick another --out directory.',
        code: 'invalid_manifest',
        cause: error,
      });
    }
    return parsed;
  }

  async get(key: string): Promise<ManifestEntry | null> {
    return (await this.read()).entries[key] ?? null;
  }

  /** Every entry, by row then name. */
  async entries(): Promise<ManifestEntry[]> {
    return Object.values((await this.read()).entries).sort((a, b) => a.row - b.row || a.name.localeCompare(b.name));
  }

  /**
   * Applies `change` to the entry under the lock, creating it (state `pending`) if there is none.
   * `change` may be a function of the current entry (null when new) returning the fields to set, or
   * null to leave it as it is. Moving into `submitted` counts an attempt and stamps `submittedAt`;
   * moving into `completed` or `failed` stamps `finishedAt`; moving into `submitted` or `completed`
   * clears `error` unless the change sets one. Returns the entry as stored.
   */
  async update(key: string, change: ManifestChange | ((current: ManifestEntry | null) => ManifestChange | null)): Promise<ManifestEntry> {
    let result: ManifestEntry | undefined;
    await this.modify((file, now) => {
      const current = file.entries[key] ?? null;
      const fields = typeof change === 'function' ? change(current) : change;
      if (!fields) {
        result = current ?? undefined;
        return false;
      }
      const base: ManifestEntry = current ?? {
        key, row: 0, name: '', provider: null, jobId: null, remoteId: null, state: 'pending', outputPath: null,
        attempts: 0, error: null, createdAt: now, updatedAt: now, submittedAt: null, finishedAt: null,
      };
      const next: ManifestEntry = { ...base, ...fields, key, createdAt: base.createdAt, updatedAt: now };
      if (fields.state && fields.state !== base.state) {
        if (fields.state === 'submitted') {
          if (fields.attempts === undefined) next.attempts = base.attempts + 1;
          if (fields.submittedAt === undefined) next.submittedAt = now;
          if (fields.finishedAt === undefined) next.finishedAt = null;
        }
        if ((fields.state === 'completed' || fields.state === 'failed') && fields.finishedAt === undefined) next.finishedAt = now;
        if ((fields.state === 'submitted' || fields.state === 'completed') && fields.error === undefined) next.error = null;
      }
      file.entries[key] = ManifestEntrySchema.parse(next);
      file.updatedAt = now;
      result = file.entries[key];
    });
    if (!result) throw new UgcError(`no batch manifest entry "${key}"`);
    return result;
  }

  /**
   * Adds a `pending` entry for each job not yet in the manifest and refreshes the row number and name of
   * those already there (rows move when lines are added above them; the key stays). One write for all.
   */
  async register(jobs: { key: string; row: number; name: string; provider: string | null }[]): Promise<void> {
    await this.modify((file, now) => {
      for (const job of jobs) {
        const current = file.entries[job.key];
        if (current) {
          if (current.row !== job.row || current.name !== job.name) file.entries[job.key] = { ...current, row: job.row, name: job.name, updatedAt: now };
        } else {
          file.entries[job.key] = {
            key: job.key, row: job.row, name: job.name, provider: job.provider, jobId: null, remoteId: null, state: 'pending',
            outputPath: null, attempts: 0, error: null, createdAt: now, updatedAt: now, submittedAt: null, finishedAt: null,
          };
        }
      }
      file.updatedAt = now;
    });
  }

  /** True when the entry is completed and its output file exists and is not empty (else the caller renders it again). */
  async isIntact(entry: ManifestEntry): Promise<boolean> {
    if (entry.state !== 'completed' || !entry.outputPath) return false;
    try {
      const info = await stat(entry.outputPath);
      return info.isFile() && info.size > 0;
    } catch {
      return false;
    }
  }

  /** Read, change, write back atomically, under the file lock. `fn` returns false to skip the write. */
  private modify(fn: (file: ManifestFile, now: string) => boolean | void): Promise<void> {
    const run = () =>
      withFileLock(this.lockPath, async () => {
        const file = await this.read();
        if (fn(file, new Date().toISOString()) === false) return;
        await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
