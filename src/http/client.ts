import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch, type FormData, type Response } from 'undici';
import { tempPathFor } from '../core/atomic-write.js';
import { InterruptedError, UgcError } from '../core/errors.js';
import { redactUrl } from '../core/redact-url.js';
import { NetworkError, ProviderError, type ProviderErrorBody } from './errors.js';
import { trackerFor, type RateLimitTracker } from './ratelimit.js';

export interface HttpClientOptions {
  /** Provider name, for messages. */
  provider: string;
  baseUrl: string;
  /** Where the key goes; null for unauthenticated use. */
  auth: { header: 'authorization' | 'x-api-key' | 'xi-api-key'; key: string } | null;
  /** What to do about a refused key (401/403), when not `ugc login` or UGC_API_KEY (e.g. a speech engine's own variable). */
  authHint?: string;
  /** Where every POST's idempotency key goes: a header (`Idempotency-Key`), a body field (`idempotency_key`), or nowhere. */
  idempotency: 'header' | 'body' | 'none';
  /**
   * False for a provider that does not deduplicate a resent POST: a POST whose answer never came (the
   * connection broke after the request went out, or timed out) is not sent again, since the provider
   * may have acted on it; the NetworkError goes to the caller, who finds out what it did. A POST that
   * never reached the provider (connection refused, no such host) is still retried. Default true.
   */
  resendUnansweredPosts?: boolean;
  /** Reads the provider's error envelope. */
  parseError: (status: number, body: unknown) => ProviderErrorBody;
  /** A 409 that means "busy, try later" rather than a real conflict (vidgen's one active job). */
  isBusy?: (status: number, body: unknown) => boolean;
  timeoutMs?: number;
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  /** Total time a request may spend waiting between attempts. */
  maxWaitMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  debug?: (line: string) => void;
  /** Told before each wait for a retry, so a person sees why nothing happens (`retrying in 4 s (connection refused)`). */
  onRetry?: (retry: { delayMs: number; reason: string }) => void;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | null | undefined>;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** For POSTs: reuse this key (e.g. `--idempotency-key`, or one derived from a batch row); else a new one. */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** False when a resend could duplicate work the provider cannot deduplicate (the caller reconciles instead). */
  retryNetworkErrors?: boolean;
  /** Return the body as bytes (audio), not parsed as JSON or text. */
  bytes?: boolean;
  /** Overrides for a request that may legitimately wait long (e.g. for a busy provider to free up). */
  maxAttempts?: number;
  maxWaitMs?: number;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });

/**
 * The one HTTP client every provider adapter uses. It retries what is safe to retry — connection
 * errors, timeouts, 408, 429, 5xx and "busy" 409s — with exponential backoff and jitter, honouring
 * `Retry-After`; it sends every retry of a POST with the same idempotency key, and resends a POST whose
 * answer was lost only to providers that document deduplicating it (`resendUnansweredPosts`); it paces
 * requests by the provider's rate-limit headers; and it turns error envelopes into ProviderError (mapped to exit codes).
 */
export class HttpClient {
  private readonly scope: string;
  private clockOffsetMs: number | null = null;

  constructor(private readonly options: HttpClientOptions) {
    this.scope = `${options.provider}:${options.auth ? fingerprint(options.auth.key) : 'anonymous'}`;
  }

  /**
   * Providers keep separate buckets per endpoint (UnrealUGC: generation POSTs apart from the rest), so
   * limits are tracked per key and route: the method and the first path segment under the base URL.
   */
  private limiterFor(method: string, url: string): RateLimitTracker {
    const base = new URL(this.options.baseUrl).pathname.replace(/\/+$/, '');
    const path = new URL(url).pathname;
    const rest = path.startsWith(base) ? path.slice(base.length) : path;
    return trackerFor(`${this.scope}:${method} ${rest.split('/').filter(Boolean)[0] ?? ''}`);
  }

  /** The provider this client talks to, by its `--provider` name. */
  get provider(): string {
    return this.options.provider;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /**
   * How far the provider's clock is ahead of ours (ms), from the `Date` header of its last answer, or null
   * before any. Times the provider reports (a job's `createdAt`) compare with ours after subtracting it.
   */
  get serverClockOffsetMs(): number | null {
    return this.clockOffsetMs;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>('POST', path, options);
  }

  put<T>(path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>('PUT', path, options);
  }

  delete<T>(path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>('DELETE', path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'ugc-cli', ...options.headers };
    if (this.options.auth) headers[this.options.auth.header] = this.options.auth.header === 'authorization' ? `Bearer ${this.options.auth.key}` : this.options.auth.key;
    let json = options.json;
    if (method === 'POST' && this.options.idempotency !== 'none') {
      const key = options.idempotencyKey ?? randomUUID();
      if (this.options.idempotency === 'header') headers['idempotency-key'] = key;
      else if (options.form) options.form.set('idempotency_key', key);
      else json = { ...(json as object), idempotency_key: key };
    }
    if (json !== undefined) headers['content-type'] = 'application/json';
    const body = json !== undefined ? JSON.stringify(json) : options.form;

    const response = await this.send(method, url, headers, body, options);
    const data = options.bytes ? Buffer.from(await response.arrayBuffer()) : await readBody(response);
    return { status: response.status, headers: response.headers, data: data as T };
  }

  /** Sends raw bytes to a presigned URL (another origin: no API key), with the headers the provider asked for. */
  async sendRaw(url: string, method: string, body: Buffer, headers: Record<string, string>, signal?: AbortSignal): Promise<void> {
    const response = await this.send(method, url, headers, body, { signal });
    await response.body?.cancel();
  }

  /** Streams `url` to `destination` (temp file, size checked, renamed into place). Sends the key only to the API's own origin. */
  async download(url: string, destination: string, options: { signal?: AbortSignal; onProgress?: (received: number, total: number | null) => void } = {}): Promise<number> {
    const headers: Record<string, string> = {};
    if (this.options.auth && new URL(url).origin === new URL(this.options.baseUrl).origin) {
      headers[this.options.auth.header] = this.options.auth.header === 'authorization' ? `Bearer ${this.options.auth.key}` : this.options.auth.key;
    }
    const response = await this.send('GET', url, headers, undefined, { signal: options.signal }).catch((error: unknown) => {
      if (!(error instanceof ProviderError)) throw error;
      throw new UgcError(`${this.options.provider}: downloading the video failed (HTTP ${error.status})`, { code: 'download_failed', hint: 'Run `ugc watch <id>` again to retry the download.' });
    });
    if (!response.body) throw new UgcError(`${this.options.provider}: the video download was empty`, { code: 'download_failed' });
    const total = Number(response.headers.get('content-length')) || null;
    await mkdir(dirname(destination), { recursive: true });
    const temp = tempPathFor(destination);
    let received = 0;
    const source = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
    source.on('data', (chunk: Buffer) => {
      received += chunk.length;
      options.onProgress?.(received, total);
    });
    try {
      await pipeline(source, createWriteStream(temp), { signal: options.signal });
      const size = (await stat(temp)).size;
      if (size === 0 || (total !== null && size !== total)) {
        throw new UgcError(`${this.options.provider}: the download was incomplete (${size} of ${total ?? '?'} bytes)`, { code: 'download_incomplete', hint: 'Run `ugc watch <id>` again to retry the download.' });
      }
      await rename(temp, destination);
      return size;
    } catch (error) {
      await rm(temp, { force: true });
      if (options.signal?.aborted) throw new InterruptedError('the download was interrupted; no file was written');
      throw error;
    }
  }

  /**
   * The one retry loop: sends until a 2xx (returned with its body unread), retrying connection errors,
   * timeouts, retryable statuses and busy 409s with backoff, within the attempt and total-wait caps.
   * Anything else becomes a ProviderError (from the error envelope) or a NetworkError.
   */
  private async send(method: string, url: string, headers: Record<string, string>, body: string | FormData | Buffer | undefined, options: Omit<RequestOptions, 'query' | 'json' | 'form' | 'headers' | 'idempotencyKey' | 'bytes'>): Promise<Response> {
    const maxAttempts = options.maxAttempts ?? this.options.maxAttempts ?? 5;
    const maxWait = options.maxWaitMs ?? this.options.maxWaitMs ?? 60_000;
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(method, url, headers, body, options.signal);
      let delay: number;
      if (outcome.kind === 'response') {
        const { response } = outcome;
        if (response.ok) return response;
        const data = await readBody(response);
        const retryable = RETRYABLE_STATUS.has(response.status) || (response.status === 409 && Boolean(this.options.isBusy?.(409, data)));
        delay = this.delayFor(attempt, response.headers);
        if (response.status === 429) this.limiterFor(method, url).block(delay);
        if (!retryable || attempt >= maxAttempts || waited + delay > maxWait) {
          const hint = response.status === 401 || response.status === 403 ? this.options.authHint : undefined;
          throw new ProviderError(this.options.provider, response.status, this.redactBody(this.options.parseError(response.status, data)), hint);
        }
        this.log(`retrying ${method} ${redactUrl(url)} in ${delay} ms after HTTP ${response.status}`);
        this.options.onRetry?.({ delayMs: delay, reason: `HTTP ${response.status}` });
      } else {
        delay = this.delayFor(attempt, null);
        const resend = options.retryNetworkErrors ?? (method !== 'POST' || this.options.resendUnansweredPosts !== false || neverSent(outcome.error));
        if (!resend || attempt >= maxAttempts || waited + delay > maxWait) throw new NetworkError(this.options.provider, `${method} ${redactUrl(url)}`, outcome.error);
        this.log(`retrying ${method} ${redactUrl(url)} in ${delay} ms after ${describe(outcome.error)}`);
        this.options.onRetry?.({ delayMs: delay, reason: networkReason(outcome.error) });
      }
      waited += delay;
      await this.pause(delay, options.signal);
    }
  }

  private async attempt(method: string, url: string, headers: Record<string, string>, body: string | FormData | Buffer | undefined, signal?: AbortSignal): Promise<{ kind: 'response'; response: Response } | { kind: 'error'; error: unknown }> {
    signal?.throwIfAborted();
    const limiter = this.limiterFor(method, url);
    await limiter.acquire(signal);
    const started = Date.now();
    this.log(`→ ${method} ${redactUrl(url)}`);
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    try {
      const response = await fetch(url, { method, headers, body, dispatcher: agent, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      limiter.release(response.headers);
      this.noteServerClock(response.headers.get('date'), started);
      this.log(`← ${response.status} ${method} ${redactUrl(url)} (${Date.now() - started} ms)`);
      return { kind: 'response', response };
    } catch (error) {
      limiter.release(null);
      if (signal?.aborted) throw new InterruptedError('the request was interrupted');
      this.log(`← ${describe(error)} ${method} ${redactUrl(url)} (${Date.now() - started} ms)`);
      return { kind: 'error', error };
    }
  }

  /** The `Date` header has whole seconds: the server's time lies within the second after it, so take the middle. */
  private noteServerClock(header: string | null, sentAt: number): void {
    const date = Date.parse(header ?? '');
    if (Number.isFinite(date)) this.clockOffsetMs = date + 500 - (sentAt + Date.now()) / 2;
  }

  /** `Retry-After` (seconds or an HTTP date) or `retry-after-ms` when given; else 0.5 s doubling to 8 s, with jitter. */
  private delayFor(attempt: number, headers: Headers | null): number {
    const afterMs = Number(headers?.get('retry-after-ms'));
    if (Number.isFinite(afterMs) && afterMs > 0) return afterMs;
    const after = headers?.get('retry-after');
    if (after) {
      const seconds = Number(after);
      const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(after) - Date.now();
      if (Number.isFinite(ms) && ms >= 0) return Math.round(ms + Math.random() * 100);
    }
    const ceiling = Math.min(this.options.maxDelayMs ?? 8_000, (this.options.baseDelayMs ?? 500) * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private async pause(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await sleep(ms, undefined, { signal });
    } catch {
      throw new InterruptedError('the request was interrupted');
    }
  }

  private url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(/^https?:\/\//.test(path) ? path : `${this.options.baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    return url.toString();
  }

  private log(line: string): void {
    this.options.debug?.(this.redact(line));
  }

  /** Keys never leave through messages: a provider that echoes the key gets it blanked. */
  redact(text: string): string {
    const key = this.options.auth?.key;
    return key && key.length >= 6 ? text.split(key).join('[redacted]') : text;
  }

  private redactBody(body: ProviderErrorBody): ProviderErrorBody {
    return { ...body, message: this.redact(body.message) };
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describe(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.name : 'error');
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection broken',
  TimeoutError: 'no answer in time',
};

/** A network failure as a person reads it. */
const networkReason = (error: unknown): string => NETWORK_REASONS[describe(error)] ?? describe(error);

const errorCode = (error: unknown): string | undefined => (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;

/** Failures before a connection existed: the request cannot have reached the provider. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const neverSent = (error: unknown): boolean => NOT_CONNECTED.has(errorCode(error) ?? '');

function fingerprint(key: string): string {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return (hash >>> 0).toString(36);
}
