import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FormData } from 'undici';
import { UsageError } from '../core/errors.js';
import type { HttpClient } from '../http/client.js';
import { NetworkError } from '../http/errors.js';
import type { Adapter, RemoteJob } from './adapter.js';
import { isUrl, readErrorEnvelope } from './envelopes.js';

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
  error: s.status === 'FAILED' ? { code: 'provider_failed', message: s.errorMessage ?? 'the provider reported a failure' } : null,
});

async function getStatus(http: HttpClient, id: string, signal?: AbortSignal): Promise<RemoteJob> {
  return toJob((await http.get<StatusObject>(`/api/status/${encodeURIComponent(id)}`, { signal })).data);
}

/**
 * vidgen accepts no idempotency key, so a create whose response was lost cannot simply be sent again:
 * the resend would meet our own job's 409, wait for it, and make a second one. Instead look for the job
 * the lost request made: this key's newest job, created after we sent ours.
 */
async function findJobCreatedSince(http: HttpClient, since: number): Promise<RemoteJob | null> {
  const { data } = await http.get<{ jobs: ListItem[] }>('/api/jobs', { query: { limit: 5 } });
  const mine = data.jobs.find((job) => Date.parse(job.createdAt) >= since - 2_000);
  return mine ? getStatus(http, mine.id) : null;
}

/** vidgen (api-docs/004): the self-hosted image + audio API that `ugc serve` also speaks. */
export const vidgen: Adapter = {
  name: 'vidgen',
  documentedBaseUrl: null,
  authHeader: 'x-api-key',
  // vidgen ignores it, but every POST carries one (the CLI contract), for proxies that honour it.
  idempotency: 'header',
  capabilities: { cancel: true, creators: false, voices: false, uploads: false, models: false, estimate: false, projects: false },
  pollIntervalSeconds: 3,
  parseError: readErrorEnvelope,
  isBusy: (status, body) => status === 409 && /active job/i.test(readErrorEnvelope(status, body).message),

  validate(request) {
    if (!request.image || !request.audio) throw new UsageError('vidgen makes a video from a photo and a voiceover: pass --image <path> and --audio <path>');
    if (isUrl(request.image) || isUrl(request.audio)) throw new UsageError('vidgen uploads local files: --image and --audio must be paths');
    if (request.webhookUrl && !request.webhookUrl.startsWith('https://')) throw new UsageError('vidgen only calls https:// webhook URLs');
  },

  async create(http, request, { idempotencyKey, signal }) {
    const form = new FormData();
    form.set('image', new Blob([await readFile(request.image as string)]), basename(request.image as string));
    form.set('audio', new Blob([await readFile(request.audio as string)]), basename(request.audio as string));
    if (request.webhookUrl) form.set('webhookUrl', request.webhookUrl);
    const sentAt = Date.now();
    try {
      const { data } = await http.post<{ jobId: string }>('/api/jobs', { form, idempotencyKey, signal, retryNetworkErrors: false, maxAttempts: 1000, maxWaitMs: BUSY_WAIT_MS });
      return getStatus(http, data.jobId, signal);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      const adopted = await findJobCreatedSince(http, sentAt);
      if (adopted) return adopted;
      throw error;
    }
  },

  get: getStatus,
  recoverCreated: findJobCreatedSince,

  async cancel(http, remoteId) {
    await http.post(`/api/cancel/${encodeURIComponent(remoteId)}`);
  },

  // No account endpoint: the server's health, then a key that can list its jobs is a valid key.
  async whoami(http) {
    const health = await http.get<{ status: string }>('/api/health');
    const { data } = await http.get<{ jobs: ListItem[] }>('/api/jobs', { query: { limit: 1 } });
    const last = data.jobs[0];
    return { account: 'API key accepted', plan: null, credits: null, server: health.data.status, lastJob: last ? { id: last.id, status: last.status } : null };
  },
};
