import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Job, JobStatus } from '../core/job.js';
import { InputError } from '../core/request.js';
import type { HttpClient } from '../http/client.js';
import { readErrorEnvelope } from './envelopes.js';
import { defineRemoteProvider, type ListedJob, type RemoteJob } from './remote.js';
import { cuid, deliveredJob, errorMessage, statusFor, videoUrl, type EventKind } from './webhook-bodies.js';
import { hexScheme } from './webhook-schemes.js';
import { isText, shaped } from './answers.js';

type VidgenStatus = 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
interface StatusObject {
  jobId: string;
  status: VidgenStatus;
  progress?: number | null;
  outputVideo?: string | null;
  errorMessage?: string | null;
  createdAt?: string;
}
interface ListItem {
  id: string;
  status: VidgenStatus;
  createdAt: string;
}

const STATUS: Record<VidgenStatus, RemoteJob['status']> = { PENDING: 'queued', PROCESSING: 'processing', COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled' };
/** The one-active-job rule: a new job waits (polling the 409) up to this long for the previous one to end. */
const BUSY_WAIT_MS = 15 * 60_000;

const toJob = (s: StatusObject): RemoteJob => ({
  remoteId: s.jobId,
  status: STATUS[s.status],
  providerStatus: s.status,
  progress: s.status === 'COMPLETED' ? 100 : (s.progress ?? 0),
  outputUrl: s.outputVideo ?? null,
  errorMessage: s.errorMessage,
});

async function getStatus(http: HttpClient, id: string, signal?: AbortSignal): Promise<RemoteJob> {
  return toJob((await http.get<StatusObject>(`/api/status/${encodeURIComponent(id)}`, { signal })).data);
}

/** Its newest jobs: a lost create's job is among them (one active job per key, so at most one is new). */
async function recentJobs(http: HttpClient, _request: unknown, signal?: AbortSignal): Promise<ListedJob[]> {
  const { data } = await http.get<{ jobs: ListItem[] }>('/api/jobs', { query: { limit: 5 }, signal });
  return data.jobs.map((job) => ({ remoteId: job.id, createdAt: Date.parse(job.createdAt) }));
}

const WORDS: Record<JobStatus, VidgenStatus> = { queued: 'PENDING', processing: 'PROCESSING', completed: 'COMPLETED', failed: 'FAILED', cancelled: 'CANCELLED' };

/** It posts its `GET /api/status/:jobId` object; the event name is not in the body. */
function eventBody(_event: string, kind: EventKind, job: Job): unknown {
  const status = statusFor(kind, job);
  return {
    jobId: job.remoteId ?? job.id,
    status: WORDS[status],
    progress: status === 'completed' ? 100 : Math.round(job.progress),
    outputVideo: status === 'completed' ? videoUrl(job) : null,
    outputShareLink: null,
    errorMessage: status === 'completed' ? null : errorMessage(job, status),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

/** vidgen: the self-hosted image + audio API that `ugc serve` also speaks. */
export default defineRemoteProvider({
  name: 'vidgen',
  summary: 'vidgen: a photo and a voiceover become a talking video (self-hosted: --base-url)',
  document: 'vidgen HTTP API (image + audio in, video out; self-hosted, no public base URL)',
  api: {
    documentedBaseUrl: null,
    authHeader: 'x-api-key',
    parseError: readErrorEnvelope,
    isBusy: (status, body) => status === 409 && /active job/i.test(readErrorEnvelope(status, body).message),
  },

  jobs: {
    pollIntervalSeconds: 3,
    // It accepts no idempotency key, so a lost create is never resent: the resend would meet this job's
    // one-active-job 409, wait it out, and make a second one. The job it made is found in the list instead.
    idempotency: { documented: false, findCreated: recentJobs },
    // "One job per user at a time": more would only queue up behind its 409.
    maxConcurrency: 1,
    // A photo and a voiceover, uploaded from this machine; no script (it makes no captions).
    inputs: { required: ['image', 'audio'], pathOnly: ['image', 'audio'] },
    check(request) {
      if (request.webhookUrl && !request.webhookUrl.startsWith('https://')) throw new InputError({ field: 'webhookUrl', message: 'vidgen only calls https:// webhook URLs: {} must start with https://' });
    },
    async create(http, request, { idempotencyKey, signal }) {
      const { FormData } = await import('undici');
      const form = new FormData();
      form.set('image', new Blob([await readFile(request.image as string)]), basename(request.image as string));
      form.set('audio', new Blob([await readFile(request.audio as string)]), basename(request.audio as string));
      if (request.webhookUrl) form.set('webhookUrl', request.webhookUrl);
      const { data } = await http.post<{ jobId: string }>('/api/jobs', { form, idempotencyKey, signal, maxAttempts: 1000, maxWaitMs: BUSY_WAIT_MS });
      return getStatus(http, data.jobId, signal);
    },
    get: getStatus,
  },

  async cancel(http, remoteId) {
    await http.post(`/api/cancel/${encodeURIComponent(remoteId)}`);
  },

  // No account endpoint: the server's health, then a key that can list its jobs is a valid key.
  async whoami(http) {
    const health = shaped<{ status: string }>(http, 'GET /api/health', (await http.get('/api/health')).data, (d) => isText(d.status), 'a health status');
    // The health check needs no key: the job list is what proves the key works.
    const { jobs } = shaped<{ jobs: ListItem[] }>(http, 'GET /api/jobs', (await http.get('/api/jobs', { query: { limit: 1 } })).data, (d) => Array.isArray(d.jobs), 'a job list');
    const last = jobs[0];
    return { account: 'API key accepted', plan: null, credits: null, server: health.status, lastJob: last ? { id: last.id, status: last.status } : null };
  },

  webhooks: {
    // `X-Webhook-Signature`: lowercase hex HMAC-SHA256 of the raw body, as the document's Express sample checks it.
    scheme: hexScheme('vidgen-hex', 'X-Webhook-Signature', 'vidgen'),
    events: { completed: 'job.completed', failed: 'job.failed' },
    body: eventBody,
    jobIn: deliveredJob('jobId', 'progress'),
    sample: {
      remoteId: cuid,
      finished: (id) => ({ output: { path: null, url: `https://example.com/files/${id}.mp4`, thumbnailPath: null, durationSeconds: 30 } }),
      credits: 150,
      model: null,
    },
  },
});
