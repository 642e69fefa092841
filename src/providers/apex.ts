import { UsageError } from '../core/errors.js';
import type { GenerateRequest } from '../core/request.js';
import type { Adapter, RemoteJob } from './adapter.js';
import { isUrl, paramValues, readErrorEnvelope, spokenSeconds } from './envelopes.js';

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
    error: status === 'failed' ? { code: 'provider_failed', message: job.error ?? 'the provider reported a failure' } : null,
  };
}

/** Apex Studio (api-docs/003): many generation kinds behind /api/generate/*, jobs at /api/jobs?id=. */
export const apex: Adapter = {
  name: 'apex',
  documentedBaseUrl: 'https://useapexstudio.com',
  authHeader: 'authorization',
  // The document names no idempotency mechanism; `ugc` sends the header on every POST (see README).
  idempotency: 'header',
  capabilities: { cancel: false, creators: false, voices: false, uploads: false, models: true, estimate: true, projects: false },
  pollIntervalSeconds: 5,
  parseError: readErrorEnvelope,

  validate(request) {
    const kind = kindOf(request);
    if (!/^[a-z0-9-]+$/.test(kind)) throw new UsageError(`--param kind must name an Apex generation endpoint (got "${kind}")`);
    if (kind === 'avatar') {
      if (!isUrl(request.image)) throw new UsageError('apex takes the spokesperson photo as a URL: pass --image https://…');
      if (request.audio && !isUrl(request.audio)) throw new UsageError('apex takes pre-recorded audio as a URL: pass --audio https://…');
    }
    if (request.creator) throw new UsageError('apex has no creator catalog: pass --image <photo URL> for a talking-head video');
  },

  async create(http, request, { idempotencyKey, signal }) {
    const { data } = await http.post<{ data: ApexJob }>(`/api/generate/${kindOf(request)}`, { json: bodyFor(request), idempotencyKey, signal });
    return toJob(data.data);
  },

  async get(http, remoteId, signal) {
    return toJob((await http.get<{ data: ApexJob }>('/api/jobs', { query: { id: remoteId }, signal })).data.data);
  },

  async whoami(http) {
    const { data } = await http.get<{ data: { credits: number; plan: string } }>('/api/usage');
    return { account: `${data.data.plan} plan`, plan: data.data.plan, credits: data.data.credits };
  },

  async listModels() {
    return [
      ...VIDEO_MODELS.map((id) => ({ id, kind: 'video', source: 'documented' })),
      ...AVATAR_MODELS.map((id) => ({ id, kind: 'avatar', source: 'documented' })),
    ];
  },

  async estimate(_http, request) {
    const kind = kindOf(request);
    const credits = kind === 'instant-ad' ? INSTANT_AD_PRICES[request.params.outputFormat ?? 'image'] : PRICES[kind];
    if (credits === undefined) throw new UsageError(`no documented price for the Apex kind "${kind}"`);
    return { credits, kind, source: 'documented price list' };
  },
};
