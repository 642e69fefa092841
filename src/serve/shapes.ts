import { dirname, sep } from 'node:path';
import type { Job, JobStatus } from '../core/job.js';

/** The vidgen document's status words. */
export const STATUS_WORDS = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type StatusWord = (typeof STATUS_WORDS)[number];

const WORD: Record<JobStatus, StatusWord> = { queued: 'PENDING', processing: 'PROCESSING', completed: 'COMPLETED', failed: 'FAILED', cancelled: 'CANCELLED' };
export const statusWord = (job: Job): StatusWord => WORD[job.status];

/** What serve keeps on a job record beside the CLI's job fields. */
export interface ServeFields {
  /** The key that made the job: only it sees the job. */
  keyId: string;
  /** The origin the job was created through: its output URLs (and its webhook's) start with it. */
  origin: string;
  webhookUrl: string | null;
  /** Renders restarted after the server stopped in the middle of one. */
  retries: number;
  uploadDir: string;
}

export const serveFields = (job: Job): ServeFields => job.serve as ServeFields;

function outputs(job: Job, origin: string) {
  if (job.status !== 'completed') return { outputVideo: null, outputShareLink: null };
  return { outputVideo: `${origin}/files/${job.id}.mp4`, outputShareLink: `${origin}/share/${job.id}` };
}

/** Why it failed, with the server's own paths made relative to its data dir (clients need not know them). */
function errorMessage(job: Job): string | null {
  if ((job.status !== 'failed' && job.status !== 'cancelled') || !job.error) return null;
  const dataDir = dirname(dirname(serveFields(job).uploadDir));
  return job.error.message.replaceAll(`${dataDir}${sep}`, '');
}

/** `GET /api/status/:jobId`, and the webhook body. */
export function statusObject(job: Job, origin = serveFields(job).origin) {
  const status = statusWord(job);
  return {
    jobId: job.id,
    status,
    progress: status === 'COMPLETED' ? 100 : status === 'PENDING' ? 0 : Math.round(job.progress),
    ...outputs(job, origin),
    errorMessage: errorMessage(job),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

/** One entry of `GET /api/jobs`: the document shows `id`, retries and webhookUrl, and no progress. */
export function listItem(job: Job, origin = serveFields(job).origin) {
  const fields = serveFields(job);
  return {
    id: job.id,
    status: statusWord(job),
    ...outputs(job, origin),
    errorMessage: errorMessage(job),
    retries: fields.retries,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    webhookUrl: fields.webhookUrl,
  };
}
