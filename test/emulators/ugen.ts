/**
 * A local emulator of the U-Gen API, from its document "SDKs & Examples" (U-Gen dashboard), base
 * https://api.u-gen.ai/api/v1 → `${origin}/api/v1`. The project document is the authority; where it is
 * silent this follows U-Gen's public API reference (u-gen.ai/docs: job stages, credits balance path and
 * fields, webhook payload and GET config, 402 details, pagination defaults) and, failing that, the
 * choices marked "Choice:" below.
 *
 * Test hooks: a string anywhere in the POST /jobs body containing `[[fail]]` makes the job fail in its
 * `generation` stage; `faults` (kit.ts) inject drops, 5xx and 429 storms.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  FixedWindowLimiter,
  IdempotencyStore,
  applyFaults,
  countRequest,
  dropIfAsked,
  jobProgress,
  newFaults,
  newStats,
  readJson,
  sendJson,
  sendMp4,
  startHttpServer,
  type Emulator,
  type Route,
} from './kit.js';

const PREFIX = '/api/v1';

/** Models the Jobs API accepts (public reference: Veo 3.1 and Kling 3.0 tiers). */
export const UGEN_VIDEO_MODELS = ['veo3_fast', 'veo3', 'kling3_std', 'kling3_pro', 'kling3_4k'] as const;

/**
 * Choice: the doc gives no prices. Components follow U-Gen's credit guide (keyframes N+1 at 8 credits
 * each for 1K, voice 15, music 15, a flat 10 for post-processing); the per-segment model rates are ours
 * (Kling's per-second rates taken at the default 8 s segment).
 */
const MODEL_CREDITS_PER_SEGMENT: Record<string, number> = { veo3_fast: 40, veo3: 80, kling3_std: 40, kling3_pro: 72, kling3_4k: 112 };
const CREDITS_PER_KEYFRAME = 8;
const VOICE_CREDITS = 15;
const MUSIC_CREDITS = 15;
const POST_PROCESSING_CREDITS = 10;

export type UGenStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface UGenJob {
  jobId: string;
  idempotencyKey: string;
  /** The request with defaults applied (persona_id is a random UUID when omitted, as documented). */
  request: {
    product_name: string;
    product_image_url: string;
    persona_id: string;
    video_model: string;
    segment_count: number;
    interaction_mode: string;
    caption_style: string;
    music_enabled: boolean;
  };
  createdAt: number;
  /** Credits reserved at creation (U-Gen reserves upfront, consumes on completion, releases on failure). */
  credits: number;
  /** When set, the job fails this many ms after creation (`[[fail]]`). */
  failAfterMs: number | null;
  /** Set once the job reaches a terminal state. */
  end: { status: 'completed' | 'failed'; stage: string; progress: number; at: number; error: string | null } | null;
}

export interface UGenDelivery {
  event: 'job.completed' | 'job.failed';
  url: string;
  body: string;
  headers: Record<string, string>;
  /** The receiver's HTTP status, or null when not delivered. */
  status: number | null;
  /** Why it was not delivered (non-loopback URL, network error). */
  error: string | null;
}

export interface UGenEmulator extends Emulator {
  jobs: Map<string, UGenJob>;
  /** The account's single webhook (PUT /tenants/me/webhook), or null. */
  webhook: { url: string; secret: string } | null;
  /** Every webhook attempt, in order. */
  deliveries: UGenDelivery[];
  /** Every JSON body POSTed or PUT to the API, in order, as received (for tests that compare requests). */
  bodies: { route: string; body: Record<string, unknown> }[];
  /** The account's credits: available = balance − reserved. Tests may change them. */
  credits: { balance: number; reserved: number };
}

export interface UGenOptions {
  apiKey?: string;
  /** How long a job takes from creation to completion (default 1500). */
  jobDurationMs?: number;
  /** Choice: the doc names no numbers; default 600 requests per 60 s per API key. */
  rateLimit?: { limit: number; windowMs: number };
  /** Starting credit balance (default 10 000). */
  credits?: number;
  /** How long after a job ends its webhook is sent (default 0: at once). */
  webhookDelayMs?: number;
}

/** The documented error body: `{"error": {"code", "message", "details"}}`. */
export function ugenError(code: string, message: string, details: Record<string, unknown> = {}) {
  return { error: { code, message, details } };
}

const faultError = (status: number) =>
  status === 429
    ? ugenError('RATE_LIMITED', 'Too many requests; retry with exponential backoff')
    : ugenError('SERVICE_UNAVAILABLE', 'Service temporarily unavailable');

interface FieldIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
}

/**
 * 422 body. The project document says every API error is nested; U-Gen's public reference shows
 * FastAPI's `detail` array for 422. Both are sent so a client reading either works.
 */
function validationError(issues: FieldIssue[]) {
  const first = issues[0];
  const message = first ? `${first.loc.join('.')}: ${first.msg}` : 'Invalid request';
  return { ...ugenError('VALIDATION_ERROR', message, { errors: issues }), detail: issues };
}

/** Credit estimate per the pricing above; `model_id` is a video model id. */
export function estimateUGenCredits(input: { segment_count: number; model_id: string; music_enabled: boolean; voice_enabled: boolean }) {
  const breakdown = {
    video: (MODEL_CREDITS_PER_SEGMENT[input.model_id] ?? 0) * input.segment_count,
    keyframes: (input.segment_count + 1) * CREDITS_PER_KEYFRAME,
    voice: input.voice_enabled ? VOICE_CREDITS : 0,
    music: input.music_enabled ? MUSIC_CREDITS : 0,
    post_processing: POST_PROCESSING_CREDITS,
  };
  return { total_credits: Object.values(breakdown).reduce((a, b) => a + b, 0), breakdown };
}

/** Field checks, collecting every issue like FastAPI does. */
class Checker {
  issues: FieldIssue[] = [];
  constructor(
    private readonly body: Record<string, unknown>,
    private readonly where: string,
  ) {}

  private fail(field: string, type: string, msg: string): undefined {
    this.issues.push({ type, loc: [this.where, field], msg });
    return undefined;
  }

  string(field: string, required: boolean, maxLength = 10_000): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return required ? this.fail(field, 'missing', 'Field required') : undefined;
    if (typeof value !== 'string') return this.fail(field, 'string_type', 'Input should be a valid string');
    if (value.trim() === '') return this.fail(field, 'string_too_short', 'String should have at least 1 character');
    if (value.length > maxLength) return this.fail(field, 'string_too_long', `String should have at most ${maxLength} characters`);
    return value;
  }

  url(field: string, required: boolean, allow: (url: URL) => boolean = (u) => u.protocol === 'https:' || u.protocol === 'http:'): string | undefined {
    const value = this.string(field, required, 2048);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return this.fail(field, 'url_parsing', 'Input should be a valid URL');
    }
    return allow(parsed) ? value : this.fail(field, 'url_scheme', 'URL scheme not permitted');
  }

  oneOf(field: string, allowed: readonly string[], fallback: string): string | undefined {
    const value = this.string(field, false);
    if (value === undefined) return this.body[field] === undefined || this.body[field] === null ? fallback : undefined;
    return allowed.includes(value) ? value : this.fail(field, 'enum', `Input should be ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }

  int(field: string, required: boolean, min: number, max: number, fallback?: number): number | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return required ? this.fail(field, 'missing', 'Field required') : fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.fail(field, 'int_type', 'Input should be a valid integer');
    if (value < min) return this.fail(field, 'greater_than_equal', `Input should be greater than or equal to ${min}`);
    if (value > max) return this.fail(field, 'less_than_equal', `Input should be less than or equal to ${max}`);
    return value;
  }

  bool(field: string, fallback: boolean): boolean | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return fallback;
    return typeof value === 'boolean' ? value : this.fail(field, 'bool_type', 'Input should be a valid boolean');
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const mentionsFail = (value: unknown): boolean =>
  typeof value === 'string' ? value.includes('[[fail]]') : typeof value === 'object' && value !== null ? Object.values(value).some(mentionsFail) : false;

/** Pipeline stages, as U-Gen's public reference names them: prepare → agents → init → generation → concat → audio → captions → complete. */
function stageFor(phase: 'queued' | 'processing' | 'done', progress: number): string {
  if (phase === 'queued') return 'prepare';
  if (phase === 'done') return 'complete';
  if (progress < 10) return 'agents';
  if (progress < 20) return 'init';
  if (progress < 70) return 'generation';
  if (progress < 80) return 'concat';
  if (progress < 90) return 'audio';
  return 'captions';
}

export async function startUGenEmulator(options: UGenOptions = {}): Promise<UGenEmulator> {
  const durationMs = options.jobDurationMs ?? 1500;
  const rate = options.rateLimit ?? { limit: 600, windowMs: 60_000 };
  const limiter = new FixedWindowLimiter(rate.limit, rate.windowMs);
  const idempotency = new IdempotencyStore<{ status: number; body: unknown }>();
  const timers = new Set<NodeJS.Timeout>();
  let origin = '';

  const emulator: UGenEmulator = {
    url: '',
    origin: '',
    faults: newFaults(),
    stats: newStats(),
    apiKey: options.apiKey ?? `ugen_test_${randomUUID().replaceAll('-', '')}`,
    jobs: new Map(),
    webhook: null,
    deliveries: [],
    bodies: [],
    credits: { balance: options.credits ?? 10_000, reserved: 0 },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await server.close();
    },
  };

  const available = () => emulator.credits.balance - emulator.credits.reserved;

  /**
   * Moves a job to its terminal state once its time has come (or now, from its timer, which may fire a
   * millisecond early by Date.now()): settles credits and sends the webhook.
   */
  function settle(job: UGenJob, due = false): void {
    if (job.end) return;
    const elapsed = due ? Infinity : Date.now() - job.createdAt;
    if (job.failAfterMs !== null) {
      if (elapsed < job.failAfterMs) return;
      const { progress } = jobProgress(job.failAfterMs, durationMs);
      job.end = { status: 'failed', stage: 'generation', progress, at: Date.now(), error: 'Video generation failed: [[fail]] requested' };
      emulator.credits.reserved -= job.credits; // released
    } else {
      if (elapsed < durationMs) return;
      job.end = { status: 'completed', stage: 'complete', progress: 100, at: Date.now(), error: null };
      emulator.credits.reserved -= job.credits; // consumed
      emulator.credits.balance -= job.credits;
    }
    void deliver(job);
  }

  function view(job: UGenJob) {
    settle(job);
    let status: UGenStatus;
    let stage: string;
    let progress: number;
    if (job.end) {
      ({ status, stage, progress } = job.end);
    } else {
      const p = jobProgress(Date.now() - job.createdAt, durationMs);
      status = p.phase === 'queued' ? 'queued' : 'processing';
      stage = stageFor(p.phase, p.progress);
      progress = p.progress;
    }
    const completed = job.end?.status === 'completed';
    return {
      job_id: job.jobId,
      status,
      current_stage: stage,
      progress_percent: progress,
      ...job.request,
      idempotency_key: job.idempotencyKey,
      credits_reserved: job.end ? 0 : job.credits,
      credits_consumed: completed ? job.credits : 0,
      final_video_url: completed ? `${origin}/files/${job.jobId}.mp4` : null,
      thumbnail_url: null,
      error_message: job.end?.error ?? null,
      created_at: new Date(job.createdAt).toISOString(),
      updated_at: new Date(job.end?.at ?? Date.now()).toISOString(),
      completed_at: job.end ? new Date(job.end.at).toISOString() : null,
    };
  }

  /**
   * POSTs `job.completed` / `job.failed` in the payload shape of U-Gen's webhook guide, signed with
   * X-UGen-Signature = hex HMAC-SHA256(secret, `${timestamp}.${body}`) and X-UGen-Timestamp (Unix s).
   * Only http://127.0.0.1 URLs are contacted (tests); others are recorded as not delivered. One
   * attempt only: U-Gen retries 3 times (1 s, 4 s, 16 s), which tests do not need.
   */
  async function deliver(job: UGenJob): Promise<void> {
    const hook = emulator.webhook;
    if (!hook || !job.end) return;
    if (options.webhookDelayMs) await sleep(options.webhookDelayMs);
    const v = view(job);
    const event = job.end.status === 'completed' ? 'job.completed' : 'job.failed';
    const body = JSON.stringify({
      event,
      job_id: v.job_id,
      status: v.status,
      final_video_url: v.final_video_url,
      thumbnail_url: v.thumbnail_url,
      credits_consumed: v.credits_consumed,
      error_message: v.error_message,
      timestamp: new Date(job.end.at).toISOString(),
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'x-ugen-timestamp': timestamp,
      'x-ugen-signature': createHmac('sha256', hook.secret).update(`${timestamp}.${body}`).digest('hex'),
    };
    const record: UGenDelivery = { event, url: hook.url, body, headers, status: null, error: null };
    emulator.deliveries.push(record);
    const target = new URL(hook.url);
    if (target.protocol !== 'http:' || target.hostname !== '127.0.0.1') {
      record.error = 'not delivered: the emulator only calls http://127.0.0.1';
      return;
    }
    try {
      const response = await fetch(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      record.status = response.status;
      await response.arrayBuffer();
    } catch (error) {
      record.error = String(error);
    }
  }

  async function handle(route: Route): Promise<void> {
    countRequest(route, emulator.stats);
    if (await applyFaults(route, emulator, faultError)) return;
    const { req, res, method, path, query } = route;

    // final_video_url: a storage URL, so no API key and no rate limit (as a signed URL would be).
    const file = /^\/files\/([^/]+)\.mp4$/.exec(path);
    if (file && method === 'GET') {
      const job = emulator.jobs.get(file[1] ?? '');
      if (job) settle(job);
      if (job?.end?.status === 'completed') return sendMp4(res);
      return sendJson(res, 404, ugenError('NOT_FOUND', 'File not found'));
    }
    if (!path.startsWith(`${PREFIX}/`)) return sendJson(res, 404, ugenError('NOT_FOUND', 'Not found'));

    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') return sendJson(res, 401, ugenError('UNAUTHORIZED', 'Missing X-API-Key header'));
    if (key !== emulator.apiKey) return sendJson(res, 401, ugenError('UNAUTHORIZED', 'Invalid API key'));

    // Choice: the doc only says 429 means "back off exponentially"; it names no headers. We send
    // X-RateLimit-Limit/Remaining/Reset (Reset in Unix seconds) on every API response and Retry-After on 429.
    const slot = limiter.take(key);
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(slot.limit),
      'x-ratelimit-remaining': String(slot.remaining),
      'x-ratelimit-reset': String(slot.resetAt),
    };
    const reply = (status: number, body: unknown) => sendJson(res, status, body, headers);
    if (!slot.allowed) {
      emulator.stats.rateLimited++;
      headers['retry-after'] = String(slot.retryAfterSeconds);
      return reply(429, ugenError('RATE_LIMITED', 'Rate limit exceeded; retry with exponential backoff', { retry_after: slot.retryAfterSeconds }));
    }

    const rest = path.slice(PREFIX.length);
    const readObject = async (): Promise<Record<string, unknown> | undefined> => {
      let body: unknown;
      try {
        body = await readJson(req);
      } catch {
        reply(400, ugenError('BAD_REQUEST', 'Request body is not valid JSON'));
        return undefined;
      }
      if (!isObject(body)) {
        reply(400, ugenError('BAD_REQUEST', 'Request body must be a JSON object'));
        return undefined;
      }
      emulator.bodies.push({ route: `${method} ${rest}`, body });
      return body;
    };

    if (rest === '/jobs' && method === 'POST') {
      const body = await readObject();
      if (!body) return;
      const check = new Checker(body, 'body');
      const request = {
        product_name: check.string('product_name', true, 500),
        product_image_url: check.url('product_image_url', true),
        // Choice: the doc gives no persona id format; any non-empty string is accepted.
        persona_id: body.persona_id == null ? randomUUID() : check.string('persona_id', false, 200),
        video_model: check.oneOf('video_model', UGEN_VIDEO_MODELS, 'veo3_fast'),
        // Required per U-Gen's Jobs reference; 1–10 per its credit guide.
        segment_count: check.int('segment_count', true, 1, 10),
        // Choice: the doc shows only `holdable` and `tiktok_karaoke`; other values are not rejected.
        interaction_mode: check.string('interaction_mode', false, 100) ?? 'holdable',
        caption_style: check.string('caption_style', false, 100) ?? 'tiktok_karaoke',
        music_enabled: check.bool('music_enabled', false),
      };
      const givenKey = check.string('idempotency_key', false, 255);
      if (check.issues.length > 0) return reply(422, validationError(check.issues));
      const valid = request as UGenJob['request'];

      // Documented: same key + same body returns the original job; a different body is refused.
      if (givenKey !== undefined) {
        const found = idempotency.lookup(key, givenKey, body);
        if (found === 'conflict') {
          return reply(409, ugenError('IDEMPOTENCY_CONFLICT', 'idempotency_key was already used with different parameters', { idempotency_key: givenKey }));
        }
        if (found) return reply(found.value.status, found.value.body);
      }

      const cost = estimateUGenCredits({ segment_count: valid.segment_count, model_id: valid.video_model, music_enabled: valid.music_enabled, voice_enabled: true }).total_credits;
      if (cost > available()) {
        return reply(402, ugenError('INSUFFICIENT_CREDITS', 'Insufficient credits', { required: cost, available: available() }));
      }

      const job: UGenJob = {
        jobId: randomUUID(),
        // Documented: when omitted, one is generated (a UUID).
        idempotencyKey: givenKey ?? randomUUID(),
        request: valid,
        createdAt: Date.now(),
        credits: cost,
        failAfterMs: mentionsFail(body) ? Math.round(durationMs * 0.5) : null,
        end: null,
      };
      emulator.credits.reserved += cost;
      emulator.jobs.set(job.jobId, job);
      emulator.stats.jobsCreated++;
      const active = [...emulator.jobs.values()].filter((j) => !j.end).length;
      emulator.stats.maxActiveJobs = Math.max(emulator.stats.maxActiveJobs, active);
      const timer = setTimeout(() => {
        timers.delete(timer);
        settle(job, true);
      }, job.failAfterMs ?? durationMs);
      timer.unref();
      timers.add(timer);
      const response = { status: 201, body: view(job) };
      idempotency.remember(key, job.idempotencyKey, body, response);
      if (dropIfAsked(route, emulator.faults)) return;
      return reply(response.status, response.body);
    }

    if (rest === '/jobs' && method === 'GET') {
      // Pagination as documented: page, page_size → items, total, page, page_size, total_pages.
      // Defaults 1 and 20, page_size at most 100 (public reference). Newest first (choice).
      const check = new Checker(Object.fromEntries([...query].map(([k, v]) => [k, /^-?\d+$/.test(v) ? Number(v) : v])), 'query');
      const page = check.int('page', false, 1, Number.MAX_SAFE_INTEGER, 1);
      const pageSize = check.int('page_size', false, 1, 100, 20);
      if (page === undefined || pageSize === undefined) return reply(422, validationError(check.issues));
      const all = [...emulator.jobs.values()].reverse();
      const items = all.slice((page - 1) * pageSize, page * pageSize).map(view);
      return reply(200, { items, total: all.length, page, page_size: pageSize, total_pages: Math.ceil(all.length / pageSize) });
    }

    const one = /^\/jobs\/([^/]+)$/.exec(rest);
    if (one && method === 'GET') {
      const job = emulator.jobs.get(one[1] ?? '');
      return job ? reply(200, view(job)) : reply(404, ugenError('NOT_FOUND', 'Job not found', { job_id: one[1] }));
    }

    if (rest === '/credits/estimate' && method === 'POST') {
      const body = await readObject();
      if (!body) return;
      const check = new Checker(body, 'body');
      const segments = check.int('segment_count', true, 1, 10);
      const model = check.oneOf('model_id', UGEN_VIDEO_MODELS, 'veo3_fast');
      // Choice: `variant` (the doc shows "i2v") does not change the price; it is only type-checked.
      const variant = check.string('variant', false, 50) ?? 'i2v';
      const music = check.bool('music_enabled', false);
      const voice = check.bool('voice_enabled', true);
      if (segments === undefined || model === undefined || music === undefined || voice === undefined || check.issues.length > 0) {
        return reply(422, validationError(check.issues));
      }
      const estimate = estimateUGenCredits({ segment_count: segments, model_id: model, music_enabled: music, voice_enabled: voice });
      return reply(200, { model_id: model, variant, segment_count: segments, ...estimate, available_credits: available() });
    }

    // Not in the project document ("check your balance first" names no path); path and fields from U-Gen's reference.
    if (rest === '/credits/balance' && method === 'GET') {
      return reply(200, { credit_balance: emulator.credits.balance, credit_reserved: emulator.credits.reserved, available_credits: available() });
    }

    if (rest === '/tenants/me/webhook') {
      if (method === 'PUT') {
        const body = await readObject();
        if (!body) return;
        const check = new Checker(body, 'body');
        // U-Gen requires HTTPS; plain http is accepted for loopback hosts so tests can receive deliveries.
        const url = check.url('webhook_url', true, (u) => u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)));
        // Choice: the doc pairs every URL with a secret (openssl rand -hex 32) and says nothing of its
        // format, so a non-empty string is required. (U-Gen's reference allows omitting it: unsigned.)
        const secret = check.string('webhook_secret', true, 256);
        if (url === undefined || secret === undefined) return reply(422, validationError(check.issues));
        emulator.webhook = { url, secret }; // one URL per account: PUT replaces it
        return reply(200, { webhook_url: url, webhook_configured: true });
      }
      if (method === 'GET') return reply(200, { webhook_url: emulator.webhook?.url ?? null, webhook_configured: emulator.webhook !== null });
      if (method === 'DELETE') {
        emulator.webhook = null;
        return reply(200, { webhook_url: null, webhook_configured: false });
      }
      return reply(405, ugenError('METHOD_NOT_ALLOWED', `${method} is not allowed here`));
    }

    return reply(404, ugenError('NOT_FOUND', `No route for ${method} ${path}`));
  }

  const server = await startHttpServer(handle);
  origin = server.origin;
  emulator.origin = origin;
  emulator.url = `${origin}${PREFIX}`;
  return emulator;
}
