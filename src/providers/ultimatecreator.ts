import { randomBytes } from 'node:crypto';
import type { Job, JobStatus } from '../core/job.js';
import type { CatalogItem } from './definition.js';
import { paramValues, readErrorEnvelope, spokenSeconds } from './envelopes.js';
import { defineRemoteProvider, type RemoteJob } from './remote.js';
import { creditsOf, deliveredJob, errorMessage, stepCrossed, statusFor, thumbnailUrl, videoUrl, type EventKind } from './webhook-bodies.js';
import { hexScheme } from './webhook-schemes.js';
import { shaped } from './answers.js';

interface UcStatus {
  job_id: string;
  status: JobStatus;
  progress_percent?: number | null;
  video_url?: string | null;
  error_message?: string | null;
  credits_charged?: number | null;
}

const toJob = (s: UcStatus): RemoteJob => ({
  remoteId: s.job_id,
  status: s.status,
  providerStatus: s.status,
  progress: s.status === 'completed' ? 100 : (s.progress_percent ?? 0),
  outputUrl: s.video_url ?? null,
  errorMessage: s.error_message,
  creditsCharged: s.credits_charged ?? null,
});

/** `{ event, timestamp, data }` as its document shows, with `progress_percent` at each 25 % step. */
function eventBody(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const id = job.remoteId ?? job.id;
  const status = statusFor(kind, job);
  let data: Record<string, unknown>;
  if (kind === 'progress') {
    data = { job_id: id, status, progress_percent: stepCrossed(0, job.progress) ?? 0 };
  } else if (kind === 'completed') {
    data = { job_id: id, status, video_url: videoUrl(job), thumbnail_url: thumbnailUrl(job), duration_seconds: job.output.durationSeconds, credits_charged: creditsOf(job) };
  } else {
    data = { job_id: id, status, error_message: errorMessage(job, status), duration_seconds: job.output.durationSeconds, credits_charged: creditsOf(job) };
  }
  return { event, timestamp, data };
}

/** UltimateCreator: prompt-driven generation around an avatar; avatars are `ugc creators`. */
export default defineRemoteProvider({
  name: 'ultimatecreator',
  summary: 'UltimateCreator: an avatar acts out a prompt or the script (ultimatecreator.ai)',
  document: 'UltimateCreator API documentation, https://api.ultimatecreator.ai/v1',
  api: { documentedBaseUrl: 'https://api.ultimatecreator.ai/v1', authHeader: 'authorization', parseError: readErrorEnvelope },

  jobs: {
    // The document says every 10–30 s.
    pollIntervalSeconds: 10,
    // "Idempotency-Key header with a unique UUID on every POST request ... the API will return the original response instead of creating a duplicate job."
    idempotency: { documented: 'header' },
    inputs: {
      required: ['script', 'creator'],
      unsupported: { image: 'it generates from an avatar and a prompt', audio: 'it generates from an avatar and a prompt' },
      hints: { creator: 'Pass an avatar id; list them with `ugc creators --provider ultimatecreator`.' },
    },
    async create(http, request, { idempotencyKey, signal }) {
      const body = {
        prompt: request.prompt ?? request.script,
        duration_seconds: Math.min(300, Math.round(request.durationSeconds ?? spokenSeconds(request.script))),
        avatar_id: request.creator,
        resolution: request.resolution,
        ...(request.webhookUrl ? { webhook_url: request.webhookUrl } : {}),
        ...paramValues(request.params),
      };
      const { data } = await http.post<UcStatus>('/video/generate', { json: body, idempotencyKey, signal });
      return toJob({ progress_percent: 0, ...data });
    },
    async get(http, remoteId, signal) {
      return toJob((await http.get<UcStatus>(`/video/${encodeURIComponent(remoteId)}/status`, { signal })).data);
    },
  },

  async cancel(http, remoteId) {
    await http.post(`/video/${encodeURIComponent(remoteId)}/cancel`);
  },

  // The API has no account endpoint: a key that can list avatars is a valid key.
  async whoami(http) {
    const page = shaped<{ data: unknown[] }>(http, 'GET /avatars', (await http.get('/avatars')).data, (d) => Array.isArray(d.data), 'an avatar list');
    return { account: 'API key accepted', plan: null, credits: null, avatars: page.data.length };
  },

  creators: {
    list: async (http) => (await http.get<{ data: CatalogItem[] }>('/avatars')).data.data,
    get: async (http, id) => (await http.get<CatalogItem>(`/avatars/${encodeURIComponent(id)}`)).data,
    remove: async (http, id) => void (await http.delete(`/avatars/${encodeURIComponent(id)}`)),
    table: { head: ['ID', 'NAME', 'DETAILS'], row: (c) => [c.id, String(c.name ?? c.slug ?? ''), String(c.style ?? c.status ?? c.category ?? '')] },
  },

  webhooks: {
    // `X-UC-Signature`: lowercase hex HMAC-SHA256 of the raw body, as the document's Node sample checks it.
    scheme: hexScheme('uc-hex', 'X-UC-Signature', 'ultimatecreator'),
    events: { completed: 'video.job.completed', failed: 'video.job.failed', progress: 'video.job.progress' },
    body: eventBody,
    jobIn: deliveredJob('data.job_id', 'data.progress_percent'),
    sample: {
      remoteId: () => `job_${randomBytes(8).toString('hex').toUpperCase()}`,
      finished: (id) => ({ output: { path: null, url: `https://cdn.ultimatecreator.ai/v/${id}.mp4`, thumbnailPath: null, durationSeconds: 30 }, thumbnailUrl: `https://cdn.ultimatecreator.ai/t/${id}.jpg` }),
      credits: 150,
      model: null,
    },
  },
});
