/**
 * Local emulator of the UltimateCreator API, from its "API Documentation" (ultimatecreator.ai), base
 * https://api.ultimatecreator.ai/v1 → `${origin}/v1`. Choices where the document is silent are
 * commented with "doc silent".
 *
 * Test hooks: a prompt containing `[[fail]]` fails halfway through; `[[blocked]]` is refused by the
 * moderation filter (400 PROMPT_BLOCKED).
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  applyFaults,
  bearer,
  countRequest,
  dropIfAsked,
  FixedWindowLimiter,
  IdempotencyStore,
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

export type UcStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface UcJob {
  id: string;
  prompt: string;
  durationSeconds: number;
  avatarId: string;
  brandKitId?: string;
  resolution: string;
  webhookUrl?: string;
  /** Epoch ms; tests may move it back to fast-forward a job. */
  createdAt: number;
  durationMs: number;
  /** Set by `[[fail]]` in the prompt: the job fails after half its duration. */
  fails: boolean;
  /** Credits charged at creation (before any refund on cancel). */
  credits: number;
  cancelledAt?: number;
  cancelledProgress?: number;
  /** Webhook bookkeeping: progress thresholds already sent and whether the final event went out. */
  sentProgress: Set<number>;
  webhookDone: boolean;
}

export interface UcAvatar {
  id: string;
  name: string;
  status: 'ready';
  created_at: string;
}

export interface UcDelivery {
  url: string;
  event: string;
  jobId: string;
  attempt: number;
  /** HTTP status of the receiver, 0 for a network error or timeout, -1 when skipped (not 127.0.0.1). */
  status: number;
}

export interface UltimateCreatorEmulator extends Emulator {
  jobs: Map<string, UcJob>;
  avatars: Map<string, UcAvatar>;
  webhookSecret: string;
  /** Every webhook delivery attempt, in order. */
  deliveries: UcDelivery[];
  /** Events whose 3 attempts all failed (the document's Dead Letter Queue). */
  deadLetters: { url: string; body: string }[];
}

export interface UltimateCreatorOptions {
  apiKey?: string;
  /** How long a job takes from creation to completed (default 1500). */
  jobDurationMs?: number;
  /** Requests per window per API key (default 10 000 per minute: generous, so tests never trip it by accident). */
  rateLimit?: { limit: number; windowMs: number };
  /** The plan's "Concurrent Jobs": creating one more active job is refused with 429 (default unlimited). */
  concurrentJobs?: number;
  /** Secret for X-UC-Signature (default random). */
  webhookSecret?: string;
  /** Delay before the first webhook retry; the second waits twice as long (default 200). */
  webhookRetryBaseMs?: number;
}

/** Doc: 150 credits for a 30 s video; doc silent on pricing otherwise, so a flat 5 credits per second. */
const CREDITS_PER_SECOND = 5;
/** Doc silent on limits: duration_seconds is an integer 1..300, prompt at most 5000 characters. */
const MAX_DURATION_SECONDS = 300;
const MAX_PROMPT_LENGTH = 5000;
/** Doc shows only "1080p"; doc silent on the others. */
const RESOLUTIONS = ['720p', '1080p', '4k'];
const PROGRESS_EVENTS = [25, 50, 75];
/** Doc: "After 3 failed attempts, the event is moved to a Dead Letter Queue"; timeout 10 s per attempt. */
const WEBHOOK_ATTEMPTS = 3;
const WEBHOOK_TIMEOUT_MS = 10_000;

/** A 16x16 grey JPEG, served as the thumbnail. */
const THUMBNAIL = Buffer.from(
  '/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU4LjQyLjEwMAD/2wBDAAg+Pkk+SVVVVVVVVWRdZGhoaGRkZGRoaGhwcHCDg4NwcHBoaHBwfHyDg4+Tj4eHg4eTk5ubm7q6srLZ2eD/////xABKAAEAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAAAAAAAAAAAAEAEAAAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgAEAAQAwEiAAIRAAMRAP/aAAwDAQACEQMRAD8AAA//2Q==',
  'base64',
);

/** ISO 8601 without milliseconds, as in the document ("2025-03-06T12:00:00Z"). */
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Set by the create handler: a job was committed, so `dropAfterCommit` may fire. */
  created?: boolean;
}

/** The documented error envelope. Codes other than RATE_LIMITED are not named by the document (doc silent). */
function error(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { error: { code, message, status, ...extra } } };
}

const CODE_FOR_STATUS: Record<number, string> = { 429: 'RATE_LIMITED', 500: 'INTERNAL_ERROR', 503: 'SERVICE_UNAVAILABLE' };

export async function startUltimateCreatorEmulator(options: UltimateCreatorOptions = {}): Promise<UltimateCreatorEmulator> {
  const apiKey = options.apiKey ?? 'uc_test_key';
  const jobDurationMs = options.jobDurationMs ?? 1500;
  const rate = options.rateLimit ?? { limit: 10_000, windowMs: 60_000 };
  const limiter = new FixedWindowLimiter(rate.limit, rate.windowMs);
  const concurrentJobs = options.concurrentJobs ?? Infinity;
  const retryBaseMs = options.webhookRetryBaseMs ?? 200;
  const idempotency = new IdempotencyStore<Reply>();
  const faults = newFaults();
  const stats = newStats();
  const jobs = new Map<string, UcJob>();
  const avatars = new Map<string, UcAvatar>();
  const deliveries: UcDelivery[] = [];
  const deadLetters: { url: string; body: string }[] = [];
  const webhookSecret = options.webhookSecret ?? newId('ucwh_').replaceAll('-', '');
  let closed = false;
  let origin = '';

  // "avt_abc123" is the document's example id, so its examples run as written.
  for (const [id, name] of [['avt_abc123', 'Alex'], ['avt_def456', 'Maya'], ['avt_ghi789', 'Jordan']] as const) {
    avatars.set(id, { id, name, status: 'ready', created_at: iso(Date.now()) });
  }

  function stateOf(job: UcJob, now = Date.now()): { status: UcStatus; progress: number } {
    if (job.cancelledAt !== undefined) return { status: 'cancelled', progress: job.cancelledProgress ?? 0 };
    const elapsed = now - job.createdAt;
    const failAt = job.durationMs / 2;
    if (job.fails && elapsed >= failAt) return { status: 'failed', progress: jobProgress(failAt, job.durationMs).progress };
    const { phase, progress } = jobProgress(elapsed, job.durationMs);
    return { status: phase === 'done' ? 'completed' : phase, progress };
  }

  const videoUrl = (job: UcJob) => `${origin}/files/${job.id}.mp4`;
  const thumbnailUrl = (job: UcJob) => `${origin}/files/${job.id}.jpg`;
  const creditsOf = (job: UcJob, state: { status: UcStatus; progress: number }) =>
    // Doc: "Credits for unprocessed seconds are refunded automatically" on cancel.
    state.status === 'cancelled' ? Math.round((job.credits * state.progress) / 100) : job.credits;

  /** The status response. Fields not yet known are null (doc silent on whether they are absent or null). */
  function view(job: UcJob) {
    const state = stateOf(job);
    const done = state.status === 'completed';
    return {
      job_id: job.id,
      status: state.status,
      progress_percent: state.progress,
      video_url: done ? videoUrl(job) : null,
      thumbnail_url: done ? thumbnailUrl(job) : null,
      duration_seconds: job.durationSeconds,
      credits_charged: creditsOf(job, state),
      created_at: iso(job.createdAt),
      completed_at: done ? iso(job.createdAt + job.durationMs) : null,
      error_message: state.status === 'failed' ? 'Video generation failed: the renderer could not complete the scene.' : null,
    };
  }

  const activeJobs = () => [...jobs.values()].filter((job) => ['queued', 'processing'].includes(stateOf(job).status)).length;

  // ---- webhooks ----------------------------------------------------------------------------

  /** One chain per job so its events arrive in order. */
  const chains = new Map<string, Promise<void>>();

  function emit(job: UcJob, event: string, data: Record<string, unknown>): void {
    const url = job.webhookUrl;
    if (!url) return;
    const body = JSON.stringify({ event, timestamp: iso(Date.now()), data });
    const previous = chains.get(job.id) ?? Promise.resolve();
    chains.set(job.id, previous.then(() => deliver(url, event, job.id, body)));
  }

  async function deliver(url: string, event: string, jobId: string, body: string): Promise<void> {
    // Deliveries go only to http://127.0.0.1 (test receivers); any other URL is stored but never called.
    const target = URL.canParse(url) ? new URL(url) : undefined;
    if (target?.protocol !== 'http:' || target.hostname !== '127.0.0.1') {
      deliveries.push({ url, event, jobId, attempt: 1, status: -1 });
      return;
    }
    const signature = createHmac('sha256', webhookSecret).update(body, 'utf8').digest('hex');
    // Doc: exponential backoff, 3 attempts, then the DLQ; the delays themselves are not given (doc
    // silent), so retryBase, then twice that.
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      if (closed) return;
      let status = 0;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-uc-signature': signature },
          body,
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        status = 0;
      }
      deliveries.push({ url, event, jobId, attempt, status });
      if (status >= 200 && status < 300) return;
      if (attempt < WEBHOOK_ATTEMPTS) await sleep(retryBaseMs * 2 ** (attempt - 1));
    }
    deadLetters.push({ url, body });
  }

  /** Sends progress events at 25/50/75 % (doc: "every 25%") and the final completed/failed event. No event for cancel (doc lists none). */
  function tick(): void {
    for (const job of jobs.values()) {
      if (!job.webhookUrl || job.webhookDone) continue;
      const state = stateOf(job);
      if (state.status === 'cancelled') {
        job.webhookDone = true;
        continue;
      }
      if (state.status !== 'queued') {
        for (const threshold of PROGRESS_EVENTS) {
          if (state.progress >= threshold && !job.sentProgress.has(threshold)) {
            job.sentProgress.add(threshold);
            emit(job, 'video.job.progress', { job_id: job.id, status: 'processing', progress_percent: threshold });
          }
        }
      }
      if (state.status === 'completed') {
        job.webhookDone = true;
        const v = view(job);
        emit(job, 'video.job.completed', {
          job_id: v.job_id,
          status: v.status,
          video_url: v.video_url,
          thumbnail_url: v.thumbnail_url,
          duration_seconds: v.duration_seconds,
          credits_charged: v.credits_charged,
        });
      } else if (state.status === 'failed') {
        job.webhookDone = true;
        const v = view(job);
        emit(job, 'video.job.failed', {
          job_id: v.job_id,
          status: v.status,
          error_message: v.error_message,
          duration_seconds: v.duration_seconds,
          credits_charged: v.credits_charged,
        });
      }
    }
  }
  const ticker = setInterval(tick, 20);
  ticker.unref();

  // ---- handlers ----------------------------------------------------------------------------

  function createJob(body: Record<string, unknown>): Reply {
    const details: { field: string; message: string }[] = [];
    const { prompt, duration_seconds, avatar_id, brand_kit_id, resolution, webhook_url } = body;
    // Doc silent on which fields are required: the Quick Start's minimal request (prompt,
    // duration_seconds, avatar_id) is taken as the required set. Unknown fields are ignored.
    if (typeof prompt !== 'string' || prompt.trim() === '') details.push({ field: 'prompt', message: 'prompt is required and must be a non-empty string' });
    else if (prompt.length > MAX_PROMPT_LENGTH) details.push({ field: 'prompt', message: `prompt must be at most ${MAX_PROMPT_LENGTH} characters` });
    if (typeof duration_seconds !== 'number' || !Number.isInteger(duration_seconds) || duration_seconds < 1 || duration_seconds > MAX_DURATION_SECONDS) {
      details.push({ field: 'duration_seconds', message: `duration_seconds is required and must be an integer from 1 to ${MAX_DURATION_SECONDS}` });
    }
    if (typeof avatar_id !== 'string' || avatar_id === '') details.push({ field: 'avatar_id', message: 'avatar_id is required and must be a string' });
    else if (!avatars.has(avatar_id)) details.push({ field: 'avatar_id', message: `avatar ${avatar_id} does not exist` });
    if (brand_kit_id !== undefined && (typeof brand_kit_id !== 'string' || brand_kit_id === '')) details.push({ field: 'brand_kit_id', message: 'brand_kit_id must be a non-empty string' });
    if (resolution !== undefined && (typeof resolution !== 'string' || !RESOLUTIONS.includes(resolution))) {
      details.push({ field: 'resolution', message: `resolution must be one of ${RESOLUTIONS.join(', ')}` });
    }
    if (webhook_url !== undefined && (typeof webhook_url !== 'string' || !/^https?:$/.test(URL.canParse(webhook_url) ? new URL(webhook_url).protocol : ''))) {
      details.push({ field: 'webhook_url', message: 'webhook_url must be an absolute http(s) URL' });
    }
    if (details.length > 0) return error(422, 'VALIDATION_ERROR', 'Request body validation failed.', { details });
    const text = prompt as string;
    // Doc: 400 for "Prompt blocked by moderation filter".
    if (text.includes('[[blocked]]')) return error(400, 'PROMPT_BLOCKED', 'Prompt blocked by moderation filter.');
    // Doc lists "Concurrent Jobs" per plan but not what happens past it (doc silent): 429.
    if (activeJobs() >= concurrentJobs) {
      const retryAfter = Math.max(1, Math.ceil(jobDurationMs / 1000));
      const reply = error(429, 'CONCURRENT_JOBS_LIMIT', `Concurrent job limit (${concurrentJobs}) reached. Retry after ${retryAfter} seconds.`, { retry_after: retryAfter });
      return { ...reply, headers: { 'retry-after': String(retryAfter) } };
    }

    const job: UcJob = {
      id: newId('job_').replaceAll('-', ''),
      prompt: text,
      durationSeconds: duration_seconds as number,
      avatarId: avatar_id as string,
      ...(typeof brand_kit_id === 'string' ? { brandKitId: brand_kit_id } : {}),
      resolution: typeof resolution === 'string' ? resolution : '1080p', // doc silent on the default
      ...(typeof webhook_url === 'string' ? { webhookUrl: webhook_url } : {}),
      createdAt: Date.now(),
      durationMs: jobDurationMs,
      fails: text.includes('[[fail]]'),
      credits: (duration_seconds as number) * CREDITS_PER_SECOND,
      sentProgress: new Set(),
      webhookDone: false,
    };
    jobs.set(job.id, job);
    stats.jobsCreated++;
    stats.maxActiveJobs = Math.max(stats.maxActiveJobs, activeJobs());
    return {
      status: 202,
      created: true,
      body: {
        job_id: job.id,
        status: 'queued',
        credits_charged: job.credits,
        estimated_duration_seconds: Math.max(1, Math.ceil(jobDurationMs / 1000)),
        created_at: iso(job.createdAt),
      },
    };
  }

  function cancelJob(job: UcJob): Reply {
    const state = stateOf(job);
    // Doc: "Cancels a queued or in-progress job"; anything finished is refused with 409 (doc silent on the code).
    if (state.status !== 'queued' && state.status !== 'processing') {
      return error(409, 'JOB_NOT_CANCELLABLE', `Job ${job.id} is ${state.status} and can no longer be cancelled.`);
    }
    job.cancelledAt = Date.now();
    job.cancelledProgress = state.progress;
    // Doc silent on the response: 200 with the job's status object.
    return { status: 200, body: view(job) };
  }

  function avatarBody(body: Record<string, unknown>, partial: boolean): Reply | { name?: string } {
    const { name } = body;
    if (name === undefined && partial) return {};
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) {
      return error(422, 'VALIDATION_ERROR', 'Request body validation failed.', { details: [{ field: 'name', message: 'name is required and must be a string of 1 to 100 characters' }] });
    }
    return { name };
  }

  /** Routes under /v1 (already authenticated). `body` is the parsed JSON for POST/PATCH. */
  function route(method: string, parts: string[], body: Record<string, unknown>): Reply {
    const [a, b, c] = parts;
    const notFound = error(404, 'NOT_FOUND', 'The requested resource does not exist.');
    const wrongMethod = error(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on this resource.`); // doc silent: 405
    if (a === 'video' && b === 'generate' && parts.length === 2) return method === 'POST' ? createJob(body) : wrongMethod;
    if (a === 'video' && b !== undefined && parts.length === 3 && (c === 'status' || c === 'cancel')) {
      const job = jobs.get(b);
      if (c === 'status') return method !== 'GET' ? wrongMethod : job ? { status: 200, body: view(job) } : notFound;
      // Doc gives no method for cancel (doc silent): POST.
      return method !== 'POST' ? wrongMethod : job ? cancelJob(job) : notFound;
    }
    if (a === 'avatars' && parts.length === 1) {
      if (method === 'GET') return { status: 200, body: { data: [...avatars.values()] } }; // doc silent on the list shape
      if (method !== 'POST') return wrongMethod;
      const input = avatarBody(body, false);
      if ('status' in input) return input;
      const avatar: UcAvatar = { id: newId('avt_').replaceAll('-', '').slice(0, 16), name: input.name ?? '', status: 'ready', created_at: iso(Date.now()) };
      avatars.set(avatar.id, avatar);
      return { status: 201, body: avatar };
    }
    if (a === 'avatars' && b !== undefined && parts.length === 2) {
      const avatar = avatars.get(b);
      if (!['GET', 'PATCH', 'DELETE'].includes(method)) return wrongMethod;
      if (!avatar) return notFound;
      if (method === 'GET') return { status: 200, body: avatar };
      if (method === 'DELETE') {
        avatars.delete(b);
        return { status: 204 };
      }
      const input = avatarBody(body, true);
      if ('status' in input) return input;
      if (input.name !== undefined) avatar.name = input.name;
      return { status: 200, body: avatar };
    }
    return notFound;
  }

  function send(r: Route, reply: Reply, baseHeaders: Record<string, string>): void {
    const headers = { ...baseHeaders, ...reply.headers };
    if (reply.body === undefined) {
      r.res.writeHead(reply.status, headers);
      r.res.end();
    } else sendJson(r.res, reply.status, reply.body, headers);
  }

  async function handle(r: Route): Promise<void> {
    countRequest(r, stats);
    const faultBody = (status: number) => {
      const code = CODE_FOR_STATUS[status] ?? 'SERVER_ERROR';
      return status === 429
        ? error(429, code, `Rate limit exceeded. Retry after ${faults.retryAfterSeconds} seconds.`, { retry_after: faults.retryAfterSeconds }).body
        : error(status, code, 'Something went wrong on our side. Please retry or contact support.').body;
    };
    if (await applyFaults(r, { faults, stats }, faultBody)) return;

    // Finished files, outside /v1 and without auth, like CDN URLs.
    const file = /^\/files\/([^/]+)\.(mp4|jpg)$/.exec(r.path);
    if (file) {
      const job = jobs.get(file[1] ?? '');
      if (r.method !== 'GET' || !job || stateOf(job).status !== 'completed') return send(r, error(404, 'NOT_FOUND', 'The requested resource does not exist.'), {});
      if (file[2] === 'mp4') return sendMp4(r.res);
      r.res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': THUMBNAIL.length });
      r.res.end(THUMBNAIL);
      return;
    }
    if (r.path !== '/v1' && !r.path.startsWith('/v1/')) return send(r, error(404, 'NOT_FOUND', 'The requested resource does not exist.'), {});

    const key = bearer(r.req);
    if (key !== apiKey) return send(r, error(401, 'UNAUTHORIZED', 'Missing or invalid API key.'), {});

    // Doc: X-RateLimit-Limit/Remaining/Reset (Unix seconds) and 429 with Retry-After; sent on every authenticated response.
    const rl = limiter.take(key);
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(rl.limit),
      'x-ratelimit-remaining': String(rl.remaining),
      'x-ratelimit-reset': String(rl.resetAt),
    };
    if (!rl.allowed) {
      stats.rateLimited++;
      const s = rl.retryAfterSeconds;
      return send(r, error(429, 'RATE_LIMITED', `Rate limit exceeded. Retry after ${s} seconds.`, { retry_after: s }), { ...headers, 'retry-after': String(s) });
    }

    let body: Record<string, unknown> = {};
    if (r.method === 'POST' || r.method === 'PATCH') {
      let parsed: unknown;
      try {
        parsed = await readJson(r.req);
      } catch {
        return send(r, error(400, 'BAD_REQUEST', 'Malformed request body: not valid JSON.'), headers);
      }
      // Cancel takes no body; elsewhere a missing body is validated field by field.
      if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
        return send(r, error(400, 'BAD_REQUEST', 'Malformed request body: expected a JSON object.'), headers);
      }
      body = (parsed ?? {}) as Record<string, unknown>;
    }

    const parts = r.path.split('/').filter(Boolean).slice(1);
    // Doc: Idempotency-Key on every POST; a retry gets the original response, keys expire after 24 h.
    // The path is part of the fingerprint so one key cannot replay a different endpoint's answer.
    const idemKey = r.method === 'POST' ? r.req.headers['idempotency-key'] : undefined;
    if (typeof idemKey === 'string' && idemKey !== '') {
      const fingerprint = { path: r.path, body };
      const found = idempotency.lookup(key, idemKey, fingerprint);
      // Doc silent on a reused key with a different request: 422, as in the IETF Idempotency-Key
      // draft (the request cannot be processed as sent; 409 is kept for cancelling finished jobs).
      if (found === 'conflict') {
        return send(r, error(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.'), headers);
      }
      if (found) return send(r, found.value, { ...headers, 'idempotent-replayed': 'true' });
      const reply = route(r.method, parts, body);
      // Only successful answers are remembered (doc silent): a retry after a 4xx/5xx is processed again.
      if (reply.status < 300) idempotency.remember(key, idemKey, fingerprint, { status: reply.status, body: reply.body });
      if (reply.created && dropIfAsked(r, faults)) return;
      return send(r, reply, headers);
    }
    const reply = route(r.method, parts, body);
    if (reply.created && dropIfAsked(r, faults)) return;
    send(r, reply, headers);
  }

  const server = await startHttpServer(async (r) => {
    try {
      await handle(r);
    } catch (err) {
      if (r.res.headersSent) r.res.destroy();
      else send(r, error(500, 'INTERNAL_ERROR', `Something went wrong on our side: ${String(err)}`), {});
    }
  });
  origin = server.origin;

  return {
    url: `${origin}/v1`,
    origin,
    faults,
    stats,
    apiKey,
    jobs,
    avatars,
    webhookSecret,
    deliveries,
    deadLetters,
    close: async () => {
      closed = true;
      clearInterval(ticker);
      await server.close();
    },
  };
}
