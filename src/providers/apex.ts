import { randomUUID } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import { InputError, isUrl, type GenerateRequest } from '../core/request.js';
import { paramValues, readErrorEnvelope, spokenSeconds } from './envelopes.js';
import { defineRemoteProvider, type RemoteJob } from './remote.js';
import { endedAt, errorMessage, requestText, statusFor, videoUrl, type EventKind } from './webhook-bodies.js';
import { standardScheme } from './webhook-schemes.js';

interface ApexJob {
  jobId: string;
  status: string;
  progress?: number;
  outputUrl?: string | null;
  error?: string | null;
}

/** Credits per generation kind, from the document's endpoint list. */
const PRICES: Record<string, number> = { image: 10, video: 250, voice: 80, avatar: 750, clip: 30, 'b-roll': 150, text2video: 250, commercial: 3000, translate: 1800, photoshoot: 30 };
const INSTANT_AD_PRICES: Record<string, number> = { image: 500, video: 1000, both: 1250 };
const AVATAR_MODELS = ['veed-fabric', 'creatify-aurora', 'kling-avatar-v2', 'omnihuman-1.5'];
const VIDEO_MODELS = ['wan-2.6', 'kling-2.6-pro', 'kling-3.0-pro', 'veo-3.1'];

/**
 * Which generation endpoint a request goes to: `--param kind=<endpoint>` for any documented kind,
 * else `avatar` when a spokesperson photo is given, else `video` (from the script).
 */
function kindOf(request: GenerateRequest): string {
  return request.params.kind ?? (request.image ? 'avatar' : 'video');
}

function bodyFor(request: GenerateRequest): Record<string, unknown> {
  const { kind: _kind, ...rest } = paramValues(request.params);
  const kind = kindOf(request);
  if (kind === 'avatar') {
    return {
      image: request.image,
      resolution: request.resolution,
      model: request.model ?? 'omnihuman-1.5',
      ...(request.audio ? { audio: request.audio } : { text: request.script }),
      ...(request.voice ? { voiceId: request.voice } : {}),
      ...rest,
    };
  }
  if (kind === 'video') {
    return {
      script: request.script,
      duration: Math.min(60, Math.max(3, Math.round(request.durationSeconds ?? spokenSeconds(request.script)))),
      resolution: request.resolution,
      ...(request.model ? { model: request.model } : {}),
      ...(request.voice ? { voiceId: request.voice } : {}),
      ...rest,
    };
  }
  return { ...(request.prompt ? { prompt: request.prompt } : {}), ...(kind === 'text2video' ? { script: request.script } : {}), ...rest };
}

function toJob(job: ApexJob): RemoteJob {
  const status = job.status === 'completed' || job.status === 'failed' || job.status === 'processing' ? job.status : 'queued';
  return {
    remoteId: job.jobId,
    status,
    providerStatus: job.status,
    progress: status === 'completed' ? 100 : (job.progress ?? 0),
    outputUrl: job.outputUrl ?? null,
    errorMessage: job.error,
  };
}

/** `{ event, timestamp, data }` with the completed and failed fields of its document. */
function eventBody(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const base = { jobId: job.remoteId ?? job.id, type: 'video' };
  const data =
    kind === 'completed'
      ? {
          ...base,
          status: 'completed',
          outputUrl: videoUrl(job),
          outputType: 'video/mp4',
          metadata: { model: requestText(job, 'model'), durationSeconds: job.output.durationSeconds, resolution: requestText(job, 'resolution') },
          createdAt: job.createdAt,
          completedAt: endedAt(job, timestamp),
        }
      : { ...base, status: 'failed', error: errorMessage(job, statusFor(kind, job)), creditsRefunded: job.credits.charged, createdAt: job.createdAt, failedAt: endedAt(job, timestamp) };
  return { event, timestamp, data };
}

/** Apex Studio: many generation kinds behind /api/generate/*, jobs at /api/jobs?id=. */
export default defineRemoteProvider({
  name: 'apex',
  summary: 'Apex Studio: video, avatar and other generation kinds (useapexstudio.com)',
  document: 'Apex Studio AI Video Generation API, https://useapexstudio.com (paths under /api)',
  api: {
    documentedBaseUrl: 'https://useapexstudio.com',
    authHeader: 'authorization',
    // The document names no idempotency mechanism; `ugc` sends the header on every POST (see docs/providers.md).
    idempotency: 'header',
    parseError: readErrorEnvelope,
  },

  jobs: {
    pollIntervalSeconds: 5,
    inputs: { required: ['script'], unsupported: { creator: 'it has no creator catalog (pass {image} <photo URL> for a talking-head video)' } },
    check(request) {
      const kind = kindOf(request);
      if (!/^[a-z0-9-]+$/.test(kind)) throw new InputError({ field: 'params', message: `{} kind must name an Apex generation endpoint (got "${kind}")` });
      if (kind === 'avatar') {
        if (!isUrl(request.image)) throw new InputError({ field: 'image', message: 'apex takes the spokesperson photo as a URL: pass {} https://…' });
        if (request.audio && !isUrl(request.audio)) throw new InputError({ field: 'audio', message: 'apex takes pre-recorded audio as a URL: pass {} https://…' });
      }
    },
    async create(http, request, { idempotencyKey, signal }) {
      const { data } = await http.post<{ data: ApexJob }>(`/api/generate/${kindOf(request)}`, { json: bodyFor(request), idempotencyKey, signal });
      return toJob(data.data);
    },
    async get(http, remoteId, signal) {
      return toJob((await http.get<{ data: ApexJob }>('/api/jobs', { query: { id: remoteId }, signal })).data.data);
    },
  },

  async whoami(http) {
    const { data } = await http.get<{ data: { credits: number; plan: string } }>('/api/usage');
    return { account: `${data.data.plan} plan`, plan: data.data.plan, credits: data.data.credits };
  },

  async estimate(_http, request) {
    const kind = kindOf(request);
    const credits = kind === 'instant-ad' ? INSTANT_AD_PRICES[request.params.outputFormat ?? 'image'] : PRICES[kind];
    if (credits === undefined) throw new UsageError(`no documented price for the Apex kind "${kind}"`);
    return { credits, kind, source: 'documented price list' };
  },

  models: {
    list: async () => [...VIDEO_MODELS.map((id) => ({ id, kind: 'video', source: 'documented' })), ...AVATAR_MODELS.map((id) => ({ id, kind: 'avatar', source: 'documented' }))],
    table: { head: ['ID', 'NAME', 'DETAILS'], row: (m) => [m.id, String(m.name ?? ''), String(m.kind ?? m.tier ?? m.description ?? '')] },
  },

  // No signature is documented: the events `ugc` forwards are signed with Standard Webhooks.
  webhooks: {
    scheme: standardScheme,
    events: { completed: 'job.completed', failed: 'job.failed' },
    body: eventBody,
    sample: {
      remoteId: () => randomUUID(),
      finished: (id) => ({ output: { path: null, url: `https://cdn.useapexstudio.com/outputs/${id}/output.mp4`, thumbnailPath: null, durationSeconds: 30 } }),
      credits: 150,
      model: null,
    },
  },
});
