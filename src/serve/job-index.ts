import { watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Job } from '../core/job.js';
import type { JobStore } from '../core/job-store.js';

/**
 * The data dir's job records in memory, kept current by watching the store's directory (the render
 * workers write progress there): a status or list call is answered without touching the disk, so it
 * stays fast while the machine is busy encoding. Writes still go through the store, under its locks.
 */
export class JobIndex {
  private readonly jobs = new Map<string, Job>();
  private readonly reading = new Set<string>();
  private readonly dirty = new Set<string>();
  private watcher: FSWatcher | null = null;

  constructor(private readonly store: JobStore) {}

  async open(): Promise<void> {
    await mkdir(this.store.dir, { recursive: true });
    // Records are renamed into place; temp and lock files start with a dot or do not end in .json.
    this.watcher = watch(this.store.dir, (_event, name) => {
      if (name && /^[^.][^/]*\.json$/.test(name)) this.refresh(name.slice(0, -'.json'.length));
    });
    for (const job of await this.store.list()) this.jobs.set(job.id, job);
  }

  close(): void {
    this.watcher?.close();
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Every job, newest first. */
  all(): Job[] {
    return [...this.jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  /** A record this process just wrote (the watcher would bring it a moment later). */
  set(job: Job): Job {
    const known = this.jobs.get(job.id);
    if (!known || known.updatedAt <= job.updatedAt) this.jobs.set(job.id, job);
    return job;
  }

  private refresh(id: string): void {
    if (this.reading.has(id)) {
      this.dirty.add(id);
      return;
    }
    this.reading.add(id);
    void this.store
      .find(id)
      .catch(() => null)
      .then((job) => {
        if (job) this.set(job);
        this.reading.delete(id);
        if (this.dirty.delete(id)) this.refresh(id);
      });
  }
}
