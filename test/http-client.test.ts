import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, type HttpClientOptions } from '../src/http/client.js';
import type { UgcError } from '../src/core/errors.js';
import { ProviderError } from '../src/http/errors.js';
import { cursorPages } from '../src/http/paginate.js';
import { readErrorEnvelope } from '../src/providers/envelopes.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let close: (() => Promise<void>) | null = null;

/** A real server on 127.0.0.1 answering with `handler`; returns its URL. */
async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  await close?.();
  close = null;
});

const client = (baseUrl: string, extra: Partial<HttpClientOptions> = {}) =>
  new HttpClient({ provider: `test-${Math.random()}`, baseUrl, auth: { header: 'authorization', key: 'sk_secret_12345' }, idempotency: 'header', parseError: readErrorEnvelope, baseDelayMs: 20, maxDelayMs: 50, ...extra });

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('HttpClient', () => {
  it('retries 5xx with the same idempotency key, and succeeds', async () => {
    const keys: string[] = [];
    const url = await serve((req, res) => {
      keys.push(String(req.headers['idempotency-key']));
      if (keys.length < 3) json(res, 503, { error: { code: 'busy', message: 'try later' } });
      else json(res, 201, { id: 'x' });
    });
    const response = await client(url).post<{ id: string }>('/jobs', { json: { a: 1 } });
    expect(response.data.id).toBe('x');
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
  });

  it('tells onRetry before each wait, with the delay and why (for the visible "retrying in …" line)', async () => {
    let calls = 0;
    const url = await serve((_req, res) => (++calls < 3 ? json(res, 503, { error: { message: 'busy' } }, { 'retry-after': '0' }) : json(res, 200, { ok: true })));
    const retries: { delayMs: number; reason: string }[] = [];
    await client(url, { onRetry: (retry) => retries.push(retry) }).get('/x');
    expect(retries.map((r) => r.reason)).toEqual(['HTTP 503', 'HTTP 503']);
    expect(retries.every((r) => r.delayMs >= 0 && r.delayMs < 1000)).toBe(true);
  });

  it('puts the key in the body for providers that want it there (U-Gen)', async () => {
    const bodies: Record<string, unknown>[] = [];
    const url = await serve((_req, res, body) => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      json(res, 200, {});
    });
    await client(url, { idempotency: 'body' }).post('/jobs', { json: { a: 1 }, idempotencyKey: 'row-7' });
    expect(bodies[0]).toEqual({ a: 1, idempotency_key: 'row-7' });
  });

  it('never retries other 4xx, and maps them to exit codes', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      json(res, 422, { error: { code: 'invalid', message: 'script is too short' } });
    });
    const error = await client(url).post('/jobs', { json: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).exitCode).toBe(2);
    expect((error as ProviderError).message).toMatch(/script is too short/);
    expect(calls).toBe(1);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      if (calls === 1) json(res, 429, { error: 'slow down' }, { 'retry-after': new Date(Date.now() + 1500).toUTCString() });
      else json(res, 200, { ok: true });
    });
    const started = Date.now();
    await client(url).get('/x');
    // HTTP dates have one-second resolution: the wait is at least ~0.5 s, never the 20 ms backoff.
    expect(Date.now() - started).toBeGreaterThan(400);
    expect(calls).toBe(2);
  });

  it('gives up after the attempt cap with the provider\'s message', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      json(res, 500, { error: { code: 'boom', message: 'internal' } });
    });
    const error = (await client(url, { maxAttempts: 3 }).get('/x').catch((e: unknown) => e)) as ProviderError;
    expect(error.status).toBe(500);
    expect(error.exitCode).toBe(1);
    expect(calls).toBe(3);
  });

  it('slows down before the provider says 429, from its rate-limit headers', async () => {
    const windowMs = 1000;
    const limit = 5;
    let windowStart = Date.now();
    let count = 0;
    let refused = 0;
    const url = await serve((_req, res) => {
      const now = Date.now();
      if (now >= windowStart + windowMs) {
        windowStart = now;
        count = 0;
      }
      count++;
      const headers = { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(Math.max(0, limit - count)), 'x-ratelimit-reset': String(Math.ceil((windowStart + windowMs) / 1000)) };
      if (count > limit) {
        refused++;
        json(res, 429, { error: 'rate limited' }, { ...headers, 'retry-after': '1' });
      } else json(res, 200, {}, headers);
    });
    const http = client(url);
    await http.get('/x'); // learns this route's limit
    await Promise.all(Array.from({ length: 12 }, () => http.get('/x')));
    expect(refused).toBe(0);
  });

  it('resends a POST whose answer was lost only where the provider deduplicates it (resendUnansweredPosts)', async () => {
    let calls = 0;
    const url = await serve((req, res) => {
      calls++;
      if (calls === 1) req.socket.destroy(); // the request arrived; its answer never leaves
      else json(res, 201, { id: 'x' });
    });
    const error = (await client(url, { resendUnansweredPosts: false }).post('/jobs', { json: {} }).catch((e: unknown) => e)) as UgcError;
    expect(error.code).toBe('network_error');
    expect(calls).toBe(1);
    // The same loss with a provider that deduplicates: resent with the same key.
    calls = 0;
    expect((await client(url).post<{ id: string }>('/jobs', { json: {} })).data.id).toBe('x');
    expect(calls).toBe(2);
  });

  it('retries a POST that never reached the provider (connection refused), even where it does not deduplicate', async () => {
    const refused = await serve((_req, res) => json(res, 200, {}));
    await close?.();
    close = null;
    let attempts = 0;
    const error = (await client(refused, { resendUnansweredPosts: false, maxAttempts: 3, debug: (line) => void (line.startsWith('→') && attempts++) }).post('/jobs', { json: {} }).catch((e: unknown) => e)) as UgcError;
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(attempts).toBe(3);
  });

  it('reads the provider\'s clock from its Date header', async () => {
    const url = await serve((_req, res) => json(res, 200, {}, { date: new Date(Date.now() - 90_000).toUTCString() }));
    const http = client(url);
    expect(http.serverClockOffsetMs).toBeNull();
    await http.get('/x');
    expect(Math.abs((http.serverClockOffsetMs as number) + 90_000)).toBeLessThan(1_500);
  });

  it('never prints the key: debug lines and echoed error messages are redacted', async () => {
    const lines: string[] = [];
    const url = await serve((_req, res) => json(res, 401, { error: { code: 'unauthorized', message: 'key sk_secret_12345 is not valid' } }));
    const error = (await client(url, { debug: (l) => lines.push(l) }).get('/me', { query: { api_key: 'sk_secret_12345' } }).catch((e: unknown) => e)) as ProviderError;
    expect(error.exitCode).toBe(4);
    expect(error.message).not.toContain('sk_secret_12345');
    expect(lines.join('\n')).not.toContain('sk_secret_12345');
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe('pagination', () => {
  it("walks cursor pages and stops before a cursor it was already given", async () => {
    const pages: Record<string, { items: number[]; next: string | null }> = { start: { items: [1, 2], next: 'a' }, a: { items: [3], next: 'b' }, b: { items: [4], next: 'a' } };
    const items: number[] = [];
    for await (const item of cursorPages((cursor) => Promise.resolve(pages[cursor ?? 'start'] as { items: number[]; next: string | null }))) items.push(item);
    expect(items).toEqual([1, 2, 3, 4]);
  });
});
