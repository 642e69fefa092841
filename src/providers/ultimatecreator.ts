import { UsageError } from '../core/errors.js';
import type { JobStatus } from '../core/job.js';
import type { GenerateRequest } from '../core/request.js';
import type { Adapter, CatalogItem, RemoteJob } from './adapter.js';
import { readErrorEnvelope, spokenSeconds } from './envelopes.js';

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
  error: s.status === 'failed' ? { code: 'provider_failed', message: s.error_message ?? 'the provider reported a failure' } : null,
  creditsCharged: s.credits_charged ?? null,
});

/** UltimateCreator (api-docs/000): prompt-driven generation around an avatar; avatars are `ugc creators`. */
export const ultimateCreator: Adapter = {
  name: 'ultimatecreator',
  documentedBaseUrl: 'https://api.ultimatecreator.ai/v1',
  authHeader: 'authorization',
  idempotency: 'header',
  capabilities: { cancel: true, creators: true, voices: false, uploads: false, models: false, estimate: false, projects: false },
  // The document says every 10–30 s.
  pollIntervalSeconds: 10,
  parseError: readErrorEnvelope,

  validate(request: GenerateRequest) {
    if (!request.creator) throw new UsageError('ultimatecreator needs --creator <avatar id>', 'List avatars with `ugc creators --provider ultimatecreator`.');
    if (request.image || request.audio) throw new UsageError('ultimatecreator generates from an avatar and a prompt: --image and --audio are not supported');
  },

  async create(http, request, { idempotencyKey, signal }) {
    const body = {
      prompt: request.prompt ?? request.script,
      duration_seconds: Math.min(300, Math.round(request.durationSeconds ?? spokenSeconds(request.script))),
      avatar_id: request.creator,
      resolution: request.resolution,
      ...(request.webhookUrl ? { webhook_url: request.webhookUrl } : {}),
      ...request.params,
    };
    const { data } = await http.post<UcStatus>('/video/generate', { json: body, idempotencyKey, signal });
    return toJob({ progress_percent: 0, ...data });
  },

  async get(http, remoteId, signal) {
    return toJob((await http.get<UcStatus>(`/video/${encodeURIComponent(remoteId)}/status`, { signal })).data);
  },

  async cancel(http, remoteId) {
    await http.post(`/video/${encodeURIComponent(remoteId)}/cancel`);
  },

  // The API has no account endpoint: a key that can list avatars is a valid key.
  async whoami(http) {
    const { data } = await http.get<{ data: unknown[] }>('/avatars');
    return { account: 'API key accepted', plan: null, credits: null, avatars: data.data.length };
  },

  async listCreators(http) {
    return (await http.get<{ data: CatalogItem[] }>('/avatars')).data.data;
  },

  async getCreator(http, id) {
    return (await http.get<CatalogItem>(`/avatars/${encodeURIComponent(id)}`)).data;
  },

  async removeCreator(http, id) {
    await http.delete(`/avatars/${encodeURIComponent(id)}`);
  },
};
