import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { GenerateRequest } from '../core/request.js';
import type { HttpClient } from '../http/client.js';
import { cursorPages } from '../http/paginate.js';
import type { Adapter, CatalogItem, RemoteJob } from './adapter.js';
import { isUrl, paramValues, readErrorEnvelope } from './envelopes.js';

interface Video {
  id: string;
  status: 'DRAFT' | 'GENERATING' | 'RENDERING' | 'COMPLETED' | 'FAILED';
  outputUrl?: string | null;
  error?: string | null;
  creditsCharged?: number | null;
  creditsFinal?: number | null;
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
  error: v.status === 'FAILED' ? { code: 'provider_failed', message: v.error ?? 'the provider reported a failure' } : null,
  creditsCharged: v.creditsFinal ?? v.creditsCharged ?? null,
});

const UPLOADS = {
  avatar: { limit: 5 * 1024 * 1024, types: { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as Record<string, string> },
  'voice-sample': { limit: 25 * 1024 * 1024, types: { mp3: 'audio/mpeg', wav: 'audio/wav', webm: 'audio/webm', ogg: 'audio/ogg', m4a: 'audio/m4a', mp4: 'audio/mp4' } as Record<string, string> },
};

/** Presigned two-step upload: ask for a URL, PUT the bytes with the headers given, return the storage key. */
async function upload(http: HttpClient, kind: keyof typeof UPLOADS, path: string): Promise<{ key: string; contentType: string }> {
  const extension = extname(path).slice(1).toLowerCase();
  const contentType = UPLOADS[kind].types[extension];
  if (!contentType) throw new UsageError(`${basename(path)}: unrealugc takes ${Object.keys(UPLOADS[kind].types).join(', ')} files for ${kind} uploads`);
  const size = (await stat(path)).size;
  if (size > UPLOADS[kind].limit) throw new UsageError(`${basename(path)} is ${(size / 1048576).toFixed(1)} MB; unrealugc takes ${kind} uploads up to ${UPLOADS[kind].limit / 1048576} MB`);
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

/** UnrealUGC (api-docs/001): videos from a stock or custom creator; catalogs, uploads and estimates. */
export const unrealUgc: Adapter = {
  name: 'unrealugc',
  documentedBaseUrl: 'https://unrealugc.com/api/v1',
  authHeader: 'authorization',
  // The document names no idempotency mechanism; `ugc` sends the header on every POST (see README).
  idempotency: 'header',
  capabilities: { cancel: false, creators: true, voices: true, uploads: true, models: true, estimate: true, projects: true },
  // "poll GET /v1/videos/:id every ~15s"
  pollIntervalSeconds: 15,
  parseError: readErrorEnvelope,

  validate(request) {
    if (!request.productName) throw new UsageError('unrealugc needs --product-name (it names the project the video goes in)');
    if (!request.creator && !request.image && !request.params.customCreatorId) throw new UsageError('unrealugc needs --creator <id|slug> or --image <path>', 'List creators with `ugc creators --provider unrealugc`.');
    if (request.audio) throw new UsageError('unrealugc voices the script itself: --audio is not supported (pick a voice with --voice)');
    if (request.productImage && !isUrl(request.productImage)) throw new UsageError('unrealugc takes --product-image as a public URL');
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

  async whoami(http) {
    const { data } = await http.get<{ email?: string; name?: string; plan?: string; credits?: number; subscriptionStatus?: string }>('/me');
    return { account: data.email ?? data.name ?? 'unknown', plan: data.plan ?? null, credits: data.credits ?? null, subscriptionStatus: data.subscriptionStatus ?? null };
  },

  listCreators: (http, include) => all<CatalogItem>(http, '/creators', { include, limit: 250 }),
  getCreator: async (http, id) => (await http.get<CatalogItem>(`/creators/${encodeURIComponent(id)}`)).data,
  addCreator,
  removeCreator: async (http, id) => void (await http.delete(`/creators/${encodeURIComponent(id)}`)),

  listVoices: (http) => all<CatalogItem>(http, '/voices', { limit: 100 }),
  getVoice: async (http, id) => (await http.get<CatalogItem>(`/voices/${encodeURIComponent(id)}`)).data,
  async addVoice(http, samplePath, name) {
    const { key, contentType } = await upload(http, 'voice-sample', samplePath);
    return (await http.post<CatalogItem>('/voices', { json: { name, r2Key: key, contentType } })).data;
  },
  removeVoice: async (http, id) => void (await http.delete(`/voices/${encodeURIComponent(id)}`)),

  listModels: async (http) => (await http.get<{ data: CatalogItem[] }>('/models')).data.data,

  async estimate(http, request) {
    const { creatorId: _c, customCreatorId: _cc, voiceId: _v, productImageUrl: _p, ...body } = videoBody(request, null);
    const { data } = await http.post<{ totalCredits: number; credits: number; canAfford: boolean }>('/videos/estimate', { json: body });
    return { credits: data.totalCredits, balance: data.credits, canAfford: data.canAfford };
  },

  upload: (http, kind, path) => upload(http, kind, path),
};
