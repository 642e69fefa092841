/**
 * A local emulator of the Apex Studio API, from its document "AI Video Generation API — REST API for
 * Developers" (https://useapexstudio.com, paths under /api).
 *
 * The document's base URL is the bare origin (https://useapexstudio.com) with every path under
 * /api, so this emulator's `url` is its origin too: clients append `/api/...` themselves.
 *
 * Success bodies use the `{ "data": … }` envelope (except voice-clone, documented without it);
 * errors use `{ "error": string, "code": string }` with the document's codes.
 *
 * The document names no idempotency mechanism, so none is emulated: an `Idempotency-Key` header is
 * ignored like any other header it does not document, and every accepted POST makes (and charges) a
 * new job. A job's `metadata` (the webhook payload's fields for its type) is listed from its creation on.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  applyFaults,
  bearer,
  countRequest,
  dropIfAsked,
  FixedWindowLimiter,
  jobProgress,
  newFaults,
  newId,
  newStats,
  readJson,
  sendJson,
  sendMp4,
  startHttpServer,
  type Emulator,
  type Route,
} from './kit.js';

export type ApexJobType = 'image' | 'video' | 'voice' | 'avatar' | 'clip' | 'b-roll' | 'text2video' | 'commercial' | 'translate' | 'instant-ad' | 'photoshoot';
export type ApexStatus = 'queued' | 'processing' | 'completed' | 'failed';

type Ext = 'mp4' | 'png' | 'wav';
const CONTENT_TYPE: Record<Ext, string> = { mp4: 'video/mp4', png: 'image/png', wav: 'audio/wav' };

export interface ApexJob {
  jobId: string;
  type: ApexJobType;
  /** The request body as sent. */
  request: Record<string, unknown>;
  /** Credits deducted at creation. */
  cost: number;
  createdAt: number;
  /** True when the request contained `[[fail]]`: the job fails when its time is up. */
  fail: boolean;
  /** Output file names under /files/, one per output (several for clip, instant-ad, photoshoot). */
  files: string[];
  outputType: string;
  metadata: Record<string, unknown>;
  /** Set once the job has finished (completed or failed) and its refund/webhook is done. */
  finishedAt?: number;
}

export interface WebhookDelivery {
  url: string;
  payload: unknown;
  /** 1 for the first try, up to 4 (3 retries). */
  attempt: number;
  /** The receiver's HTTP status, or undefined when the request failed. */
  status?: number;
}

export interface ApexEmulatorOptions {
  apiKey?: string;
  /** How long a job takes from creation to completed/failed (default 1500 ms). */
  jobDurationMs?: number;
  /** Overrides the documented numbers (5/10 s for generation, 20/10 s for the rest) for every class. */
  rateLimit?: { limit: number; windowMs: number };
  /** Starting credit balance (default 100000). */
  credits?: number;
  /**
   * Test-only: lets PATCH /api/settings accept http(s)://127.0.0.1 and localhost webhook URLs.
   * The document requires a public HTTPS URL and blocks private addresses (SSRF protection);
   * without this option the emulator does the same.
   */
  allowLocalWebhooks?: boolean;
  /** Delays before the 3 webhook retries (documented: 10 s, 60 s, 300 s). */
  webhookRetryDelaysMs?: number[];
  /** How far the server's clock is ahead of the test's (negative: behind): in `createdAt` times and the `Date` header. */
  clockOffsetMs?: number;
}

export interface ApexEmulator extends Emulator {
  jobs: Map<string, ApexJob>;
  /** Mutable account state: tests may set `credits` directly (e.g. to 0 for a 402). */
  account: { credits: number; plan: 'enterprise'; webhookUrl: string | null };
  /** Valid API keys: the initial one plus those made with POST /api/keys. */
  apiKeys: Map<string, { id: string; name: string; createdAt: string }>;
  webhookDeliveries: WebhookDelivery[];
}

// ---------------------------------------------------------------------------------------------
// Request validation: one small rule per documented field.

interface Rule {
  type: 'string' | 'number' | 'boolean' | 'string[]';
  required?: boolean;
  /** Length for strings, value for numbers. */
  min?: number;
  max?: number;
  oneOf?: readonly (string | number)[];
  /** Strings (or each array item) must be a URL: 'https' only, or any http(s). */
  url?: 'https' | 'any';
  int?: boolean;
}
type Shape = Record<string, Rule>;

const str = (rule: Omit<Rule, 'type'> = {}): Rule => ({ type: 'string', ...rule });
const num = (rule: Omit<Rule, 'type'> = {}): Rule => ({ type: 'number', ...rule });
const bool = (): Rule => ({ type: 'boolean' });
const required = (rule: Rule): Rule => ({ ...rule, required: true });

function isUrl(value: string, kind: 'https' | 'any'): boolean {
  try {
    const url = new URL(value);
    return kind === 'https' ? url.protocol === 'https:' : url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function checkField(name: string, value: unknown, rule: Rule): string | undefined {
  if (value === undefined) return rule.required ? `${name} is required` : undefined;
  if (rule.type === 'string[]') {
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) return `${name} must be an array of strings`;
    if (rule.url && value.some((item) => !isUrl(item as string, rule.url ?? 'any'))) return `${name} must contain only URLs`;
    return undefined;
  }
  if (typeof value !== rule.type || (typeof value === 'number' && !Number.isFinite(value))) return `${name} must be a ${rule.type}`;
  if (rule.oneOf && !rule.oneOf.includes(value as string | number)) return `${name} must be one of: ${rule.oneOf.join(' | ')}`;
  if (typeof value === 'string') {
    const min = rule.min ?? (rule.required ? 1 : 0);
    if (value.length < min || (rule.max !== undefined && value.length > rule.max)) {
      return rule.max === undefined ? `${name} must not be empty` : `${name} must be ${min}-${rule.max} characters`;
    }
    if (rule.url && !isUrl(value, rule.url)) return rule.url === 'https' ? `${name} must be an HTTPS URL` : `${name} must be a valid URL`;
  }
  if (typeof value === 'number') {
    if (rule.int && !Number.isInteger(value)) return `${name} must be an integer`;
    if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
      return rule.max === undefined ? `${name} must be at least ${rule.min}` : `${name} must be between ${rule.min ?? 0} and ${rule.max}`;
    }
  }
  return undefined;
}

function validate(body: Record<string, unknown>, shape: Shape): string | undefined {
  for (const [name, rule] of Object.entries(shape)) {
    const problem = checkField(name, body[name], rule);
    if (problem) return problem;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The documented generation kinds.

const VIDEO_MODELS = ['wan-2.6', 'kling-2.6-pro', 'kling-3.0-pro', 'veo-3.1'] as const;
const TTS_MODELS = ['kokoro', 'elevenlabs-v3', 'fish-audio-s1'] as const;
/** The sample MP4 and WAV are 1 s long; metadata reports the real length of what is served. */
const SAMPLE_SECONDS = 1;

type Body = Record<string, unknown>;

interface Kind {
  type: ApexJobType;
  cost: (body: Body) => number;
  shape: Shape;
  /** Cross-field checks the field rules cannot express. */
  check?: (body: Body) => string | undefined;
  message: string;
  outputs: (body: Body) => { ext: Ext; count: number };
  metadata: (body: Body, count: number) => Record<string, unknown>;
  /** Extra fields in the creation response's data. */
  extra?: Record<string, unknown>;
}

const INSTANT_AD_COST: Record<string, number> = { image: 500, video: 1000, both: 1250 };
const flat = (credits: number) => () => credits;
const one = (ext: Ext) => () => ({ ext, count: 1 });
const videoMeta = (defaultModel: string, defaultResolution: string) => (body: Body) => ({
  model: body.model ?? defaultModel,
  durationSeconds: SAMPLE_SECONDS,
  resolution: body.resolution ?? defaultResolution,
});

const KINDS: Record<string, Kind> = {
  image: {
    type: 'image',
    cost: flat(10),
    shape: {
      prompt: required(str({ max: 2000 })),
      width: num({ min: 256, max: 2048, int: true }),
      height: num({ min: 256, max: 2048, int: true }),
      steps: num({ min: 1, max: 50, int: true }),
      seed: num(),
      style: str({ oneOf: ['photorealistic', 'illustration', '3d', 'flat'] }),
      model: str({ oneOf: ['grok-imagine', 'flux-2-dev', 'flux-2-pro', 'ideogram-v3', 'flux-kontext-max'] }),
      negativePrompt: str(),
    },
    message: 'Image generation job queued',
    outputs: one('png'),
    metadata: (body) => ({ model: body.model ?? 'flux-2-dev', width: body.width ?? 1024, height: body.height ?? 1024 }),
  },
  video: {
    type: 'video',
    cost: flat(250),
    shape: {
      script: required(str({ max: 5000 })),
      avatarImage: str({ url: 'https' }),
      voiceId: str(),
      duration: num({ min: 3, max: 60 }),
      resolution: str({ oneOf: ['720p', '1080p'] }),
      style: str({ oneOf: ['professional', 'casual', 'energetic'] }),
      model: str({ oneOf: VIDEO_MODELS }),
    },
    message: 'Video generation job queued',
    outputs: one('mp4'),
    metadata: videoMeta('wan-2.6', '720p'),
  },
  voice: {
    type: 'voice',
    cost: flat(80),
    shape: {
      text: required(str({ max: 10000 })),
      voiceId: str(),
      speed: num({ min: 0.5, max: 2 }),
      language: str(),
      model: str({ oneOf: TTS_MODELS }),
    },
    message: 'Voice generation job queued',
    outputs: one('wav'),
    metadata: (body) => ({ model: body.model ?? 'kokoro', durationSeconds: SAMPLE_SECONDS, language: body.language ?? 'en' }),
    extra: { estimatedMinutes: 1 },
  },
  avatar: {
    type: 'avatar',
    cost: flat(750),
    shape: {
      image: required(str({ url: 'https' })),
      resolution: required(str({ oneOf: ['480p', '720p', '1080p'] })),
      model: required(str({ oneOf: ['veed-fabric', 'creatify-aurora', 'kling-avatar-v2', 'omnihuman-1.5'] })),
      audio: str({ url: 'any' }),
      text: str(),
      voiceId: str(),
    },
    // "script or audio": `text` is "Text to speak (if no audio)", so one of the two is needed.
    check: (body) => (body.audio === undefined && (body.text === undefined || body.text === '') ? 'either audio or text is required' : undefined),
    message: 'Avatar video generation job queued',
    outputs: one('mp4'),
    metadata: videoMeta('veed-fabric', '720p'),
  },
  clip: {
    type: 'clip',
    cost: flat(30),
    shape: {
      sourceVideoUrl: required(str({ url: 'https' })),
      maxClips: num({ min: 1, max: 20, int: true }),
      minDuration: num({ min: 1 }),
      maxDuration: num({ min: 1 }),
      addCaptions: bool(),
      aspectRatio: str({ oneOf: ['9:16', '1:1', '16:9'] }),
      viralScoreThreshold: num({ min: 1, max: 10 }),
    },
    check: (body) =>
      typeof body.minDuration === 'number' && typeof body.maxDuration === 'number' && body.minDuration > body.maxDuration
        ? 'minDuration must not exceed maxDuration'
        : undefined,
    message: 'Auto-clip job queued',
    // Our choice: 3 clips when maxClips is absent.
    outputs: (body) => ({ ext: 'mp4', count: typeof body.maxClips === 'number' ? body.maxClips : 3 }),
    metadata: (_body, count) => ({ clipCount: count, viralScores: Array.from({ length: count }, (_, i) => 9 - (i % 5)) }),
  },
  'b-roll': {
    type: 'b-roll',
    cost: flat(150),
    shape: {
      prompt: required(str()),
      duration: num({ min: 3, max: 6 }),
      resolution: str({ oneOf: ['480p', '720p'] }),
      model: str({ oneOf: ['wan-2.6', 'kling-2.6-pro'] }),
    },
    message: 'B-roll generation job queued',
    outputs: one('mp4'),
    metadata: videoMeta('wan-2.6', '720p'),
  },
  text2video: {
    type: 'text2video',
    cost: flat(250),
    shape: {
      script: required(str()),
      duration: num({ min: 1 }),
      resolution: str({ oneOf: ['720p', '1080p'] }),
      style: str({ oneOf: ['cinematic', 'documentary', 'animation', 'aerial'] }),
      model: str({ oneOf: VIDEO_MODELS }),
    },
    message: 'Text-to-video job queued',
    outputs: one('mp4'),
    metadata: videoMeta('wan-2.6', '720p'),
  },
  commercial: {
    type: 'commercial',
    cost: flat(3000),
    shape: {
      product: required(str()),
      platform: required(str({ oneOf: ['tiktok', 'youtube', 'instagram', 'tv'] })),
      duration: required(num({ oneOf: [15, 30, 60] })),
      tone: required(str({ oneOf: ['professional', 'energetic', 'casual', 'luxury', 'funny'] })),
      targetAudience: str(),
      spokespersonImage: str({ url: 'any' }),
      productImages: { type: 'string[]', url: 'any' },
      voiceId: str(),
      voiceModel: str(),
      musicMood: str(),
      videoModel: str(),
    },
    message: 'Commercial generation job queued',
    outputs: one('mp4'),
    metadata: (body) => ({ sceneClips: [], platform: body.platform, duration: body.duration }),
  },
  translate: {
    type: 'translate',
    cost: flat(1800),
    shape: {
      videoUrl: required(str({ url: 'https' })),
      outputLanguage: required(str()),
      preserveOriginalVoice: bool(),
    },
    check: (body) => (/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(String(body.outputLanguage)) ? undefined : 'outputLanguage must be an ISO language code'),
    message: 'Translation job queued',
    outputs: one('mp4'),
    metadata: (body) => ({ outputLanguage: body.outputLanguage, durationSeconds: SAMPLE_SECONDS }),
  },
  'instant-ad': {
    type: 'instant-ad',
    // "500-1,250 credits": our split is image 500, video 1000, both 1250.
    cost: (body) => INSTANT_AD_COST[String(body.outputFormat ?? 'image')] ?? 500,
    shape: {
      websiteUrl: required(str({ url: 'any' })),
      platform: required(str({ oneOf: ['tiktok', 'youtube', 'instagram', 'facebook', 'linkedin'] })),
      count: required(num({ min: 1, max: 4, int: true })),
      style: required(str({ oneOf: ['modern', 'bold', 'minimal', 'luxury', 'playful'] })),
      outputFormat: str({ oneOf: ['image', 'video', 'both'] }),
      brandProfileId: str(),
    },
    message: 'Instant ad job queued',
    // Our choice: outputFormat defaults to image; "both" is served as videos.
    outputs: (body) => ({ ext: body.outputFormat === 'video' || body.outputFormat === 'both' ? 'mp4' : 'png', count: Number(body.count) }),
    metadata: (body, count) => ({ variationCount: count, platform: body.platform, format: body.outputFormat ?? 'image' }),
  },
  photoshoot: {
    type: 'photoshoot',
    cost: flat(30),
    shape: {
      productImage: required(str({ url: 'any' })),
      background: required(str({ oneOf: ['studio-white', 'lifestyle', 'outdoor', 'flat-lay', 'custom'] })),
      angle: required(str({ oneOf: ['front', 'hero', '45-degree', 'top-down', 'lifestyle'] })),
      lighting: required(str({ oneOf: ['studio', 'natural', 'dramatic', 'soft', 'golden-hour'] })),
      count: required(num({ min: 1, max: 4, int: true })),
      customBackground: str(),
      model: str(),
    },
    message: 'Photoshoot job queued',
    outputs: (body) => ({ ext: 'png', count: Number(body.count) }),
    metadata: (body, count) => ({ photoCount: count, background: body.background, lighting: body.lighting }),
  },
};

const VOICE_CLONE_SHAPE: Shape = { name: required(str({ max: 100 })), sampleAudioUrl: required(str({ url: 'https' })) };

/** Plural counter names for GET /api/usage `used` (the document shows `images`). */
const USED_KEY: Record<ApexJobType | 'voice-clone', string> = {
  image: 'images',
  video: 'videos',
  voice: 'voices',
  'voice-clone': 'voiceClones',
  avatar: 'avatars',
  clip: 'clips',
  'b-roll': 'bRolls',
  text2video: 'text2videos',
  commercial: 'commercials',
  translate: 'translations',
  'instant-ad': 'instantAds',
  photoshoot: 'photoshoots',
};

// ---------------------------------------------------------------------------------------------
// Small non-video samples (a 1x1 PNG and 1 s of silent WAV); kit.ts only has the MP4.

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

function silentWav(seconds: number, sampleRate = 8000): Buffer {
  const dataSize = seconds * sampleRate * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + dataSize, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(dataSize, 40);
  return Buffer.concat([header, Buffer.alloc(dataSize)]);
}
const WAV = silentWav(SAMPLE_SECONDS);

// ---------------------------------------------------------------------------------------------

const MESSAGES: Record<number, [string, string]> = {
  400: ['Invalid input parameters', 'BAD_REQUEST'],
  401: ['Missing or invalid API key', 'UNAUTHORIZED'],
  402: ['Insufficient credits', 'PAYMENT_REQUIRED'],
  404: ['Not found', 'NOT_FOUND'],
  429: ['Too many requests', 'RATE_LIMITED'],
  500: ['Internal server error', 'INTERNAL_ERROR'],
  503: ['Service temporarily unavailable', 'SERVICE_UNAVAILABLE'],
};

/** The documented error shape `{ error, code }`. */
export function apexError(status: number, message?: string): { error: string; code: string } {
  const [text, code] = MESSAGES[status] ?? MESSAGES[500] ?? ['Internal server error', 'INTERNAL_ERROR'];
  return { error: message ?? text, code };
}

const isObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The document's SSRF rule: private IPs, internal hostnames and cloud metadata endpoints are blocked. */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host.includes(':')) return host === '::' || host === '::1' || /^(fc|fd|fe80|::ffff:)/.test(host);
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || !host.includes('.')) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  return false;
}

type RateClass = 'generation' | 'standard' | 'upload' | 'destructive';

export async function startApexEmulator(options: ApexEmulatorOptions = {}): Promise<ApexEmulator> {
  const apiKey = options.apiKey ?? `sk_live_${randomBytes(16).toString('hex')}`;
  const jobDurationMs = options.jobDurationMs ?? 1500;
  const retryDelays = options.webhookRetryDelaysMs ?? [10_000, 60_000, 300_000];
  const faults = newFaults();
  const stats = newStats();
  const jobs = new Map<string, ApexJob>();
  const account: ApexEmulator['account'] = { credits: options.credits ?? 100_000, plan: 'enterprise', webhookUrl: null };
  const apiKeys: ApexEmulator['apiKeys'] = new Map([[apiKey, { id: newId(), name: 'Emulator key', createdAt: new Date().toISOString() }]]);
  const used: Record<string, number> = {};
  const webhookDeliveries: WebhookDelivery[] = [];
  // The document's "Rate Limiting" table; `options.rateLimit` replaces every class's numbers.
  const limit = (n: number, windowMs: number) => (options.rateLimit ? new FixedWindowLimiter(options.rateLimit.limit, options.rateLimit.windowMs) : new FixedWindowLimiter(n, windowMs));
  const limiters: Record<RateClass, FixedWindowLimiter> = {
    generation: limit(5, 10_000),
    standard: limit(20, 10_000),
    upload: limit(10, 60_000),
    destructive: limit(10, 60_000),
  };
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let origin = '';

  const schedule = (fn: () => void, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const fail = (res: ServerResponse, status: number, message?: string) => sendJson(res, status, apexError(status, message));

  const statusOf = (job: ApexJob): { status: ApexStatus; progress: number } => {
    if (job.finishedAt !== undefined) return { status: job.fail ? 'failed' : 'completed', progress: job.fail ? 0 : 100 };
    const { phase, progress } = jobProgress(Date.now() - job.createdAt, jobDurationMs);
    return { status: phase === 'queued' ? 'queued' : 'processing', progress };
  };

  /** The job object of GET /api/jobs, in the field names of the documented webhook payload. */
  const jobView = (job: ApexJob): Record<string, unknown> => {
    const { status, progress } = statusOf(job);
    const clock = options.clockOffsetMs ?? 0;
    const view: Record<string, unknown> = { jobId: job.jobId, type: job.type, status, progress, metadata: job.metadata, createdAt: new Date(job.createdAt + clock).toISOString() };
    const finishedAt = job.finishedAt === undefined ? undefined : new Date(job.finishedAt + clock).toISOString();
    if (status === 'completed') {
      const urls = job.files.map((name) => `${origin}/files/${name}`);
      Object.assign(view, { outputUrl: urls[0], outputUrls: urls, outputType: job.outputType, completedAt: finishedAt });
    } else if (status === 'failed') {
      Object.assign(view, { error: 'Generation failed', creditsRefunded: job.cost, failedAt: finishedAt });
    }
    return view;
  };

  async function deliver(url: string, payload: unknown, attempt: number): Promise<void> {
    let status: number | undefined;
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(10_000) });
      status = response.status;
      await response.arrayBuffer();
    } catch {
      // unreachable receiver: retried below
    }
    webhookDeliveries.push({ url, payload, attempt, status });
    if (status !== undefined && status >= 200 && status < 300) return;
    const delay = retryDelays[attempt - 1];
    if (delay !== undefined && !closed) schedule(() => void deliver(url, payload, attempt + 1), delay);
  }

  /** Finishes a job whose time is up: refunds a failure's credits and fires the webhook. */
  const settle = (job: ApexJob) => {
    if (job.finishedAt !== undefined) return;
    job.finishedAt = job.createdAt + jobDurationMs;
    if (job.fail) account.credits += job.cost;
    if (account.webhookUrl && !closed) {
      const view = jobView(job);
      const { progress: _progress, outputUrls: _urls, ...data } = view;
      // The documented failure payload has no metadata.
      if (job.fail) delete data.metadata;
      void deliver(account.webhookUrl, { event: job.fail ? 'job.failed' : 'job.completed', timestamp: new Date().toISOString(), data }, 1);
    }
  };
  const refresh = (job: ApexJob) => {
    if (job.finishedAt === undefined && Date.now() - job.createdAt >= jobDurationMs) settle(job);
  };

  /** Parses the body, runs `produce` and sends its answer (or drops the connection after a commit, when asked). */
  async function post(route: Route, produce: (body: Body) => { status: number; body: unknown; committed?: boolean }): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(route.req);
    } catch {
      return fail(route.res, 400, 'Request body must be valid JSON');
    }
    if (!isObject(body)) return fail(route.res, 400, 'Request body must be a JSON object');
    const answer = produce(body);
    if (answer.committed && dropIfAsked(route, faults)) return;
    sendJson(route.res, answer.status, answer.body);
  }

  const bad = (message: string) => ({ status: 400, body: apexError(400, `Invalid input: ${message}`) });
  const charge = (cost: number) => {
    if (account.credits < cost) return { status: 402, body: apexError(402, `Insufficient credits: ${cost} required, ${account.credits} available`) };
    account.credits -= cost;
    return undefined;
  };

  const createJob = (kind: Kind) => (body: Body) => {
    const problem = validate(body, kind.shape) ?? kind.check?.(body);
    if (problem) return bad(problem);
    const cost = kind.cost(body);
    const refused = charge(cost);
    if (refused) return refused;
    const jobId = newId();
    const { ext, count } = kind.outputs(body);
    const files = Array.from({ length: count }, (_, i) => (count === 1 ? `${jobId}.${ext}` : `${jobId}-${i + 1}.${ext}`));
    const metadata = { ...kind.metadata(body, count), durationMs: jobDurationMs };
    const job: ApexJob = { jobId, type: kind.type, request: body, cost, createdAt: Date.now(), fail: JSON.stringify(body).includes('[[fail]]'), files, outputType: CONTENT_TYPE[ext], metadata };
    jobs.set(jobId, job);
    schedule(() => settle(job), jobDurationMs);
    stats.jobsCreated++;
    const usedKey = USED_KEY[kind.type];
    used[usedKey] = (used[usedKey] ?? 0) + 1;
    const active = [...jobs.values()].filter((j) => j.finishedAt === undefined && Date.now() - j.createdAt < jobDurationMs).length;
    stats.maxActiveJobs = Math.max(stats.maxActiveJobs, active);
    return { status: 200, body: { data: { jobId, status: 'queued', ...kind.extra, message: kind.message } }, committed: true };
  };

  const cloneVoice = (body: Body) => {
    const problem = validate(body, VOICE_CLONE_SHAPE);
    if (problem) return bad(problem);
    const refused = charge(80);
    if (refused) return refused;
    used[USED_KEY['voice-clone']] = (used[USED_KEY['voice-clone']] ?? 0) + 1;
    // Documented without the data envelope.
    return { status: 200, body: { voiceId: newId('voice_'), message: 'Voice cloned successfully' }, committed: true };
  };

  const createKey = (body: Body) => {
    const problem = validate(body, { name: required(str({ max: 100 })) });
    if (problem) return bad(problem);
    const key = `sk_live_${randomBytes(16).toString('hex')}`;
    const record = { id: newId(), name: String(body.name), createdAt: new Date().toISOString() };
    apiKeys.set(key, record);
    return { status: 200, body: { data: { ...record, key } } };
  };

  async function setWebhook(route: Route): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(route.req);
    } catch {
      return fail(route.res, 400, 'Request body must be valid JSON');
    }
    if (!isObject(body)) return fail(route.res, 400, 'Request body must be a JSON object');
    const problem = checkField('webhookUrl', body.webhookUrl, required(str()));
    if (problem) return fail(route.res, 400, `Invalid input: ${problem}`);
    let url: URL;
    try {
      url = new URL(String(body.webhookUrl));
    } catch {
      return fail(route.res, 400, 'Invalid input: webhookUrl must be a valid URL');
    }
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    // Test-only escape hatch: http(s)://127.0.0.1 or localhost when allowLocalWebhooks is set.
    const allowedLocal = options.allowLocalWebhooks === true && loopback && (url.protocol === 'http:' || url.protocol === 'https:');
    if (!allowedLocal) {
      if (url.protocol !== 'https:') return fail(route.res, 400, 'Invalid input: webhookUrl must be an HTTPS URL');
      if (isPrivateHost(url.hostname)) return fail(route.res, 400, 'Invalid input: webhookUrl must be a public URL');
    }
    account.webhookUrl = url.toString();
    sendJson(route.res, 200, { data: { webhookUrl: account.webhookUrl } });
  }

  function getJobs(route: Route): void {
    const id = route.query.get('id');
    if (id !== null) {
      if (id === '') return fail(route.res, 400, 'Invalid input: id must not be empty');
      const job = jobs.get(id);
      if (!job) return fail(route.res, 404, 'Job not found');
      refresh(job);
      return sendJson(route.res, 200, { data: jobView(job) });
    }
    // No pagination or filters are documented: every job, newest first.
    const all = [...jobs.values()].reverse();
    all.forEach(refresh);
    sendJson(route.res, 200, { data: all.map(jobView) });
  }

  function getUsage(route: Route): void {
    jobs.forEach(refresh);
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    sendJson(route.res, 200, { data: { credits: account.credits, used: { ...used }, plan: account.plan, billingCycle: { start: start.toISOString(), end: end.toISOString() } } });
  }

  async function serveFile(route: Route): Promise<void> {
    const match = /^\/files\/([0-9a-f-]{36})(?:-\d+)?\.(mp4|png|wav)$/.exec(route.path);
    const job = match?.[1] === undefined ? undefined : jobs.get(match[1]);
    if (job) refresh(job);
    const name = route.path.slice('/files/'.length);
    if (!job || job.fail || job.finishedAt === undefined || !job.files.includes(name)) return fail(route.res, 404, 'File not found');
    if (name.endsWith('.mp4')) return sendMp4(route.res);
    const bytes = name.endsWith('.png') ? PNG : WAV;
    route.res.writeHead(200, { 'content-type': name.endsWith('.png') ? 'image/png' : 'audio/wav', 'content-length': bytes.length });
    route.res.end(bytes);
  }

  const rateClass = (method: string, path: string): RateClass => {
    if (method === 'POST' && path.startsWith('/api/generate/')) return 'generation';
    if (path.startsWith('/api/upload/')) return 'upload';
    if (method === 'DELETE') return 'destructive';
    return 'standard';
  };

  async function handle(route: Route): Promise<void> {
    const { req, res, method, path } = route;
    countRequest(route, stats);
    if (options.clockOffsetMs) res.setHeader('date', new Date(Date.now() + options.clockOffsetMs).toUTCString());
    // Output files stand in for signed R2/CDN URLs: no API key, no API rate limit, but faults apply.
    if (path.startsWith('/files/')) {
      if (await applyFaults(route, emulator, apexError)) return;
      if (method !== 'GET') return fail(res, 404);
      return serveFile(route);
    }
    const token = bearer(req);
    // Counted per API key (per presented token; none shares one bucket) before anything else, so
    // every response, 401 and injected faults included, carries the headers.
    const window = limiters[rateClass(method, path)].take(token ?? '(none)');
    res.setHeader('X-RateLimit-Limit', String(window.limit));
    res.setHeader('X-RateLimit-Remaining', String(window.remaining));
    res.setHeader('X-RateLimit-Reset', String(window.resetAt));
    if (await applyFaults(route, emulator, apexError)) return;
    if (!window.allowed) {
      stats.rateLimited++;
      return sendJson(res, 429, apexError(429), { 'retry-after': String(window.retryAfterSeconds) });
    }
    if (token === undefined || !apiKeys.has(token)) return fail(res, 401);

    if (method === 'POST' && path.startsWith('/api/generate/')) {
      const name = path.slice('/api/generate/'.length);
      if (name === 'voice-clone') return post(route, cloneVoice);
      const kind = KINDS[name];
      return kind ? post(route, createJob(kind)) : fail(res, 404);
    }
    if (method === 'GET' && path === '/api/jobs') return getJobs(route);
    if (method === 'GET' && path === '/api/usage') return getUsage(route);
    if (method === 'GET' && path === '/api/keys') return sendJson(res, 200, { data: [...apiKeys.values()] });
    if (method === 'POST' && path === '/api/keys') return post(route, createKey);
    if (method === 'PATCH' && path === '/api/settings') return setWebhook(route);
    return fail(res, 404);
  }

  const server = await startHttpServer(handle);
  origin = server.origin;
  const emulator: ApexEmulator = {
    url: origin, // the documented base is the origin; paths are under /api
    origin,
    faults,
    stats,
    apiKey,
    jobs,
    account,
    apiKeys,
    webhookDeliveries,
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await server.close();
    },
  };
  return emulator;
}
