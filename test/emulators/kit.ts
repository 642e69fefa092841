/**
 * Shared machinery for the provider emulators: a real HTTP server on 127.0.0.1, fault injection,
 * fixed-window rate limits with headers, idempotency records, a job clock and a real small MP4.
 * Each emulator (one file per provider) implements its API document on top of this.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { locateFfmpeg } from '../../src/render/ffmpeg/locate.js';

/** Faults to inject; each counter is decremented as it fires. Tests set them between requests. */
export interface Faults {
  /** The next N job-creating requests are committed (job stored, idempotency recorded), then the socket is destroyed without a response. */
  dropAfterCommit: number;
  /** The next N POST requests are read in full, then the socket is destroyed without acting on them (a request lost on the way in). */
  dropBeforeCommit: number;
  /** The next N GET requests get a 503 with `Retry-After: 0` (a client gives up after its retries, fast). */
  failReads: number;
  /** The next N requests get a 5xx with the provider's error envelope. */
  fail5xx: number;
  /** The next N requests get 429 with `Retry-After: retryAfterSeconds`. */
  storm429: number;
  retryAfterSeconds: number;
  /** Every response is delayed this long. */
  slowMs: number;
}

export interface Stats {
  requests: number;
  /** Jobs actually created (not idempotent replays). */
  jobsCreated: number;
  /** 429 responses sent because the rate limit was exceeded (not injected storms). */
  rateLimited: number;
  /** 429 responses sent by `storm429`. */
  injected429: number;
  /** Request count per "METHOD /path" (path without query). */
  byRoute: Record<string, number>;
  /** Highest number of jobs active (queued or processing) at once. */
  maxActiveJobs: number;
}

export interface Emulator {
  /** Base URL to pass as --base-url (includes the provider's documented path prefix, e.g. /api/v1). */
  url: string;
  /** The server's origin (http://127.0.0.1:port), for URLs outside the prefix. */
  origin: string;
  faults: Faults;
  stats: Stats;
  /** A valid API key for this emulator. */
  apiKey: string;
  close(): Promise<void>;
}

export interface Route {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
}

export const newFaults = (): Faults => ({ dropAfterCommit: 0, dropBeforeCommit: 0, failReads: 0, fail5xx: 0, storm429: 0, retryAfterSeconds: 1, slowMs: 0 });
export const newStats = (): Stats => ({ requests: 0, jobsCreated: 0, rateLimited: 0, injected429: 0, byRoute: {}, maxActiveJobs: 0 });

/**
 * Starts `handle` on 127.0.0.1 at a free port. The handler owns routing; throw nothing: answer errors
 * with the provider's envelope. Returns once the server listens.
 */
export async function startHttpServer(handle: (route: Route) => Promise<void>): Promise<{ origin: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    handle({ req, res, method: req.method ?? 'GET', path: url.pathname, query: url.searchParams }).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a JSON body; returns undefined for an empty body and throws SyntaxError for bad JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  return JSON.parse(body.toString('utf8')) as unknown;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Applies the delay, the dropped-request and the 5xx/429 faults. Returns true when it answered or dropped (the caller stops). */
export async function applyFaults(route: Route, emulator: Pick<Emulator, 'faults' | 'stats'>, errorBody: (status: number) => unknown): Promise<boolean> {
  const { faults, stats } = emulator;
  if (faults.slowMs > 0) await sleep(faults.slowMs);
  if (faults.dropBeforeCommit > 0 && route.method === 'POST') {
    faults.dropBeforeCommit--;
    await readBody(route.req);
    route.req.socket.destroy();
    return true;
  }
  if (faults.failReads > 0 && route.method === 'GET') {
    faults.failReads--;
    sendJson(route.res, 503, errorBody(503), { 'retry-after': '0' });
    return true;
  }
  if (faults.storm429 > 0) {
    faults.storm429--;
    stats.injected429++;
    sendJson(route.res, 429, errorBody(429), { 'retry-after': String(faults.retryAfterSeconds) });
    return true;
  }
  if (faults.fail5xx > 0) {
    faults.fail5xx--;
    sendJson(route.res, 503, errorBody(503));
    return true;
  }
  return false;
}

/** Call after committing a new job: true means the connection was dropped and the handler must stop. */
export function dropIfAsked(route: Route, faults: Faults): boolean {
  if (faults.dropAfterCommit <= 0) return false;
  faults.dropAfterCommit--;
  route.req.socket.destroy();
  return true;
}

export function countRequest(route: Route, stats: Stats): void {
  stats.requests++;
  const key = `${route.method} ${route.path}`;
  stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
}

/** A fixed-window rate limiter per key, as documented by providers that send X-RateLimit-* headers. */
export class FixedWindowLimiter {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key` and says whether it is allowed, with the values for the headers. */
  take(key: string): { allowed: boolean; limit: number; remaining: number; resetAt: number; retryAfterSeconds: number } {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now >= window.start + this.windowMs) {
      window = { start: Math.floor(now / this.windowMs) * this.windowMs, count: 0 };
      this.windows.set(key, window);
    }
    const resetAtMs = window.start + this.windowMs;
    const allowed = window.count < this.limit;
    if (allowed) window.count++;
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, this.limit - window.count),
      resetAt: Math.ceil(resetAtMs / 1000),
      retryAfterSeconds: Math.max(1, Math.ceil((resetAtMs - now) / 1000)),
    };
  }
}

/** Idempotency records: the same key (per API key) within 24 h replays the first response. */
export class IdempotencyStore<T> {
  private records = new Map<string, { at: number; fingerprint: string; value: T }>();

  /** The stored value for this key, or undefined. `conflict` when the key was used with a different body. */
  lookup(apiKey: string, key: string, body: unknown): { value: T } | 'conflict' | undefined {
    const record = this.records.get(`${apiKey}\u0000${key}`);
    if (!record || Date.now() - record.at > 24 * 3600_000) return undefined;
    return record.fingerprint === fingerprint(body) ? { value: record.value } : 'conflict';
  }

  remember(apiKey: string, key: string, body: unknown, value: T): void {
    this.records.set(`${apiKey}\u0000${key}`, { at: Date.now(), fingerprint: fingerprint(body), value });
  }
}

const fingerprint = (body: unknown) => createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');

/**
 * Where a job stands `elapsedMs` after creation, for a job that takes `durationMs`: queued for the
 * first 15%, then processing with progress rising to 100.
 */
export function jobProgress(elapsedMs: number, durationMs: number): { phase: 'queued' | 'processing' | 'done'; progress: number } {
  if (elapsedMs >= durationMs) return { phase: 'done', progress: 100 };
  const queuedFor = durationMs * 0.15;
  if (elapsedMs < queuedFor) return { phase: 'queued', progress: 0 };
  return { phase: 'processing', progress: Math.min(99, Math.floor(((elapsedMs - queuedFor) / (durationMs - queuedFor)) * 100)) };
}

let mp4: Promise<Buffer> | undefined;
/** A real, small MP4 (1 s, 360x640, H.264 + AAC) made once per process with the bundled ffmpeg. */
export function sampleMp4(): Promise<Buffer> {
  mp4 ??= (async () => {
    const dir = join(tmpdir(), 'ugc-emulator-media');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `sample-${process.pid}.mp4`);
    if (!(await stat(path).catch(() => null))) {
      const { ffmpeg } = await locateFfmpeg();
      await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=360x640:d=1:r=30', '-f', 'lavfi', '-i', 'sine=d=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', path]);
    }
    return readFile(path);
  })();
  return mp4;
}

/** Serves the sample MP4 (with Content-Length, so downloads can check the size). */
export async function sendMp4(res: ServerResponse): Promise<void> {
  const body = await sampleMp4();
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length });
  res.end(body);
}

export const newId = (prefix = ''): string => `${prefix}${randomUUID()}`;

/** The bearer token of an `Authorization: Bearer x` header, or undefined. */
export function bearer(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  return value?.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}
