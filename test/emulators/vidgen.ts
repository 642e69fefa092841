/**
 * Emulator of the self-hosted "vidgen" image + audio → video API, from its HTTP API document (health,
 * jobs, status, webhooks; no public base URL). Self-contained on purpose: `ugc serve` implements
 * the same API separately in src/, and this one must stay an independent check of it.
 *
 * vidgen is self-hosted, so there is no documented base URL: `url` is the bare origin and every path
 * below carries its own /api prefix.
 *
 *   GET  /api/health            200 { status: "ok" }, no key, no rate limit
 *   POST /api/jobs              multipart image + audio (+ webhookUrl) → 201 { message, jobId }
 *   GET  /api/jobs              cursor-paginated list, newest first
 *   GET  /api/status/:jobId     the status object
 *   POST /api/cancel/:jobId     PENDING → CANCELLED
 *   GET  /files/:jobId.mp4      the finished video (no key: the URL is what the API hands out)
 *   GET  /share/:jobId          a tiny HTML page for outputShareLink (no key)
 *
 * Where the document is silent the choices are marked "Doc silent" below.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  applyFaults,
  countRequest,
  dropIfAsked,
  FixedWindowLimiter,
  jobProgress,
  newFaults,
  newId,
  newStats,
  readBody,
  sendJson,
  sendMp4,
  startHttpServer,
  type Emulator,
  type Route,
} from './kit.js';

export type VidgenStatus = 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
const STATUSES: readonly VidgenStatus[] = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'];

export interface VidgenJob {
  id: string;
  apiKey: string;
  status: VidgenStatus;
  progress: number;
  webhookUrl: string | null;
  errorMessage: string | null;
  /** Set at creation from `failNext`: the job ends FAILED instead of COMPLETED. */
  willFail: boolean;
  createdAt: number;
  updatedAt: number;
  /** When the worker picked the job up (its clock starts); null while the queue is paused. */
  clockStart: number | null;
  /** Creation order, the tie-break for jobs created in the same millisecond. */
  seq: number;
}

export interface VidgenUpload {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface VidgenWebhookDelivery {
  jobId: string;
  url: string;
  body: string;
  signature: string;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  error?: string;
  /** True when the URL was not on 127.0.0.1/localhost: the emulator never calls other hosts. */
  skipped?: boolean;
}

export interface VidgenEmulatorOptions {
  apiKey?: string;
  /** From creation to COMPLETED/FAILED; kit's jobProgress keeps the first 15 % PENDING. Default 1500. */
  jobDurationMs?: number;
  /** The per-IP limit on all /api/* (documented: 600 / minute). */
  rateLimit?: { limit: number; windowMs: number };
  /** The per-IP limit on POST /api/jobs (documented: 30 / minute). */
  submitRateLimit?: { limit: number; windowMs: number };
  webhookSecret?: string;
  /** Tests only: accept http:// webhook URLs (the document rejects them with 400) so a plain local receiver works. */
  allowHttpWebhooks?: boolean;
  /** Per-file upload limit (documented: 50 MB). Lower it in tests to reach 413 cheaply. */
  maxFileBytes?: number;
}

export interface VidgenEmulator extends Emulator {
  jobs: Map<string, VidgenJob>;
  /** The uploaded files per job id, byte for byte. */
  uploads: Map<string, { image: VidgenUpload; audio: VidgenUpload }>;
  /** Every webhook attempt (one per finished job that had a webhookUrl). */
  webhooks: VidgenWebhookDelivery[];
  webhookSecret: string;
  /** Keys that authenticate; add one for a second account, delete one to "deactivate" it. */
  apiKeys: Set<string>;
  /** The next N created jobs end FAILED. */
  failNext: number;
  /** New jobs stay PENDING (no worker picks them up) until resumeQueue(): makes cancel tests deterministic. */
  pauseQueue(): void;
  resumeQueue(): void;
}

const MB = 1024 * 1024;
const TOO_MANY = 'Too many requests, please try again later.';

export async function startVidgenEmulator(options: VidgenEmulatorOptions = {}): Promise<VidgenEmulator> {
  const durationMs = options.jobDurationMs ?? 1500;
  const maxFileBytes = options.maxFileBytes ?? 50 * MB;
  const apiLimiter = new FixedWindowLimiter(options.rateLimit?.limit ?? 600, options.rateLimit?.windowMs ?? 60_000);
  const submitLimiter = new FixedWindowLimiter(options.submitRateLimit?.limit ?? 30, options.submitRateLimit?.windowMs ?? 60_000);
  const timers = new Set<NodeJS.Timeout>();
  let paused = false;
  let seq = 0;

  const emu: VidgenEmulator = {
    url: '',
    origin: '',
    faults: newFaults(),
    stats: newStats(),
    apiKey: options.apiKey ?? 'vg_test_key',
    jobs: new Map(),
    uploads: new Map(),
    webhooks: [],
    webhookSecret: options.webhookSecret ?? randomBytes(24).toString('hex'),
    apiKeys: new Set(),
    failNext: 0,
    pauseQueue: () => {
      paused = true;
    },
    resumeQueue: () => {
      paused = false;
      for (const job of emu.jobs.values()) if (job.status === 'PENDING' && job.clockStart === null) startClock(job);
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await server.close();
    },
  };
  emu.apiKeys.add(emu.apiKey);

  // ---- job clock ----

  function startClock(job: VidgenJob): void {
    job.clockStart = Date.now();
    // The timer finishes the job even if nobody polls, so webhooks go out on time.
    const timer = setTimeout(() => {
      timers.delete(timer);
      finish(job);
    }, durationMs);
    timers.add(timer);
  }

  /** Brings a job's stored state up to date with its clock (reads call this before answering). */
  function advance(job: VidgenJob): void {
    if (job.status !== 'PENDING' && job.status !== 'PROCESSING') return;
    if (job.clockStart === null) return;
    const { phase, progress } = jobProgress(Date.now() - job.clockStart, durationMs);
    if (phase === 'done') return finish(job);
    if (phase === 'processing') {
      if (job.status !== 'PROCESSING') job.updatedAt = Date.now();
      job.status = 'PROCESSING';
      job.progress = progress;
    }
  }

  function finish(job: VidgenJob): void {
    if (job.status !== 'PENDING' && job.status !== 'PROCESSING') return; // cancelled, or already finished
    job.updatedAt = Date.now();
    if (job.willFail) {
      job.status = 'FAILED';
      job.errorMessage = 'Video generation failed: the render worker exited unexpectedly';
    } else {
      job.status = 'COMPLETED';
      job.progress = 100;
    }
    if (job.webhookUrl) void deliverWebhook(job, job.webhookUrl);
  }

  const activeJobs = (apiKey?: string) =>
    [...emu.jobs.values()].filter((job) => {
      advance(job);
      return (apiKey === undefined || job.apiKey === apiKey) && (job.status === 'PENDING' || job.status === 'PROCESSING');
    });

  // ---- shapes ----

  /** GET /api/status/:jobId, and the webhook body. */
  const statusObject = (job: VidgenJob) => ({
    jobId: job.id,
    status: job.status,
    progress: job.progress,
    outputVideo: job.status === 'COMPLETED' ? `${emu.origin}/files/${job.id}.mp4` : null,
    outputShareLink: job.status === 'COMPLETED' ? `${emu.origin}/share/${job.id}` : null,
    errorMessage: job.errorMessage,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
  });

  /** One entry of GET /api/jobs: the document shows `id` (not jobId), retries and webhookUrl, no progress. */
  const listItem = (job: VidgenJob) => {
    const s = statusObject(job);
    return {
      id: s.jobId,
      status: s.status,
      outputVideo: s.outputVideo,
      outputShareLink: s.outputShareLink,
      errorMessage: s.errorMessage,
      retries: 0, // the emulator never retries a render
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      webhookUrl: job.webhookUrl,
    };
  };

  // ---- webhooks ----

  /**
   * One attempt, no retries (the document describes none). Only 127.0.0.1/localhost are ever called:
   * a job whose webhookUrl names another host is recorded as skipped.
   */
  async function deliverWebhook(job: VidgenJob, url: string): Promise<void> {
    const body = JSON.stringify(statusObject(job));
    const signature = createHmac('sha256', emu.webhookSecret).update(body).digest('hex');
    const delivery: VidgenWebhookDelivery = { jobId: job.id, url, body, signature };
    emu.webhooks.push(delivery);
    const host = new URL(url).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost') {
      delivery.skipped = true;
      return;
    }
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
        body,
        signal: AbortSignal.timeout(5000),
      });
      delivery.status = res.status;
      await res.arrayBuffer();
    } catch (error) {
      delivery.error = String(error);
    }
  }

  // ---- request handling ----

  const error = (route: Route, status: number, message: string, headers: Record<string, string> = {}) =>
    sendJson(route.res, status, { error: message }, headers);

  /** IETF draft RateLimit-* headers; Reset is seconds until the window ends. No RateLimit-Policy: the document doesn't show one. */
  const rateHeaders = (r: ReturnType<FixedWindowLimiter['take']>): Record<string, string> => ({
    'RateLimit-Limit': String(r.limit),
    'RateLimit-Remaining': String(r.remaining),
    'RateLimit-Reset': String(r.retryAfterSeconds),
  });

  async function handle(route: Route): Promise<void> {
    const { method, path, res } = route;
    countRequest(route, emu.stats);
    if (await applyFaults(route, emu, (status) => ({ error: status === 429 ? TOO_MANY : 'Internal server error' }))) return;

    if (method === 'GET' && path === '/api/health') return sendJson(res, 200, { status: 'ok' });

    let match: RegExpExecArray | null;
    if ((method === 'GET' || method === 'HEAD') && (match = /^\/files\/([^/]+)\.mp4$/.exec(path))) {
      const job = emu.jobs.get(match[1] ?? '');
      if (job) advance(job);
      if (job?.status !== 'COMPLETED') return error(route, 404, 'File not found');
      return sendMp4(res);
    }
    if (method === 'GET' && (match = /^\/share\/([^/]+)$/.exec(path))) {
      const job = emu.jobs.get(match[1] ?? '');
      if (job) advance(job);
      if (job?.status !== 'COMPLETED') return error(route, 404, 'Not found');
      const html = `<!doctype html><title>vidgen ${job.id}</title><video controls src="/files/${job.id}.mp4"></video>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return;
    }
    if (!path.startsWith('/api/')) return error(route, 404, 'Not found');

    // Per-IP limits come before authentication (express-style middleware order), so 401s count and carry headers.
    const ip = route.req.socket.remoteAddress ?? 'unknown';
    const general = apiLimiter.take(ip);
    if (!general.allowed) return tooMany(route, general);
    let headers = rateHeaders(general);
    if (method === 'POST' && path === '/api/jobs') {
      const submit = submitLimiter.take(ip);
      if (!submit.allowed) return tooMany(route, submit);
      // Show whichever scope is closer to its limit.
      if (submit.remaining <= general.remaining) headers = rateHeaders(submit);
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);

    const key = headerValue(route.req, 'x-api-key');
    if (!key) return error(route, 401, 'Missing X-API-Key header');
    if (!emu.apiKeys.has(key)) return error(route, 401, 'API key not recognized or has been deactivated');

    if (path === '/api/jobs' && method === 'POST') return createJob(route, key);
    if (path === '/api/jobs' && method === 'GET') return listJobs(route, key);
    if (method === 'GET' && (match = /^\/api\/status\/([^/]+)$/.exec(path))) {
      const job = ownJob(match[1], key);
      if (!job) return error(route, 404, 'Job not found');
      return sendJson(res, 200, statusObject(job));
    }
    if (method === 'POST' && (match = /^\/api\/cancel\/([^/]+)$/.exec(path))) {
      const job = ownJob(match[1], key);
      if (!job) return error(route, 404, 'Job not found');
      if (job.status !== 'PENDING') return error(route, 409, `Job cannot be cancelled in its current state (${job.status})`);
      job.status = 'CANCELLED';
      job.updatedAt = Date.now();
      return sendJson(res, 200, { success: true, message: 'Job cancelled successfully' });
    }
    return error(route, 404, 'Not found');
  }

  function tooMany(route: Route, r: ReturnType<FixedWindowLimiter['take']>): void {
    emu.stats.rateLimited++;
    error(route, 429, TOO_MANY, { ...rateHeaders(r), 'Retry-After': String(r.retryAfterSeconds) });
  }

  /** Another key's job is a 404, as the document says ("doesn't exist or doesn't belong to you"). */
  function ownJob(id: string | undefined, apiKey: string): VidgenJob | undefined {
    const job = id === undefined ? undefined : emu.jobs.get(id);
    if (!job || job.apiKey !== apiKey) return undefined;
    advance(job);
    return job;
  }

  async function createJob(route: Route, apiKey: string): Promise<void> {
    const type = headerValue(route.req, 'content-type') ?? '';
    const boundary = /^multipart\/form-data\s*;.*?\bboundary=(?:"([^"]+)"|([^\s;]+))/i.exec(type);
    const body = await readBody(route.req);
    if (!boundary) return error(route, 400, 'Expected a multipart/form-data body');
    const parts = parseMultipart(body, boundary[1] ?? boundary[2] ?? '');
    if (!parts) return error(route, 400, 'Malformed multipart/form-data body');

    const files: Partial<Record<'image' | 'audio', VidgenUpload>> = {};
    let webhookUrl: string | null = null;
    for (const field of ['image', 'audio'] as const) {
      const found = parts.filter((part) => part.name === field);
      if (found.length > 1) return error(route, 400, `Only one ${field} file is allowed`);
      const part = found[0];
      if (!part || part.filename === undefined) return error(route, 400, `Missing required file: ${field}`);
      if (part.data.length === 0) return error(route, 400, `The ${field} file is empty`);
      if (part.data.length > maxFileBytes) return error(route, 413, `The ${field} file exceeds the ${Math.round(maxFileBytes / MB)} MB limit`);
      const sniffed = field === 'image' ? sniffImage(part.data) : sniffAudio(part.data);
      if (!sniffed) {
        const accepted = field === 'image' ? 'image/jpeg, image/png, image/webp' : 'mp3, wav, m4a, ogg';
        return error(route, 415, `Unsupported ${field} type: accepts ${accepted}`);
      }
      files[field] = { filename: part.filename, contentType: sniffed, data: part.data };
    }
    const hook = parts.find((part) => part.name === 'webhookUrl' && part.filename === undefined);
    if (hook && hook.data.length > 0) {
      webhookUrl = hook.data.toString('utf8').trim();
      if (!validWebhookUrl(webhookUrl)) return error(route, 400, 'Invalid webhookUrl: it must be an https:// URL');
    }
    const { image, audio } = files;
    if (!image || !audio) return error(route, 400, 'Missing required file');

    // Checked after the body is read and validated, right before the insert (no await in between).
    if (activeJobs(apiKey).length > 0) return error(route, 409, 'You already have an active job. Wait for it to finish or cancel it first.');

    const now = Date.now();
    const job: VidgenJob = {
      id: newId('c').replaceAll('-', ''),
      apiKey,
      status: 'PENDING',
      progress: 0,
      webhookUrl,
      errorMessage: null,
      willFail: emu.failNext > 0,
      createdAt: now,
      updatedAt: now,
      clockStart: null,
      seq: seq++,
    };
    if (job.willFail) emu.failNext--;
    emu.jobs.set(job.id, job);
    emu.uploads.set(job.id, { image, audio });
    emu.stats.jobsCreated++;
    emu.stats.maxActiveJobs = Math.max(emu.stats.maxActiveJobs, activeJobs().length);
    if (!paused) startClock(job);
    if (dropIfAsked(route, emu.faults)) return;
    // Doc silent on the code: 201 for a created resource.
    sendJson(route.res, 201, { message: 'Job created', jobId: job.id });
  }

  function validWebhookUrl(value: string): boolean {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    return url.protocol === 'https:' || (options.allowHttpWebhooks === true && url.protocol === 'http:');
  }

  /**
   * Doc silent on the cursor: it is the id of the first job of the next page (Prisma style, inclusive),
   * located in the key's full newest-first list before the status filter applies, so a job changing status
   * between pages neither repeats nor loses rows. An unknown cursor is 400; limit outside 1–100 is 400.
   */
  function listJobs(route: Route, apiKey: string): void {
    const { query } = route;
    const limitText = query.get('limit');
    const limit = limitText === null ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return error(route, 400, 'limit must be an integer between 1 and 100');
    const status = query.get('status');
    if (status !== null && !STATUSES.includes(status as VidgenStatus)) return error(route, 400, `status must be one of ${STATUSES.join(', ')}`);
    const all = [...emu.jobs.values()].filter((job) => job.apiKey === apiKey).sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
    for (const job of all) advance(job);
    const cursor = query.get('cursor');
    const start = cursor ? all.findIndex((job) => job.id === cursor) : 0;
    if (start < 0) return error(route, 400, 'Invalid cursor');
    const matching = all.slice(start).filter((job) => status === null || job.status === status);
    const page = matching.slice(0, limit);
    const next = matching[limit];
    sendJson(route.res, 200, {
      jobs: page.map(listItem),
      pagination: { limit, nextCursor: next?.id ?? null, hasNextPage: next !== undefined },
    });
  }

  const server = await startHttpServer(handle);
  emu.origin = server.origin;
  emu.url = server.origin; // vidgen paths carry their own /api prefix
  return emu;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

// ---- multipart/form-data (RFC 7578), just enough for this API ----

export interface MultipartPart {
  name: string;
  /** Present for file parts (even an empty filename=""), absent for plain fields. */
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/**
 * Splits a multipart body on `--boundary`. Part bodies are binary and kept byte for byte: a part ends
 * only at CRLF + "--" + boundary. Returns undefined when the body is malformed (no opening delimiter,
 * a part without a header block or a name, or no closing delimiter).
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] | undefined {
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const between = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  // The first delimiter may be preceded by a preamble, which must end with CRLF.
  if (pos < 0 || (pos > 0 && body.subarray(pos - 2, pos).toString('latin1') !== '\r\n')) return undefined;
  pos += delimiter.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') return parts; // closing delimiter
    // Transport padding (spaces/tabs) may follow a delimiter, then CRLF.
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n') return undefined;
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) return undefined;
    const headers = new Map<string, string>();
    for (const line of body.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const dataStart = headerEnd + 4;
    // A delimiter line is CRLF--boundary followed by "--", padding or CRLF; anything else is data.
    let dataEnd = body.indexOf(between, dataStart);
    while (dataEnd >= 0 && !/^(--|[ \t]*\r\n)/.test(ascii(body, dataEnd + between.length, dataEnd + between.length + 80))) {
      dataEnd = body.indexOf(between, dataEnd + 1);
    }
    if (dataEnd < 0) return undefined;
    const disposition = headers.get('content-disposition') ?? '';
    const name = dispositionParam(disposition, 'name');
    if (!/^form-data\b/i.test(disposition) || name === undefined) return undefined;
    const part: MultipartPart = { name, data: Buffer.from(body.subarray(dataStart, dataEnd)) };
    const filename = dispositionParam(disposition, 'filename');
    if (filename !== undefined) part.filename = filename;
    const contentType = headers.get('content-type');
    if (contentType !== undefined) part.contentType = contentType;
    parts.push(part);
    pos = dataEnd + between.length;
  }
}

function dispositionParam(disposition: string, param: string): string | undefined {
  const match = new RegExp(`;\\s*${param}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(disposition);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? '');
}

// ---- content sniffing ----

const ascii = (data: Buffer, start: number, end: number) => data.subarray(start, end).toString('latin1');

/** The image type by magic bytes: PNG, JPEG or WebP; undefined otherwise. */
export function sniffImage(data: Buffer): string | undefined {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 12 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** The audio type by signature: WAV, MP3 (ID3 tag or MPEG frame sync), M4A (ISO BMFF `ftyp`) or OGG. */
export function sniffAudio(data: Buffer): string | undefined {
  if (data.length >= 12 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WAVE') return 'audio/wav';
  if (data.length >= 3 && ascii(data, 0, 3) === 'ID3') return 'audio/mpeg';
  if (data.length >= 2 && data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0 && ((data[1] ?? 0) & 0x06) !== 0) return 'audio/mpeg';
  if (data.length >= 8 && ascii(data, 4, 8) === 'ftyp') return 'audio/mp4';
  if (data.length >= 4 && ascii(data, 0, 4) === 'OggS') return 'audio/ogg';
  return undefined;
}
