import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { isTerminal, type Job, type JobStatus } from '../core/job.js';

/** What an event means, whatever the provider calls it. */
export type EventKind = 'created' | 'progress' | 'completed' | 'failed';

/** Progress events (UltimateCreator's `video.job.progress`) are sent "every 25%". */
export const PROGRESS_STEPS = [25, 50, 75] as const;

/** The highest progress step in (from, to], or null. */
export function stepCrossed(from: number, to: number): number | null {
  let crossed: number | null = null;
  for (const step of PROGRESS_STEPS) if (from < step && step <= to) crossed = step;
  return crossed;
}

// Field helpers for the providers' event bodies. A provider's job id is `job.remoteId ?? job.id`; a local
// output path becomes a file: URL.

const fileUrl = (path: string | null): string | null => (path ? pathToFileURL(path).href : null);
export const videoUrl = (job: Job): string | null => job.output.url ?? fileUrl(job.output.path);
export const thumbnailUrl = (job: Job): string | null => {
  const extra = (job as Record<string, unknown>).thumbnailUrl;
  return typeof extra === 'string' ? extra : fileUrl(job.output.thumbnailPath);
};
export const creditsOf = (job: Job): number => job.credits.final ?? job.credits.charged;
export const requestText = (job: Job, field: string): string | null => {
  const value = job.request[field];
  return typeof value === 'string' && value ? value : null;
};

/** The unified status an event stands for: the body says what the event says, even when triggered by hand. */
export function statusFor(kind: EventKind, job: Job): JobStatus {
  if (kind === 'completed') return 'completed';
  if (kind === 'failed') return job.status === 'cancelled' ? 'cancelled' : 'failed';
  if (kind === 'progress') return 'processing';
  return isTerminal(job.status) ? 'queued' : job.status;
}

export function errorMessage(job: Job, status: JobStatus): string {
  if (job.error?.message) return job.error.message;
  return status === 'cancelled' ? 'Job was cancelled' : 'Generation failed';
}

/** When the job ended (its record's last update), or the event's time while it runs. */
export const endedAt = (job: Job, timestamp: string): string => (isTerminal(job.status) ? job.updatedAt : timestamp);

/** Which job a provider's delivery is about: the provider's id for it, and its progress where the body says. */
export interface DeliveredJob {
  id: string;
  progress: number | null;
}

/** Reads a delivery body's job id (and progress) at these dotted paths (`data.job_id`). */
export function deliveredJob(idPath: string, progressPath?: string): (body: unknown) => DeliveredJob | null {
  return (body) => {
    const read = (path: string) => path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), body);
    const id = read(idPath);
    const progress = progressPath ? read(progressPath) : null;
    return typeof id === 'string' && id ? { id, progress: typeof progress === 'number' ? progress : null } : null;
  };
}

/** A cuid (`cl…`), the id format of UnrealUGC's and vidgen's jobs, for sample events. */
export const cuid = (): string => `cl${randomBytes(12).toString('hex').slice(0, 23)}`;
