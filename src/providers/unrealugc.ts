import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError, isUrl, type GenerateRequest } from '../core/request.js';
import type { Job } from '../core/job.js';
import type { HttpClient } from '../http/client.js';
import { cursorPages } from '../http/paginate.js';
import type { CatalogItem, UploadKind, UploadLimit } from './definition.js';
import { checkUploadLimits } from './media.js';
import { paramValues, readErrorEnvelope } from './envelopes.js';
import { defineRemoteProvider, type ListedJob, type RemoteJob } from './remote.js';
import { cuid, deliveredJob, errorMessage, requestText, statusFor, thumbnailUrl, videoUrl, type EventKind } from './webhook-bodies.js';
import { standardScheme } from './webhook-schemes.js';
import { isNumber, isText, shaped } from './answers.js';

interface Video {
  id: string;
  status: 'DRAFT' | 'GENERATING' | 'RENDERING' | 'COMPLETED' | 'FAILED';
  outputUrl?: string | null;
  error?: string | null;
  creditsCharged?: number | null;
  creditsFinal?: number | null;
  script?: string;
  productName?: string;
  aspectRatio?: string;
  videoModel?: string;
  voiceId?: string | null;
  createdAt?: string;
}
interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

// The document has no progress field; these stand for how far each status is along.
const STATUS: Record<Video['status'], { status: RemoteJob['status']; progress: number }> = {
  DRAFT: { status: 'queued', progress: 0 },
  GENERATING: { status: 'processing', progress: 30 },
  RENDERING: { status: 'processing', progress: 75 },
  COMPLETED: { status: 'completed', progress: 100 },
  FAILED: { status: 'failed', progress: 0 },
};

const toJob = (v: Video): RemoteJob => ({
  remoteId: v.id,
  ...STATUS[v.status],
  providerStatus: v.status,
  outputUrl: v.outputUrl ?? null,
  errorMessage: v.error,
  creditsCharged: v.creditsCharged ?? null,
  creditsFinal: v.creditsFinal ?? null,
});

/**
 * The document names no idempotency mechanism, so a lost create is looked for among the newest videos
 * (`GET /v1/videos`, newest first): those with the script, product name and aspect ratio it sent (and the
 * model and voice, when it named them).
 */
async function videosMatching(http: HttpClient, request: GenerateRequest, signal?: AbortSignal): Promise<ListedJob[]> {
  const { data } = await http.get<Page<Video>>('/videos', { query: { limit: 100 }, signal });
  const sent = videoBody(request, null);
  const same = (v: Video) =>
    v.script === sent.script && v.productName === sent.productName && v.aspectRatio === sent.aspectRatio && (sent.videoModel === undefined || v.videoModel === sent.videoModel) && (sent.voiceId === undefined || v.voiceId === sent.voiceId);
  return data.data.filter((v) => v.createdAt && same(v)).map((v) => ({ remoteId: v.id, createdAt: Date.parse(v.createdAt as string) }));
}

const UPLOADS: Record<UploadKind, UploadLimit> = {
  avatar: { maxBytes: 5 * 1024 * 1024, types: { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } },
  'voice-sample': { maxBytes: 25 * 1024 * 1024, types: { mp3: 'audio/mpeg', wav: 'audio/wav', webm: 'audio/webm', ogg: 'audio/ogg', m4a: 'audio/m4a', mp4: 'audio/mp4' } },
};

/** Presigned two-step upload: ask for a URL, PUT the bytes with the headers given, return the storage key. */
async function upload(http: HttpClient, kind: UploadKind, path: string): Promise<{ key: string; contentType: string }> {
  const contentType = await checkUploadLimits('unrealugc', UPLOADS[kind], kind, path);
  const extension = extname(path).slice(1).toLowerCase();
  const { data } = await http.post<{ uploadUrl: string; r2Key: string; method?: string; headers?: Record<string, string> }>(`/uploads/${kind}`, { json: { contentType, extension } });
  await http.sendRaw(data.uploadUrl, data.method ?? 'PUT', await readFile(path), data.headers ?? { 'content-type': contentType });
  return { key: data.r2Key, contentType };
}

async function all<T>(http: HttpClient, path: string, query: Record<string, string | number | undefined> = {}): Promise<T[]> {
  const items: T[] = [];
  for await (const item of cursorPages<T>(async (cursor) => {
    const { data } = await http.get<Page<T>>(path, { query: { ...query, cursor: cursor ?? undefined } });
    return { items: data.data, next: data.has_more ? data.next_cursor : null };
  })) items.push(item);
  return items;
}

async function addCreator(http: HttpClient, imagePath: string, name: string): Promise<CatalogItem> {
  const { key } = await upload(http, 'avatar', imagePath);
  return (await http.post<CatalogItem>('/creators', { json: { name, r2Key: key } })).data;
}

function videoBody(request: GenerateRequest, customCreatorId: string | null): Record<string, unknown> {
  return {
    script: request.script,
    productName: request.productName,
    ...(customCreatorId ? { customCreatorId } : { creatorId: request.creator }),
    ...(request.model ? { videoModel: request.model } : {}),
    ...(request.voice ? { voiceId: request.voice, useNativeAudio: false } : {}),
    ...(request.durationSeconds ? { durationSeconds: request.durationSeconds } : {}),
    aspectRatio: request.aspect,
    ...(isUrl(request.productImage) ? { productImageUrl: request.productImage } : {}),
    ...paramValues(request.params),
  };
}

const UNREAL_WORDS = new Set(['DRAFT', 'GENERATING', 'RENDERING']);

/** Its video object as `GET /v1/videos/:id` returns it, in the Standard Webhooks envelope. */
function eventBody(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const status = statusFor(kind, job);
  const word =
    status === 'completed' ? 'COMPLETED'
    : status === 'failed' || status === 'cancelled' ? 'FAILED'
    : UNREAL_WORDS.has(job.providerStatus) ? job.providerStatus
    : status === 'queued' ? 'DRAFT'
    : 'GENERATING';
  const data = {
    id: job.remoteId ?? job.id,
    status: word,
    productName: requestText(job, 'productName'),
    durationSeconds: job.output.durationSeconds,
    aspectRatio: requestText(job, 'aspect'),
    outputUrl: word === 'COMPLETED' ? videoUrl(job) : null,
    thumbnailUrl: word === 'COMPLETED' ? thumbnailUrl(job) : null,
    error: word === 'FAILED' ? errorMessage(job, status) : null,
    creditsCharged: job.credits.charged,
    creditsFinal: job.credits.final,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
  return { type: event, timestamp, data };
}

const catalogTable = { head: ['ID', 'NAME', 'DETAILS'], row: (c: CatalogItem) => [c.id, String(c.name ?? c.slug ?? ''), String(c.style ?? c.status ?? c.category ?? '')] };

/** UnrealUGC: videos from a stock or custom creator; catalogs, uploads and estimates. */
export default defineRemoteProvider({
  name: 'unrealugc',
  summary: 'UnrealUGC: a stock or custom creator speaks the script (unrealugc.com)',
  document: 'UnrealUGC REST API reference, https://unrealugc.com/api/v1',
  api: {
    documentedBaseUrl: 'https://unrealugc.com/api/v1',
    authHeader: 'authorization',
    parseError: readErrorEnvelope,
  },

  jobs: {
    // "poll GET /v1/videos/:id every ~15s"
    pollIntervalSeconds: 15,
    // The document names no idempotency mechanism (`ugc` sends an Idempotency-Key header anyway, unrelied on).
    idempotency: { documented: false, findCreated: videosMatching },
    inputs: {
      required: ['script', 'productName'],
      unsupported: { audio: 'it voices the script itself (pick a voice with {voice})' },
      urlOnly: ['productImage'],
      hints: { creator: 'List creators with `ugc creators --provider unrealugc`.' },
    },
    check(request) {
      if (!request.creator && !request.image && !request.params.customCreatorId) {
        throw new InputError({ field: 'creator', message: 'unrealugc needs {creator} <id|slug> or {image} <path>', hint: 'List creators with `ugc creators --provider unrealugc`.' });
      }
    },
    async create(http, request, { idempotencyKey, signal }) {
      // A photo becomes a custom creator first (upload, then finalize), exactly as `ugc creators add` does.
      const customCreatorId = request.image ? (await addCreator(http, request.image, `ugc ${new Date().toISOString().slice(0, 10)}`)).id : null;
      const { data } = await http.post<Video>('/videos', { json: videoBody(request, customCreatorId), idempotencyKey, signal });
      return toJob(data);
    },
    async get(http, remoteId, signal) {
      return toJob((await http.get<Video>(`/videos/${encodeURIComponent(remoteId)}`, { signal })).data);
    },
  },

  async whoami(http) {
    // The document's account object: { id, email, name, plan, subscriptionStatus, credits }.
    const me = shaped<{ id?: string; email?: string; name?: string; plan?: string; credits: number; subscriptionStatus?: string }>(http, 'GET /me', (await http.get('/me')).data, (d) => isNumber(d.credits) && [d.id, d.email, d.name].some(isText), 'an account');
    return { account: [me.email, me.name, me.id].find(isText) ?? '', plan: me.plan ?? null, credits: me.credits, subscriptionStatus: me.subscriptionStatus ?? null };
  },

  async estimate(http, request) {
    const { creatorId: _c, customCreatorId: _cc, voiceId: _v, productImageUrl: _p, ...body } = videoBody(request, null);
    const { data } = await http.post<{ totalCredits: number; credits: number; canAfford: boolean }>('/videos/estimate', { json: body });
    return { credits: data.totalCredits, balance: data.credits, canAfford: data.canAfford };
  },

  creators: {
    list: (http, { include }) => all<CatalogItem>(http, '/creators', { include, limit: 250 }),
    get: async (http, id) => (await http.get<CatalogItem>(`/creators/${encodeURIComponent(id)}`)).data,
    add: addCreator,
    remove: async (http, id) => void (await http.delete(`/creators/${encodeURIComponent(id)}`)),
    table: catalogTable,
  },

  voices: {
    list: (http) => all<CatalogItem>(http, '/voices', { limit: 100 }),
    get: async (http, id) => (await http.get<CatalogItem>(`/voices/${encodeURIComponent(id)}`)).data,
    async add(http, samplePath, name) {
      const { key, contentType } = await upload(http, 'voice-sample', samplePath);
      return (await http.post<CatalogItem>('/voices', { json: { name, r2Key: key, contentType } })).data;
    },
    remove: async (http, id) => void (await http.delete(`/voices/${encodeURIComponent(id)}`)),
    table: { head: ['ID', 'NAME', 'GENDER', 'CUSTOM'], row: (v) => [v.id, String(v.name ?? ''), String(v.gender ?? ''), v.isCustom ? 'yes' : ''] },
  },

  models: {
    list: async (http) => (await http.get<{ data: CatalogItem[] }>('/models')).data.data,
    table: { head: ['ID', 'NAME', 'DETAILS'], row: (m) => [m.id, String(m.name ?? ''), String(m.kind ?? m.tier ?? m.description ?? '')] },
  },

  uploads: { limits: UPLOADS, upload },

  // The document names Standard Webhooks: `whsec_` secrets, a stable delivery id, 300 s tolerance.
  webhooks: {
    scheme: standardScheme,
    events: { created: 'video.created', completed: 'video.completed', failed: 'video.failed' },
    body: eventBody,
    jobIn: deliveredJob('data.id'),
    sample: {
      remoteId: cuid,
      finished: (id) => ({ output: { path: null, url: `https://example.com/unrealugc/videos/${id}.mp4`, thumbnailPath: null, durationSeconds: 30 } }),
      credits: 150,
      model: null,
    },
  },
});
