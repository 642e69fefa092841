/**
 * A local emulator of the UnrealUGC REST API, from its "API Reference" (https://unrealugc.com/api/v1),
 * base `${origin}/api/v1`.
 *
 * Where the document is silent this emulator decides (and `ugc` must cope with exactly this):
 * - Error envelope `{ error: { code, message, details } }`; `details` is always an object (maybe empty).
 *   Codes: invalid_json, invalid_request (details.field names the field), unauthorized, insufficient_credits
 *   (details.required), subscription_required, not_found, payload_too_large, rate_limited,
 *   concurrency_limit_exceeded, stock_resource_not_deletable, server_error.
 * - Rate limits: POST /videos counts only against the generation bucket, every other API request against the
 *   default bucket; each response carries the headers of the bucket it counted against. Requests without a valid
 *   key are counted per client address. Uploads (PUT to the presigned URL) and downloads (/files, /r2) are not API
 *   responses and carry no X-RateLimit-* headers.
 * - Idempotency: the document names no mechanism, so none is emulated. `ugc` sends an Idempotency-Key header
 *   anyway (README decision); it is ignored like any header the document does not name, and a resent POST makes
 *   a second video. (A client recovers a lost create from GET /videos, which shows each video's request fields.)
 * - Plan concurrency (`planConcurrency`): one more active (GENERATING/RENDERING) video than allowed is
 *   429 concurrency_limit_exceeded with Retry-After (seconds until the oldest active video finishes), because the
 *   right client reaction is "retry later", as for a rate limit. It is not counted in stats.rateLimited.
 * - Pricing: credits per second of the snapped duration by model tier: standard 14, premium 28, ultra 56
 *   (so kling-2.6 at 10 s costs 280, the document's example). Credits are held at creation (subscription pool
 *   first, then purchased); COMPLETED sets creditsFinal = creditsCharged; FAILED refunds the hold to the pools
 *   it came from and leaves creditsFinal null.
 * - Statuses: created GENERATING; RENDERING from half-way through processing; then COMPLETED, or FAILED when the
 *   script contains `[[fail]]` or a test sets `videos.get(id).fail = true` before the job ends. DRAFT is never
 *   produced by the API. `title` appears once the job leaves its queued phase.
 * - Creation answers 201 (videos, projects, creators, voices); estimate and upload presigns answer 200;
 *   DELETE answers 200 `{ id, deleted: true }`. Deleting a stock creator or voice is 400
 *   stock_resource_not_deletable. Ids in a request body that do not resolve (creator, voice, project, r2Key) are
 *   400 invalid_request; ids in the path that do not resolve are 404.
 * - Lists answer `{ object: 'list', data, has_more, next_cursor }`, newest first for videos and projects, stock
 *   then custom (newest first) for creators and voices. `limit` outside 1..max and an unknown cursor are 400.
 *   Default limits: videos/projects 20, voices 100, creators 250 (its documented max).
 * - JSON bodies over 1 MiB are 413. Presigned PUTs: a missing/wrong signature or expired URL is 403, a
 *   Content-Type other than the signed one is 403, a body over 5 MB (avatar) / 25 MB (voice sample) is 413.
 * - useNativeAudio defaults to the model's supportsNativeAudio (true for kling-2.6, the default model);
 *   explicit true on a model without native audio is 400; voiceId is required when the result is false and
 *   ignored (stored as null) when audio is native. durationSeconds defaults to ceil(script chars / 15), capped
 *   at the model maximum, and snaps up to the model's next valid duration; above the maximum is 400.
 * - presetSlug and videoModel are mutually exclusive; known presets: ugc-talking-head, ugc-cinematic, ugc-budget.
 * - Without projectId each video creates a new project named after productName (as the document says).
 * - The paywall (no active subscription and zero credits) answers 402 subscription_required on every API route.
 * - Webhooks are configured in the dashboard only (no API), so nothing here stores or delivers them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  applyFaults,
  bearer,
  countRequest,
  dropIfAsked,
  FixedWindowLimiter,
  jobProgress,
  newFaults,
  newStats,
  readBody,
  sendJson,
  sendMp4,
  startHttpServer,
  type Emulator,
  type Route,
} from './kit.js';

export interface UnrealUgcOptions {
  /** Must start with `usk_live_`; generated when absent. */
  apiKey?: string;
  /** How long a video takes from creation to COMPLETED/FAILED. Default 1500. */
  jobDurationMs?: number;
  /** Default bucket (the document says 60/min; default here 600/min so tests are not throttled). */
  rateLimit?: { limit: number; windowMs: number };
  /** Bucket for POST /videos (the document says 10/min; default here: same as rateLimit). */
  generationRateLimit?: { limit: number; windowMs: number };
  /** Starting balance, all in the subscription pool. Default 100000. */
  credits?: number;
  /** Most videos active at once for the account; unlimited when absent. */
  planConcurrency?: number;
  /** Default 'ACTIVE'. With anything else and zero credits the API answers 402 subscription_required. */
  subscriptionStatus?: string;
}

export type VideoStatus = 'DRAFT' | 'GENERATING' | 'RENDERING' | 'COMPLETED' | 'FAILED';

export interface Account {
  id: string;
  email: string;
  name: string;
  plan: string;
  subscriptionStatus: string;
  subscriptionCredits: number;
  purchasedCredits: number;
}

export interface Model {
  id: string;
  name: string;
  description: string;
  maxDurationSeconds: number;
  supportsNativeAudio: boolean;
  aspectRatios: string[];
  tier: 'standard' | 'premium' | 'ultra';
}

export interface StockCreator {
  id: string;
  slug: string;
  name: string;
  gender: 'male' | 'female' | null;
  age: number | null;
  category: string;
  style: string;
  description: string | null;
  avatarUrl: string | null;
  previewVideoUrl: string | null;
  bestFor: string[];
  isCustom: false;
}

export interface CustomCreator {
  id: string;
  name: string;
  avatarUrl: string | null;
  createdAt: string;
  isCustom: true;
  /** Not in the public object. */
  r2Key: string;
}

export interface Voice {
  id: string;
  name: string;
  gender: 'male' | 'female' | null;
  isCustom: boolean;
  previewUrl: string | null;
  createdAt: string | null;
}

export interface CustomVoice extends Voice {
  /** The fields below are not in the public object. */
  r2Key: string;
  contentType: string;
  durationSeconds: number | null;
}

export interface Project {
  id: string;
  name: string;
  description: string | null;
  productName: string | null;
  productDescription: string | null;
  productUrl: string | null;
  creatorId: string | null;
  customCreatorId: string | null;
  createdAt: string;
  updatedAt: string;
  /** Soft delete; not in the public object. */
  deletedAt: string | null;
}

export interface Video {
  id: string;
  status: VideoStatus;
  title: string | null;
  script: string;
  productName: string;
  durationSeconds: number;
  aspectRatio: string;
  videoModel: string;
  audio: 'native' | 'voice';
  voiceId: string | null;
  creatorId: string | null;
  customCreatorId: string | null;
  projectId: string;
  outputUrl: string | null;
  thumbnailUrl: string | null;
  error: string | null;
  creditsCharged: number;
  creditsFinal: number | null;
  createdAt: string;
  updatedAt: string;
}

/** A stored video: the public object plus what the emulator needs. */
export interface VideoRecord extends Video {
  createdAtMs: number;
  /** Set true (before the job ends) to make it end FAILED. */
  fail: boolean;
  /** Credits held per pool, refunded on failure. */
  held: { subscription: number; purchased: number };
}

export interface UploadRecord {
  kind: 'avatar' | 'voice-sample';
  r2Key: string;
  contentType: string;
  signature: string;
  expiresAtMs: number;
  /** Present once the PUT succeeded. */
  bytes?: Buffer;
}

export interface UnrealUgcEmulator extends Emulator {
  account: Account;
  videos: Map<string, VideoRecord>;
  projects: Map<string, Project>;
  customCreators: Map<string, CustomCreator>;
  customVoices: Map<string, CustomVoice>;
  /** Presigned uploads by r2Key. */
  uploads: Map<string, UploadRecord>;
  models: readonly Model[];
  stockCreators: readonly StockCreator[];
  stockVoices: readonly Voice[];
  /** 429s sent because planConcurrency was reached. */
  concurrencyRefused: number;
}

export const API_PREFIX = '/api/v1';
export const MAX_JSON_BYTES = 1024 * 1024;
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
export const VOICE_SAMPLE_MAX_BYTES = 25 * 1024 * 1024;
export const UPLOAD_EXPIRES_SECONDS = 600;
export const CREDITS_PER_SECOND = { standard: 14, premium: 28, ultra: 56 } as const;
export const FAIL_MARKER = '[[fail]]';

const KEY_PATTERN = /^usk_live_[A-Za-z0-9_]+$/;
const ASPECT_RATIOS = ['9:16', '16:9', '1:1'] as const;
const STATUSES: readonly VideoStatus[] = ['DRAFT', 'GENERATING', 'RENDERING', 'COMPLETED', 'FAILED'];
const AVATAR_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const AVATAR_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp'];
const VOICE_TYPES = ['audio/mpeg', 'audio/wav', 'audio/webm', 'audio/ogg', 'audio/mp4', 'audio/m4a'];
const VOICE_EXTENSIONS = ['mp3', 'wav', 'webm', 'ogg', 'm4a', 'mp4'];

/** Models with the durations each accepts (internal: the document only exposes maxDurationSeconds). */
const MODELS: readonly (Model & { durations: number[] })[] = [
  { id: 'kling-2.6', name: 'Kling 2.6', description: 'Cinematic realism with native audio.', maxDurationSeconds: 10, supportsNativeAudio: true, aspectRatios: ['9:16', '16:9', '1:1'], tier: 'premium', durations: [5, 10] },
  { id: 'veo-3.1', name: 'Veo 3.1', description: 'Top-tier realism and lip sync with native audio.', maxDurationSeconds: 8, supportsNativeAudio: true, aspectRatios: ['9:16', '16:9'], tier: 'ultra', durations: [4, 6, 8] },
  { id: 'sora-2', name: 'Sora 2', description: 'Long takes with native audio.', maxDurationSeconds: 12, supportsNativeAudio: true, aspectRatios: ['9:16', '16:9'], tier: 'ultra', durations: [4, 8, 12] },
  { id: 'hailuo-02', name: 'Hailuo 02', description: 'Fast and affordable; pair with a voice.', maxDurationSeconds: 10, supportsNativeAudio: false, aspectRatios: ['9:16', '16:9', '1:1'], tier: 'standard', durations: [6, 10] },
  { id: 'seedance-1-pro', name: 'Seedance 1 Pro', description: 'Smooth motion; pair with a voice.', maxDurationSeconds: 10, supportsNativeAudio: false, aspectRatios: ['9:16', '16:9', '1:1'], tier: 'standard', durations: [5, 10] },
];
const PRESETS: Record<string, string> = { 'ugc-talking-head': 'kling-2.6', 'ugc-cinematic': 'veo-3.1', 'ugc-budget': 'hailuo-02' };

const STOCK_VOICES: readonly Voice[] = [
  ['ava-warm', 'Ava (warm, US)', 'female'],
  ['mia-bright', 'Mia (bright, US)', 'female'],
  ['olivia-calm', 'Olivia (calm, UK)', 'female'],
  ['sofia-energetic', 'Sofia (energetic, AU)', 'female'],
  ['liam-friendly', 'Liam (friendly, US)', 'male'],
  ['noah-deep', 'Noah (deep, US)', 'male'],
  ['james-crisp', 'James (crisp, UK)', 'male'],
  ['leo-casual', 'Leo (casual, CA)', 'male'],
].map(([id, name, gender]) => ({ id: id!, name: name!, gender: gender as 'male' | 'female', isCustom: false, previewUrl: null, createdAt: null }));

/** A 1x1 PNG, served as stock creator avatars. */
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** 86 stock creators ("85+"), deterministic, the first being the document's example slug. */
function stockCreators(origin: string): StockCreator[] {
  const styles = [
    ['tech-savvy', 'Tech-savvy professional'],
    ['cozy', 'Cozy lifestyle vlogger'],
    ['fitness', 'High-energy fitness coach'],
    ['skincare', 'Skincare enthusiast'],
    ['foodie', 'Curious home cook'],
    ['student', 'Budget-minded student'],
    ['parent', 'Busy parent'],
    ['luxury', 'Polished luxury reviewer'],
  ] as const;
  const categories = ['office', 'home', 'outdoor', 'cafe', 'studio', 'kitchen', 'gym', 'car'];
  const ages = [30, 24, 27, 35, 41, 22, 48, 55, 33, 29, 38];
  const names = ['Maya', 'Ethan', 'Chloe', 'Marcus', 'Priya', 'Diego', 'Hannah', 'Kenji', 'Amara', 'Lucas', 'Zoe', 'Omar'];
  const bestFor = ['tech', 'apps', 'skincare', 'beauty', 'fitness', 'food', 'home', 'fashion', 'finance', 'pets'];
  const out: StockCreator[] = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < 86; i++) {
    const [word, style] = styles[i % styles.length]!;
    const gender = i % 2 === 0 ? 'female' : 'male';
    const age = ages[Math.floor(i / 2) % ages.length]!;
    const slug = `${word}-${gender}-${age}`;
    if (seen.has(slug)) continue;
    seen.add(slug);
    out.push({
      id: `c${createHash('sha1').update(slug).digest('hex').slice(0, 24)}`,
      slug,
      name: names[i % names.length]!,
      gender,
      age,
      category: categories[i % categories.length]!,
      style,
      description: `${style}, around ${age}.`,
      avatarUrl: `${origin}/files/creators/${slug}.png`,
      previewVideoUrl: `${origin}/files/previews/${slug}.mp4`,
      bestFor: [bestFor[i % bestFor.length]!, bestFor[(i + 3) % bestFor.length]!],
      isCustom: false,
    });
  }
  return out;
}

let cuidCounter = 0;
/** A cuid-like id (the document says project and video ids are cuids); kit's newId makes UUIDs. */
function cuid(): string {
  cuidCounter = (cuidCounter + 1) % 1_679_616;
  return `c${Date.now().toString(36)}${cuidCounter.toString(36).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
}

const safeDecode = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

const iso = (ms = Date.now()) => new Date(ms).toISOString();

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const invalid = (field: string, message: string, extra: Record<string, unknown> = {}) => new ApiError(400, 'invalid_request', message, { field, ...extra });
const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
const envelope = (code: string, message: string, details: Record<string, unknown> = {}) => ({ error: { code, message, details } });

type Body = Record<string, unknown>;
interface Reply {
  status: number;
  body: unknown;
}

// ---- field validation -------------------------------------------------------------------------------------

interface StringRule {
  min?: number;
  max?: number;
  oneOf?: readonly string[];
  url?: boolean;
}

function optString(body: Body, field: string, rule: StringRule = {}): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, `${field} must be a string`);
  const length = [...value].length;
  if (rule.min !== undefined && value.trim().length < rule.min) throw invalid(field, `${field} must be at least ${rule.min} characters`, { min: rule.min });
  if (rule.max !== undefined && length > rule.max) throw invalid(field, `${field} must be at most ${rule.max} characters`, { max: rule.max });
  if (rule.oneOf && !rule.oneOf.includes(value)) throw invalid(field, `${field} must be one of: ${rule.oneOf.join(', ')}`, { allowed: rule.oneOf });
  if (rule.url) {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw invalid(field, `${field} must be an http(s) URL`);
  }
  return value;
}

function reqString(body: Body, field: string, rule: StringRule = {}): string {
  const value = optString(body, field, rule);
  if (value === undefined) throw invalid(field, `${field} is required`);
  return value;
}

function optNumber(body: Body, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, `${field} must be a number`);
  if (value <= 0) throw invalid(field, `${field} must be greater than 0`);
  return value;
}

function optBoolean(body: Body, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(field, `${field} must be a boolean`);
  return value;
}

function asObject(value: unknown): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(400, 'invalid_request', 'Request body must be a JSON object');
  return value as Body;
}

/** Reads a JSON body: 413 over MAX_JSON_BYTES, 400 invalid_json when it does not parse. Empty → undefined. */
async function readJsonBody(route: Route): Promise<unknown> {
  const raw = await readBody(route.req);
  if (raw.length > MAX_JSON_BYTES) throw new ApiError(413, 'payload_too_large', `Request body exceeds ${MAX_JSON_BYTES} bytes`, { limit: MAX_JSON_BYTES });
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_json', 'Request body is not valid JSON');
  }
}

/** `limit` and `cursor` over `all` (already in list order, including hidden items so cursors stay valid). */
function paginate<T extends { id: string }>(all: readonly T[], query: URLSearchParams, max: number, fallback: number, keep: (item: T) => boolean = () => true) {
  const rawLimit = query.get('limit');
  let limit = fallback;
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > max) throw invalid('limit', `limit must be an integer from 1 to ${max}`, { max });
    limit = Number(rawLimit);
  }
  const cursor = query.get('cursor');
  let start = 0;
  if (cursor !== null && cursor !== '') {
    const at = all.findIndex((item) => item.id === cursor);
    if (at < 0) throw invalid('cursor', 'cursor does not match an item');
    start = at + 1;
  }
  const rest = all.slice(start).filter(keep);
  const data = rest.slice(0, limit);
  const hasMore = rest.length > limit;
  return { data, has_more: hasMore, next_cursor: hasMore ? (data[data.length - 1]?.id ?? null) : null };
}

const list = (data: unknown[], hasMore = false, nextCursor: string | null = null) => ({ object: 'list', data, has_more: hasMore, next_cursor: nextCursor });

// ---- public shapes ----------------------------------------------------------------------------------------

const publicModel = ({ durations: _durations, ...model }: Model & { durations: number[] }): Model => model;
const publicCustomCreator = ({ r2Key: _r2Key, ...creator }: CustomCreator) => creator;
const publicVoice = (voice: Voice): Voice => ({ id: voice.id, name: voice.name, gender: voice.gender, isCustom: voice.isCustom, previewUrl: voice.previewUrl, createdAt: voice.createdAt });
const publicProject = ({ deletedAt: _deletedAt, ...project }: Project) => project;
const publicVideo = ({ createdAtMs: _at, fail: _fail, held: _held, ...video }: VideoRecord): Video => video;

// ---- the emulator -----------------------------------------------------------------------------------------

export async function startUnrealUgcEmulator(options: UnrealUgcOptions = {}): Promise<UnrealUgcEmulator> {
  const apiKey = options.apiKey ?? `usk_live_${randomBytes(24).toString('hex')}`;
  if (!KEY_PATTERN.test(apiKey)) throw new Error('UnrealUGC API keys start with usk_live_');
  const jobDurationMs = options.jobDurationMs ?? 1500;
  const rate = options.rateLimit ?? { limit: 600, windowMs: 60_000 };
  const generationRate = options.generationRateLimit ?? rate;
  const limiter = new FixedWindowLimiter(rate.limit, rate.windowMs);
  const generationLimiter = new FixedWindowLimiter(generationRate.limit, generationRate.windowMs);
  const uploadSecret = randomBytes(16);
  let origin = '';
  let stock: StockCreator[] = [];

  const emulator: UnrealUgcEmulator = {
    url: '',
    origin: '',
    faults: newFaults(),
    stats: newStats(),
    apiKey,
    close: async () => undefined,
    account: {
      id: cuid(),
      email: 'you@example.com',
      name: 'Emulator Account',
      plan: 'PRO',
      subscriptionStatus: options.subscriptionStatus ?? 'ACTIVE',
      subscriptionCredits: options.credits ?? 100_000,
      purchasedCredits: 0,
    },
    videos: new Map(),
    projects: new Map(),
    customCreators: new Map(),
    customVoices: new Map(),
    uploads: new Map(),
    models: MODELS.map(publicModel),
    stockCreators: stock,
    stockVoices: STOCK_VOICES,
    concurrencyRefused: 0,
  };
  const { account, videos, projects, customCreators, customVoices, uploads, faults, stats } = emulator;
  const balance = () => account.subscriptionCredits + account.purchasedCredits;

  const errorBody = (status: number) =>
    status === 429 ? envelope('rate_limited', 'Too many requests, retry later') : envelope('server_error', 'The service is temporarily unavailable, retry with backoff');

  /** Moves every unfinished video to where its clock says it is. */
  function settle(now = Date.now()): void {
    for (const video of videos.values()) {
      if (video.status === 'COMPLETED' || video.status === 'FAILED') continue;
      const { phase, progress } = jobProgress(now - video.createdAtMs, jobDurationMs);
      if (phase !== 'queued' && video.title === null) {
        video.title = `${video.productName}: honest first impressions`;
        video.updatedAt = iso(now);
      }
      const next: VideoStatus = phase === 'done' ? (video.fail ? 'FAILED' : 'COMPLETED') : phase === 'processing' && progress >= 50 ? 'RENDERING' : 'GENERATING';
      if (next === video.status) continue;
      video.status = next;
      video.updatedAt = iso(now);
      if (next === 'COMPLETED') {
        video.outputUrl = `${origin}/files/${video.id}.mp4`;
        video.creditsFinal = video.creditsCharged;
      } else if (next === 'FAILED') {
        video.error = 'Generation failed: the video model returned an error';
        account.subscriptionCredits += video.held.subscription;
        account.purchasedCredits += video.held.purchased;
        video.held = { subscription: 0, purchased: 0 };
      }
    }
  }

  const activeVideos = () => [...videos.values()].filter((video) => video.status === 'GENERATING' || video.status === 'RENDERING');

  const findStockCreator = (idOrSlug: string) => stock.find((creator) => creator.id === idOrSlug || creator.slug === idOrSlug);
  const findVoice = (id: string): Voice | undefined => STOCK_VOICES.find((voice) => voice.id === id) ?? customVoices.get(id);
  const liveProject = (id: string) => {
    const project = projects.get(id);
    return project && project.deletedAt === null ? project : undefined;
  };

  /** Validates a create/estimate body; `assets` false for estimate (creator, voice, project, image are ignored). */
  function videoInput(body: Body, assets: boolean) {
    const script = reqString(body, 'script', { max: 2400 });
    if ([...script].length < 20) throw invalid('script', 'script must be at least 20 characters', { min: 20 });
    const productName = reqString(body, 'productName', { min: 1, max: 200 });
    const videoModel = optString(body, 'videoModel');
    const presetSlug = optString(body, 'presetSlug');
    if (videoModel !== undefined && presetSlug !== undefined) throw invalid('presetSlug', 'presetSlug and videoModel are mutually exclusive');
    let modelId = videoModel ?? 'kling-2.6';
    if (presetSlug !== undefined) {
      const preset = PRESETS[presetSlug];
      if (!preset) throw invalid('presetSlug', `Unknown preset: ${presetSlug}`);
      modelId = preset;
    }
    const model = MODELS.find((candidate) => candidate.id === modelId);
    if (!model) throw invalid('videoModel', `Unknown video model: ${modelId}`, { allowed: MODELS.map((candidate) => candidate.id) });
    const nativeAsked = optBoolean(body, 'useNativeAudio');
    if (nativeAsked === true && !model.supportsNativeAudio) throw invalid('useNativeAudio', `${model.id} does not support native audio`);
    const useNativeAudio = nativeAsked ?? model.supportsNativeAudio;
    const requested = optNumber(body, 'durationSeconds');
    if (requested !== undefined && requested > model.maxDurationSeconds) throw invalid('durationSeconds', `${model.id} supports at most ${model.maxDurationSeconds} seconds`, { max: model.maxDurationSeconds });
    const wanted = requested ?? Math.min(model.maxDurationSeconds, Math.ceil([...script].length / 15));
    const durationSeconds = model.durations.find((duration) => duration >= wanted) ?? model.maxDurationSeconds;
    const aspectRatio = optString(body, 'aspectRatio', { oneOf: ASPECT_RATIOS }) ?? '9:16';
    if (!model.aspectRatios.includes(aspectRatio)) throw invalid('aspectRatio', `${model.id} does not support ${aspectRatio}`, { allowed: model.aspectRatios });
    const totalCredits = CREDITS_PER_SECOND[model.tier] * durationSeconds;
    const input = { script, productName, model, useNativeAudio, durationSeconds, aspectRatio, totalCredits, voiceId: null as string | null, creatorId: null as string | null, customCreatorId: null as string | null, projectId: null as string | null };
    if (!assets) return input;

    const creatorRef = optString(body, 'creatorId');
    const customRef = optString(body, 'customCreatorId');
    if (creatorRef !== undefined && customRef !== undefined) throw invalid('customCreatorId', 'creatorId and customCreatorId are mutually exclusive');
    if (creatorRef === undefined && customRef === undefined) throw invalid('creatorId', 'One of creatorId or customCreatorId is required');
    if (creatorRef !== undefined) {
      const creator = findStockCreator(creatorRef);
      if (!creator) throw invalid('creatorId', `Creator not found: ${creatorRef}`);
      input.creatorId = creator.id;
    }
    if (customRef !== undefined) {
      if (!customCreators.has(customRef)) throw invalid('customCreatorId', `Custom creator not found: ${customRef}`);
      input.customCreatorId = customRef;
    }
    const voiceId = optString(body, 'voiceId');
    if (voiceId !== undefined && !findVoice(voiceId)) throw invalid('voiceId', `Voice not found: ${voiceId}`);
    if (!useNativeAudio && voiceId === undefined) throw invalid('voiceId', 'voiceId is required when useNativeAudio is false');
    input.voiceId = useNativeAudio ? null : (voiceId ?? null);
    const projectId = optString(body, 'projectId');
    if (projectId !== undefined && !liveProject(projectId)) throw invalid('projectId', `Project not found: ${projectId}`);
    input.projectId = projectId ?? null;
    optString(body, 'productImageUrl', { url: true });
    return input;
  }

  function newProject(fields: Partial<Project> & { name: string }): Project {
    const now = iso();
    const project: Project = {
      id: cuid(),
      name: fields.name,
      description: fields.description ?? null,
      productName: fields.productName ?? null,
      productDescription: fields.productDescription ?? null,
      productUrl: fields.productUrl ?? null,
      creatorId: fields.creatorId ?? null,
      customCreatorId: fields.customCreatorId ?? null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    projects.set(project.id, project);
    return project;
  }

  /** Optional project fields shared by POST and PATCH; returns only the fields present (null clears). */
  function projectFields(body: Body): Partial<Project> {
    const out: Partial<Project> = {};
    for (const field of ['description', 'productName', 'productDescription'] as const) if (field in body) out[field] = optString(body, field) ?? null;
    if ('productUrl' in body) out.productUrl = optString(body, 'productUrl', { url: true }) ?? null;
    if ('creatorId' in body) {
      const ref = optString(body, 'creatorId');
      const creator = ref === undefined ? undefined : findStockCreator(ref);
      if (ref !== undefined && !creator) throw invalid('creatorId', `Creator not found: ${ref}`);
      out.creatorId = creator?.id ?? null;
    }
    if ('customCreatorId' in body) {
      const ref = optString(body, 'customCreatorId');
      if (ref !== undefined && !customCreators.has(ref)) throw invalid('customCreatorId', `Custom creator not found: ${ref}`);
      out.customCreatorId = ref ?? null;
    }
    return out;
  }

  function presign(kind: UploadRecord['kind'], body: Body): Reply {
    const avatar = kind === 'avatar';
    const contentType = reqString(body, 'contentType', { oneOf: avatar ? AVATAR_TYPES : VOICE_TYPES });
    const extension = reqString(body, 'extension', { oneOf: avatar ? AVATAR_EXTENSIONS : VOICE_EXTENSIONS });
    const r2Key = `${avatar ? 'custom-creators' : 'custom-voices'}/${account.id}/${Date.now()}${randomBytes(3).toString('hex')}.${extension}`;
    const expiresAtMs = Date.now() + UPLOAD_EXPIRES_SECONDS * 1000;
    const signature = createHash('sha256').update(uploadSecret).update(`${r2Key}\n${expiresAtMs}`).digest('hex');
    uploads.set(r2Key, { kind, r2Key, contentType, signature, expiresAtMs });
    const uploadUrl = `${origin}/r2/${r2Key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=${UPLOAD_EXPIRES_SECONDS}&X-Amz-Date=${Math.floor(expiresAtMs / 1000) - UPLOAD_EXPIRES_SECONDS}&X-Amz-Signature=${signature}`;
    return { status: 200, body: { uploadUrl, r2Key, method: 'PUT', headers: { 'Content-Type': contentType }, expiresInSeconds: UPLOAD_EXPIRES_SECONDS } };
  }

  function uploaded(body: Body, kind: UploadRecord['kind']): UploadRecord {
    const r2Key = reqString(body, 'r2Key');
    const upload = uploads.get(r2Key);
    if (!upload || upload.kind !== kind) throw invalid('r2Key', `r2Key was not issued by POST /uploads/${kind}`);
    if (!upload.bytes) throw invalid('r2Key', 'Nothing was uploaded to this r2Key yet');
    return upload;
  }

  function createVideo(body: Body): Reply {
    const input = videoInput(body, true);
    if (input.totalCredits > balance()) throw new ApiError(402, 'insufficient_credits', `${input.totalCredits} credits required`, { required: input.totalCredits });
    const active = activeVideos();
    if (options.planConcurrency !== undefined && active.length >= options.planConcurrency) {
      emulator.concurrencyRefused++;
      const oldest = Math.min(...active.map((video) => video.createdAtMs));
      const retryAfter = Math.max(1, Math.ceil((oldest + jobDurationMs - Date.now()) / 1000));
      throw new ApiError(429, 'concurrency_limit_exceeded', `Your plan allows ${options.planConcurrency} videos generating at once`, { limit: options.planConcurrency, active: active.length }, { 'retry-after': String(retryAfter) });
    }
    const fromSubscription = Math.min(account.subscriptionCredits, input.totalCredits);
    account.subscriptionCredits -= fromSubscription;
    account.purchasedCredits -= input.totalCredits - fromSubscription;
    const projectId = input.projectId ?? newProject({ name: input.productName, productName: input.productName }).id;
    const now = Date.now();
    const video: VideoRecord = {
      id: cuid(),
      status: 'GENERATING',
      title: null,
      script: input.script,
      productName: input.productName,
      durationSeconds: input.durationSeconds,
      aspectRatio: input.aspectRatio,
      videoModel: input.model.id,
      audio: input.useNativeAudio ? 'native' : 'voice',
      voiceId: input.voiceId,
      creatorId: input.creatorId,
      customCreatorId: input.customCreatorId,
      projectId,
      outputUrl: null,
      thumbnailUrl: null,
      error: null,
      creditsCharged: input.totalCredits,
      creditsFinal: null,
      createdAt: iso(now),
      updatedAt: iso(now),
      createdAtMs: now,
      fail: input.script.includes(FAIL_MARKER),
      held: { subscription: fromSubscription, purchased: input.totalCredits - fromSubscription },
    };
    videos.set(video.id, video);
    stats.jobsCreated++;
    stats.maxActiveJobs = Math.max(stats.maxActiveJobs, active.length + 1);
    return { status: 201, body: publicVideo(video) };
  }

  /** The API routes under /api/v1; `sub` is the path after the prefix without a trailing slash. */
  async function dispatch(route: Route, sub: string): Promise<Reply | 'handled'> {
    const { method, query } = route;
    const parts = sub.split('/').slice(1).map(safeDecode);
    const [resource, id] = parts;
    const post = async (run: (body: Body) => Reply, job = false): Promise<Reply | 'handled'> => {
      const reply = run(asObject(await readJsonBody(route)));
      if (job && dropIfAsked(route, faults)) return 'handled';
      return reply;
    };

    if (parts.length === 1 && method === 'GET' && resource === 'me') {
      const { id: accountId, email, name, plan, subscriptionStatus } = account;
      return { status: 200, body: { id: accountId, email, name, plan, subscriptionStatus, credits: balance() } };
    }
    if (parts.length === 1 && method === 'GET' && resource === 'credits') {
      return { status: 200, body: { credits: balance(), subscriptionCredits: account.subscriptionCredits, purchasedCredits: account.purchasedCredits } };
    }
    if (parts.length === 1 && method === 'GET' && resource === 'models') return { status: 200, body: list([...emulator.models]) };

    if (resource === 'creators') {
      if (parts.length === 1 && method === 'GET') {
        const include = query.get('include');
        if (include !== null && !['stock', 'custom', 'both'].includes(include)) throw invalid('include', 'include must be stock or custom', { allowed: ['stock', 'custom'] });
        const custom = [...customCreators.values()].reverse().map(publicCustomCreator);
        const all = [...(include === 'custom' ? [] : stock), ...(include === 'stock' ? [] : custom)];
        const page = paginate<{ id: string }>(all, query, 250, 250);
        return { status: 200, body: list(page.data, page.has_more, page.next_cursor) };
      }
      if (parts.length === 1 && method === 'POST') {
        return post((body) => {
          const name = reqString(body, 'name', { min: 2, max: 80 });
          const upload = uploaded(body, 'avatar');
          const creator: CustomCreator = { id: cuid(), name, avatarUrl: `${origin}/r2/${upload.r2Key}`, createdAt: iso(), isCustom: true, r2Key: upload.r2Key };
          customCreators.set(creator.id, creator);
          return { status: 201, body: publicCustomCreator(creator) };
        });
      }
      if (parts.length === 2 && id !== undefined) {
        const custom = customCreators.get(id);
        const stockCreator = findStockCreator(id);
        if (method === 'GET') {
          if (custom) return { status: 200, body: publicCustomCreator(custom) };
          if (stockCreator) return { status: 200, body: stockCreator };
          throw notFound('Creator');
        }
        if (method === 'DELETE') {
          if (stockCreator) throw new ApiError(400, 'stock_resource_not_deletable', 'Stock creators cannot be deleted', { id: stockCreator.id });
          if (!custom) throw notFound('Creator');
          customCreators.delete(id);
          return { status: 200, body: { id, deleted: true } };
        }
      }
    }

    if (resource === 'voices') {
      if (parts.length === 1 && method === 'GET') {
        const all = [...STOCK_VOICES, ...[...customVoices.values()].reverse()].map(publicVoice);
        const page = paginate(all, query, 100, 100);
        return { status: 200, body: list(page.data, page.has_more, page.next_cursor) };
      }
      if (parts.length === 1 && method === 'POST') {
        return post((body) => {
          const name = reqString(body, 'name', { min: 2, max: 200 });
          const upload = uploaded(body, 'voice-sample');
          const contentType = reqString(body, 'contentType', { oneOf: VOICE_TYPES });
          const durationSeconds = optNumber(body, 'durationSeconds') ?? null;
          const gender = (optString(body, 'gender', { oneOf: ['male', 'female'] }) ?? null) as Voice['gender'];
          const voice: CustomVoice = { id: cuid(), name, gender, isCustom: true, previewUrl: `${origin}/r2/${upload.r2Key}`, createdAt: iso(), r2Key: upload.r2Key, contentType, durationSeconds };
          customVoices.set(voice.id, voice);
          return { status: 201, body: publicVoice(voice) };
        });
      }
      if (parts.length === 2 && id !== undefined) {
        const custom = customVoices.get(id);
        const stockVoice = STOCK_VOICES.find((voice) => voice.id === id);
        if (method === 'GET') {
          const voice = custom ?? stockVoice;
          if (!voice) throw notFound('Voice');
          return { status: 200, body: publicVoice(voice) };
        }
        if (method === 'DELETE') {
          if (stockVoice) throw new ApiError(400, 'stock_resource_not_deletable', 'Stock voices cannot be deleted', { id });
          if (!custom) throw notFound('Voice');
          customVoices.delete(id);
          return { status: 200, body: { id, deleted: true } };
        }
      }
    }

    if (resource === 'projects') {
      if (parts.length === 1 && method === 'GET') {
        const page = paginate([...projects.values()].reverse(), query, 100, 20, (project) => project.deletedAt === null);
        return { status: 200, body: list(page.data.map(publicProject), page.has_more, page.next_cursor) };
      }
      if (parts.length === 1 && method === 'POST') {
        return post((body) => {
          const name = reqString(body, 'name', { min: 1, max: 200 });
          return { status: 201, body: publicProject(newProject({ ...projectFields(body), name })) };
        });
      }
      if (parts.length === 2 && id !== undefined) {
        const project = liveProject(id);
        if (!project) throw notFound('Project');
        if (method === 'GET') return { status: 200, body: publicProject(project) };
        if (method === 'PATCH') {
          const body = asObject(await readJsonBody(route));
          if ('name' in body) project.name = reqString(body, 'name', { min: 1, max: 200 });
          Object.assign(project, projectFields(body), { updatedAt: iso() });
          return { status: 200, body: publicProject(project) };
        }
        if (method === 'DELETE') {
          project.deletedAt = iso();
          return { status: 200, body: { id, deleted: true } };
        }
      }
    }

    if (resource === 'videos') {
      if (parts.length === 1 && method === 'GET') {
        const status = query.get('status');
        if (status !== null && !STATUSES.includes(status as VideoStatus)) throw invalid('status', `status must be one of: ${STATUSES.join(', ')}`, { allowed: STATUSES });
        const projectId = query.get('projectId');
        const keep = (video: VideoRecord) => (status === null || video.status === status) && (projectId === null || video.projectId === projectId);
        const page = paginate([...videos.values()].reverse(), query, 100, 20, keep);
        return { status: 200, body: list(page.data.map(publicVideo), page.has_more, page.next_cursor) };
      }
      if (parts.length === 1 && method === 'POST') return post(createVideo, true);
      if (parts.length === 2 && id === 'estimate' && method === 'POST') {
        return post((body) => {
          const { totalCredits } = videoInput(body, false);
          return { status: 200, body: { totalCredits, credits: balance(), canAfford: totalCredits <= balance() } };
        });
      }
      if (parts.length === 2 && id !== undefined && method === 'GET') {
        const video = videos.get(id);
        if (!video) throw notFound('Video');
        return { status: 200, body: publicVideo(video) };
      }
    }

    if (resource === 'uploads' && parts.length === 2 && method === 'POST' && (id === 'avatar' || id === 'voice-sample')) {
      const kind = id;
      return post((body) => presign(kind, body));
    }
    throw new ApiError(404, 'not_found', `No route for ${method} ${API_PREFIX}${sub}`);
  }

  async function handleApi(route: Route): Promise<void> {
    const { req, res, method } = route;
    const sub = route.path.slice(API_PREFIX.length).replace(/\/+$/, '');
    const token = bearer(req);
    const authed = token === apiKey;
    const bucket = method === 'POST' && sub === '/videos' ? generationLimiter : limiter;
    const window = bucket.take(authed ? apiKey : `anon:${req.socket.remoteAddress ?? ''}`);
    res.setHeader('X-RateLimit-Limit', String(window.limit));
    res.setHeader('X-RateLimit-Remaining', String(window.remaining));
    res.setHeader('X-RateLimit-Reset', String(window.resetAt));
    if (await applyFaults(route, emulator, errorBody)) return;
    try {
      if (!window.allowed) {
        stats.rateLimited++;
        throw new ApiError(429, 'rate_limited', `Rate limit of ${window.limit} requests exceeded`, { limit: window.limit }, { 'retry-after': String(window.retryAfterSeconds) });
      }
      if (token === undefined) throw new ApiError(401, 'unauthorized', 'Missing API key: send Authorization: Bearer usk_live_...');
      if (!authed) throw new ApiError(401, 'unauthorized', 'Invalid API key');
      if (account.subscriptionStatus !== 'ACTIVE' && balance() <= 0) throw new ApiError(402, 'subscription_required', 'An active subscription or a non-zero credit balance is required');
      settle();
      const reply = await dispatch(route, sub);
      if (reply !== 'handled') sendJson(res, reply.status, reply.body);
    } catch (error) {
      if (res.headersSent) throw error;
      if (error instanceof ApiError) sendJson(res, error.status, envelope(error.code, error.message, error.details), error.headers);
      else sendJson(res, 500, envelope('server_error', String(error)));
    }
  }

  /** The presigned PUT (and a public GET of what was uploaded), standing in for R2. */
  async function handleR2(route: Route): Promise<void> {
    const { req, res, method, query } = route;
    const r2Key = safeDecode(route.path.slice('/r2/'.length));
    const upload = uploads.get(r2Key);
    if (method === 'GET' || method === 'HEAD') {
      if (!upload?.bytes) return sendJson(res, 404, envelope('not_found', 'Object not found'));
      res.writeHead(200, { 'content-type': upload.contentType, 'content-length': upload.bytes.length });
      res.end(upload.bytes);
      return;
    }
    if (method !== 'PUT') return sendJson(res, 404, envelope('not_found', `No route for ${method} ${route.path}`));
    const body = await readBody(req);
    if (!upload || query.get('X-Amz-Signature') !== upload.signature) return sendJson(res, 403, envelope('signature_does_not_match', 'The request signature does not match'));
    if (Date.now() > upload.expiresAtMs) return sendJson(res, 403, envelope('request_expired', 'The presigned URL has expired'));
    if (req.headers['content-type'] !== upload.contentType) {
      return sendJson(res, 403, envelope('signature_does_not_match', `Content-Type must be ${upload.contentType}, as signed`, { expected: upload.contentType }));
    }
    const limit = upload.kind === 'avatar' ? AVATAR_MAX_BYTES : VOICE_SAMPLE_MAX_BYTES;
    if (body.length > limit) return sendJson(res, 413, envelope('payload_too_large', `${upload.kind === 'avatar' ? 'Avatars' : 'Voice samples'} are limited to ${limit / 1024 / 1024} MB`, { limit }));
    if (body.length === 0) return sendJson(res, 400, envelope('invalid_request', 'Empty upload'));
    upload.bytes = body;
    res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"`, 'content-length': 0 });
    res.end();
  }

  async function handleFiles(route: Route, res: ServerResponse): Promise<void> {
    const name = route.path.slice('/files/'.length);
    if (route.method !== 'GET' && route.method !== 'HEAD') return sendJson(res, 404, envelope('not_found', 'Not found'));
    const preview = /^previews\/(.+)\.mp4$/.exec(name);
    if (preview && findStockCreator(preview[1] ?? '')) return sendMp4(res);
    const avatar = /^creators\/(.+)\.png$/.exec(name);
    if (avatar && findStockCreator(avatar[1] ?? '')) {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': TINY_PNG.length });
      res.end(TINY_PNG);
      return;
    }
    const output = /^([^/]+)\.mp4$/.exec(name);
    settle();
    const video = output ? videos.get(output[1] ?? '') : undefined;
    if (video?.status === 'COMPLETED') return sendMp4(res);
    sendJson(res, 404, envelope('not_found', 'File not found'));
  }

  const server = await startHttpServer(async (route) => {
    countRequest(route, stats);
    if (route.path === API_PREFIX || route.path.startsWith(`${API_PREFIX}/`)) return handleApi(route);
    if (await applyFaults(route, emulator, errorBody)) return;
    if (route.path.startsWith('/r2/')) return handleR2(route);
    if (route.path.startsWith('/files/')) return handleFiles(route, route.res);
    sendJson(route.res, 404, envelope('not_found', `No route for ${route.method} ${route.path}`));
  });
  origin = server.origin;
  stock = stockCreators(origin);
  emulator.stockCreators = stock;
  emulator.origin = origin;
  emulator.url = `${origin}${API_PREFIX}`;
  emulator.close = server.close;
  return emulator;
}
