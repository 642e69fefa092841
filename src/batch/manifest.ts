import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-write.js';
import { UgcError } from '../core/errors.js';
import { withFileLock } from '../core/file-lock.js';

export const MANIFEST_FILE = 'ugc-batch.json';
/** Changes since the snapshot in MANIFEST_FILE, one JSON line each; folded into the snapshot when a batch opens the manifest. */
export const JOURNAL_FILE = 'ugc-batch.journal';
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
  /** Names the journal that continues this snapshot (absent in manifests written before the journal). */
  generation: z.string().optional(),
  entries: z.record(z.string(), ManifestEntrySchema),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;


/** What `update` may change; `key` and `createdAt` are fixed. */
export type ManifestChange = Partial<Omit<ManifestEntry, 'key' | 'createdAt' | 'updatedAt'>>;

/** A journal line: the first names the snapshot it continues, each other one holds an entry as it now is. */
const JournalLineSchema = z.union([z.object({ generation: z.string() }), z.object({ entry: ManifestEntrySchema })]);

const emptyFile = (now: string): ManifestFile => ({ version: 1, rowsFile: '', rowsFiles: [], totalJobs: 0, createdAt: now, updatedAt: now, entries: {} });
const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * The resume manifest of an output directory: one entry per batch job, keyed by the job's content key.
 * On disk it is a snapshot (`ugc-batch.json`) and a journal (`ugc-batch.journal`) of the entries changed
 * since, one line per change, so a row's bookkeeping costs the same in a batch of ten rows or of a
 * hundred thousand. A batch folds the journal into the snapshot when it opens the manifest.
 *
 * Every change holds the manifest's lock file while it reads what other processes appended and appends
 * its own line, so parallel updates in one process and in several (workers sharing the directory)
 * never lose one another's changes. Reads take what was appended since the last read, without the lock.
 */
export class Manifest {
  readonly path: string;
  readonly journalPath: string;
  private readonly lockPath: string;
  /** Reads and changes from this instance run one after another (they share `file` and `offset`). */
  private queue: Promise<unknown> = Promise.resolve();
  private file: ManifestFile = emptyFile(new Date().toISOString());
  /** The snapshot generation the journal must continue; null before the first snapshot with one. */
  private generation: string | null = null;
  /** Bytes of the journal applied to `file` (always at a line end). */
  private offset = 0;
  /** Bytes after `offset` that do not end in a newline: a line being written, or one torn by a crash. */
  private tail = 0;
  /** False when the journal is missing or continues another snapshot (a compaction cut short): a change compacts first. */
  private journalCurrent = false;
  /** The journal file read last (a compaction elsewhere replaces it with a new one). */
  private journalIno = -1;

  private constructor(readonly outDir: string) {
    this.path = join(outDir, MANIFEST_FILE);
    this.journalPath = join(outDir, JOURNAL_FILE);
    this.lockPath = `${this.path}.lock`;
  }

  /** Opens (or creates) the manifest in `outDir`, recording `rowsFile` as this run's rows file, and compacts it. */
  static async open(outDir: string, options: { rowsFile: string; totalJobs: number }): Promise<Manifest> {
    const manifest = new Manifest(resolve(outDir));
    await mkdir(manifest.outDir, { recursive: true });
    const rowsFile = resolve(options.rowsFile);
    await manifest.locked(async () => {
      await manifest.reload();
      const { file } = manifest;
      const now = new Date().toISOString();
      file.rowsFile = rowsFile;
      if (!file.rowsFiles.includes(rowsFile)) file.rowsFiles.push(rowsFile);
      file.totalJobs = options.totalJobs;
      file.updatedAt = now;
      await manifest.compact();
    });
    return manifest;
  }

  /** The manifest a batch opened in `outDir`, to read and update as that batch's helper (a worker); null when there is none. Changes nothing. */
  static async attach(outDir: string): Promise<Manifest | null> {
    const manifest = new Manifest(resolve(outDir));
    if (!(await manifest.serial(() => manifest.reload()))) return null;
    return manifest;
  }

  /** The manifest in `outDir` as it is now, or null when there is none. Writes nothing (a dry run). */
  static async load(outDir: string): Promise<ManifestFile | null> {
    const manifest = new Manifest(resolve(outDir));
    return (await manifest.serial(() => manifest.reload())) ? manifest.file : null;
  }

  /** The whole manifest as it is now. */
  async read(): Promise<ManifestFile> {
    return this.serial(async () => {
      await this.refresh();
      return this.file;
    });
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
        return [];
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
      result = ManifestEntrySchema.parse(next);
      return [result];
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
      const changed: ManifestEntry[] = [];
      for (const job of jobs) {
        const current = file.entries[job.key];
        if (current) {
          if (current.row !== job.row || current.name !== job.name) changed.push({ ...current, row: job.row, name: job.name, updatedAt: now });
        } else {
          changed.push({
            key: job.key, row: job.row, name: job.name, provider: job.provider, jobId: null, remoteId: null, state: 'pending',
            outputPath: null, attempts: 0, error: null, createdAt: now, updatedAt: now, submittedAt: null, finishedAt: null,
          });
        }
      }
      return changed;
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

  /** Under the lock: catch up with the journal, let `fn` say which entries change, append them as lines. */
  private modify(fn: (file: ManifestFile, now: string) => ManifestEntry[]): Promise<void> {
    return this.locked(async () => {
      await this.refresh();
      // A manifest written before the journal existed, or whose compaction was cut short, gets a journal that continues it.
      if (!this.journalCurrent) await this.compact();
      const changed = fn(this.file, new Date().toISOString());
      if (changed.length === 0) return;
      // Under the lock nobody else is writing: an unfinished last line was torn by a crash, so start a new one.
      const text = `${this.tail > 0 ? '\n' : ''}${changed.map((entry) => JSON.stringify({ entry })).join('\n')}\n`;
      await appendFile(this.journalPath, text);
      this.offset += this.tail + Buffer.byteLength(text);
      this.tail = 0;
      for (const entry of changed) this.apply(entry);
    });
  }

  private apply(entry: ManifestEntry): void {
    this.file.entries[entry.key] = entry;
    if (entry.updatedAt > this.file.updatedAt) this.file.updatedAt = entry.updatedAt;
  }

  /**
   * Reads the snapshot and the journal that continues it. A journal of another generation is left over
   * from a compaction cut short (its changes are already in the snapshot), unless the snapshot changed
   * while it was read: then both are read again. False when there is no manifest.
   */
  private async reload(): Promise<boolean> {
    for (;;) {
      const snapshot = await this.readSnapshot();
      this.journalIno = (await stat(this.journalPath).catch(() => null))?.ino ?? -1;
      const journal = await readFile(this.journalPath).catch((error: unknown) => {
        if (isMissing(error)) return null;
        throw error;
      });
      this.file = snapshot ?? emptyFile(new Date().toISOString());
      this.generation = snapshot?.generation ?? null;
      this.offset = 0;
      this.tail = 0;
      this.journalCurrent = journal !== null && this.generation !== null && generationOf(journal) === this.generation;
      if (this.journalCurrent && journal) this.applyLines(journal, 0);
      else if (journal && snapshot) {
        const again = await this.readSnapshot();
        if (again?.generation !== snapshot.generation) continue;
      }
      return snapshot !== null;
    }
  }

  /** Applies what other processes appended since the last read; a replaced journal (a compaction elsewhere) means reading it all again. */
  private async refresh(): Promise<void> {
    if (!this.journalCurrent) {
      await this.reload();
      return;
    }
    // Nothing appended and the same file: one stat says so (the common case between a row's reads and writes).
    const seen = await stat(this.journalPath).catch(() => null);
    if (seen && seen.ino === this.journalIno && seen.size === this.offset + this.tail) return;
    let handle;
    try {
      handle = await open(this.journalPath, 'r');
    } catch (error) {
      if (!isMissing(error)) throw error;
      await this.reload();
      return;
    }
    try {
      const { size, ino } = await handle.stat();
      this.journalIno = ino;
      const head = Buffer.alloc(Math.min(size, 128));
      await handle.read(head, 0, head.length, 0);
      if (generationOf(head) !== this.generation || size < this.offset + this.tail) {
        await handle.close();
        handle = null;
        await this.reload();
        return;
      }
      if (size === this.offset + this.tail) return;
      const fresh = Buffer.alloc(size - this.offset);
      await handle.read(fresh, 0, fresh.length, this.offset);
      this.applyLines(fresh, this.offset);
    } finally {
      await handle?.close();
    }
  }

  /** Applies the complete lines of `bytes` (journal bytes from `start`); a line that does not parse (torn by a crash) is skipped. */
  private applyLines(bytes: Buffer, start: number): void {
    const end = bytes.lastIndexOf(0x0a) + 1;
    for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      let parsed: z.infer<typeof JournalLineSchema>;
      try {
        parsed = JournalLineSchema.parse(JSON.parse(line));
      } catch {
        continue;
      }
      if ('entry' in parsed) this.apply(parsed.entry);
    }
    this.offset = start + end;
    this.tail = bytes.length - end;
  }

  /** Writes the whole manifest as a new snapshot and starts an empty journal for it (snapshot first: a crash between leaves a journal the snapshot already holds). */
  private async compact(): Promise<void> {
    const generation = randomUUID();
    this.file.generation = generation;
    await writeFileAtomic(this.path, `${JSON.stringify(this.file)}\n`);
    const header = `${JSON.stringify({ generation })}\n`;
    await writeFileAtomic(this.journalPath, header);
    this.journalIno = (await stat(this.journalPath)).ino;
    this.generation = generation;
    this.offset = Buffer.byteLength(header);
    this.tail = 0;
    this.journalCurrent = true;
  }

  private async readSnapshot(): Promise<ManifestFile | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    try {
      return ManifestFileSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new UgcError(`the batch manifest ${this.path} is not valid`, {
        hint: 'Move it aside to start this batch over, or pick another --out directory.',
        code: 'invalid_manifest',
        cause: error,
      });
    }
  }

  /** `fn` after this instance's earlier reads and changes, holding the lock file across processes. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(() => withFileLock(this.lockPath, fn));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** The generation a journal's first line names, or null. */
function generationOf(bytes: Buffer): string | null {
  const end = bytes.indexOf(0x0a);
  if (end < 0) return null;
  try {
    const first = JSON.parse(bytes.subarray(0, end).toString('utf8')) as { generation?: unknown };
    return typeof first.generation === 'string' ? first.generation : null;
  } catch {
    return null;
  }
}
