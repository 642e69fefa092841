import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startUltimateCreatorEmulator, type UltimateCreatorEmulator } from './ultimatecreator.js';

interface ErrorBody {
  error: { code: string; message: string; status: number; retry_after?: number; details?: { field: string; message: string }[] };
}
interface JobStatus {
  job_id: string;
  status: string;
  progress_percent: number;
  video_url: string | null;
  thumbnail_url: string | null;
  duration_seconds: number;
  credits_charged: number;
  created_at: string;
  completed_at: string | null;
  error_message: string | null;
}

const request = { prompt: 'A creator unboxing headphones in a sunny kitchen', duration_seconds: 30, avatar_id: 'avt_abc123', resolution: '1080p' };

let uc: UltimateCreatorEmulator;
beforeAll(async () => {
  uc = await startUltimateCreatorEmulator({ jobDurationMs: 300, webhookRetryBaseMs: 20 });
});
afterAll(() => uc.close());
afterEach(() => {
  Object.assign(uc.faults, { dropAfterCommit: 0, fail5xx: 0, storm429: 0, retryAfterSeconds: 1, slowMs: 0 });
});

const auth = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${uc.apiKey}`, ...extra });

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${uc.url}${path}`, {
    method: 'POST',
    headers: auth({ 'content-type': 'application/json', ...headers }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
const get = (path: string) => fetch(`${uc.url}${path}`, { headers: auth() });

async function create(body: unknown = request, headers: Record<string, string> = {}): Promise<string> {
  const res = await post('/video/generate', body, headers);
  expect(res.status).toBe(202);
  return ((await res.json()) as { job_id: string }).job_id;
}

async function waitFor(id: string, done: (s: JobStatus) => boolean): Promise<JobStatus> {
  for (let i = 0; i < 200; i++) {
    const status = (await (await get(`/video/${id}/status`)).json()) as JobStatus;
    if (done(status)) return status;
    await sleep(20);
  }
  throw new Error(`job ${id} never reached the wanted state`);
}

function expectError(body: unknown, status: number, code?: string): ErrorBody['error'] {
  const { error } = body as ErrorBody;
  expect(error.status).toBe(status);
  expect(typeof error.code).toBe('string');
  expect(typeof error.message).toBe('string');
  if (code) expect(error.code).toBe(code);
  return error;
}

describe('UltimateCreator emulator', () => {
  it('answers 401 in the error envelope without a valid bearer key', async () => {
    const none = await fetch(`${uc.url}/video/generate`, { method: 'POST', body: JSON.stringify(request) });
    expect(none.status).toBe(401);
    expectError(await none.json(), 401);
    const wrong = await fetch(`${uc.url}/avatars`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expectError(await wrong.json(), 401);
    const scheme = await fetch(`${uc.url}/avatars`, { headers: { authorization: uc.apiKey } });
    expect(scheme.status).toBe(401);
  });

  it('validates the create request: 400 for a malformed body, 422 with details per field', async () => {
    const bad = await post('/video/generate', '{not json');
    expect(bad.status).toBe(400);
    expectError(await bad.json(), 400);
    const array = await post('/video/generate', [1]);
    expect(array.status).toBe(400);

    const missing = await post('/video/generate', {});
    expect(missing.status).toBe(422);
    const fields = expectError(await missing.json(), 422, 'VALIDATION_ERROR').details?.map((d) => d.field);
    expect(fields).toEqual(['prompt', 'duration_seconds', 'avatar_id']);

    const wrong = await post('/video/generate', { ...request, duration_seconds: 2.5, resolution: '8k', webhook_url: 'ftp://x', brand_kit_id: 7 });
    expect(wrong.status).toBe(422);
    const wrongFields = expectError(await wrong.json(), 422).details?.map((d) => d.field);
    expect(wrongFields).toEqual(['duration_seconds', 'brand_kit_id', 'resolution', 'webhook_url']);

    for (const body of [{ ...request, duration_seconds: 0 }, { ...request, duration_seconds: 301 }, { ...request, prompt: '' }, { ...request, avatar_id: 'avt_unknown' }]) {
      expect((await post('/video/generate', body)).status).toBe(422);
    }
    const blocked = await post('/video/generate', { ...request, prompt: 'something [[blocked]]' });
    expect(blocked.status).toBe(400);
    expectError(await blocked.json(), 400, 'PROMPT_BLOCKED');
    expect(uc.jobs.size).toBe(0);
  });

  it('creates a job (202), moves it queued → processing → completed, and serves a real MP4', async () => {
    const res = await post('/video/generate', { ...request, brand_kit_id: 'bk_xyz789' }, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-ratelimit-limit')).toBeTruthy();
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ status: 'queued', credits_charged: 150 });
    expect(Object.keys(created).sort()).toEqual(['created_at', 'credits_charged', 'estimated_duration_seconds', 'job_id', 'status']);
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const id = created.job_id as string;

    const first = (await (await get(`/video/${id}/status`)).json()) as JobStatus;
    expect(first.status).toBe('queued');
    expect(first.video_url).toBeNull();
    const processing = await waitFor(id, (s) => s.status === 'processing');
    expect(processing.progress_percent).toBeGreaterThanOrEqual(0);
    const done = await waitFor(id, (s) => s.status === 'completed');
    expect(done).toMatchObject({ job_id: id, progress_percent: 100, duration_seconds: 30, credits_charged: 150, error_message: null });
    expect(done.video_url).toBe(`${uc.origin}/files/${id}.mp4`);
    expect(done.completed_at).toMatch(/Z$/);

    const video = await fetch(done.video_url ?? '');
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(Number(video.headers.get('content-length'))).toBe(bytes.length);
    const thumb = await fetch(done.thumbnail_url ?? '');
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');

    expect((await get('/video/job_nope/status')).status).toBe(404);
  });

  it('fails a job whose prompt contains [[fail]], with error_message', async () => {
    const id = await create({ ...request, prompt: 'please [[fail]]' });
    const failed = await waitFor(id, (s) => s.status === 'failed');
    expect(failed.error_message).toEqual(expect.any(String));
    expect(failed.video_url).toBeNull();
    expect((await fetch(`${uc.origin}/files/${id}.mp4`)).status).toBe(404);
  });

  it('cancels a running job and refuses to cancel a finished one with 409', async () => {
    const id = await create();
    await waitFor(id, (s) => s.status === 'processing');
    const cancel = await post(`/video/${id}/cancel`, undefined);
    expect(cancel.status).toBe(200);
    const cancelled = (await cancel.json()) as JobStatus;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.credits_charged).toBeLessThan(150); // unprocessed seconds refunded
    await sleep(350);
    expect(((await (await get(`/video/${id}/status`)).json()) as JobStatus).status).toBe('cancelled');
    expect((await post(`/video/${id}/cancel`, undefined)).status).toBe(409);

    const other = await create();
    await waitFor(other, (s) => s.status === 'completed');
    const refused = await post(`/video/${other}/cancel`, undefined);
    expect(refused.status).toBe(409);
    expectError(await refused.json(), 409, 'JOB_NOT_CANCELLABLE');
    expect((await post('/video/job_nope/cancel', undefined)).status).toBe(404);
    expect((await get(`/video/${other}/cancel`)).status).toBe(405);
  });

  it('replays the original response for a repeated Idempotency-Key and refuses a different body', async () => {
    const key = randomUUID();
    const before = uc.stats.jobsCreated;
    const a = await post('/video/generate', request, { 'idempotency-key': key });
    const b = await post('/video/generate', request, { 'idempotency-key': key });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(await b.json()).toEqual(await a.json());
    expect(uc.stats.jobsCreated).toBe(before + 1);

    const reused = await post('/video/generate', { ...request, duration_seconds: 15 }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expectError(await reused.json(), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(uc.stats.jobsCreated).toBe(before + 1);
  });

  it('commits the job before a dropped connection; a retry with the same key returns it', async () => {
    const key = randomUUID();
    const before = uc.jobs.size;
    uc.faults.dropAfterCommit = 1;
    await expect(post('/video/generate', request, { 'idempotency-key': key })).rejects.toThrow();
    expect(uc.jobs.size).toBe(before + 1);
    const retry = await post('/video/generate', request, { 'idempotency-key': key });
    expect(retry.status).toBe(202);
    const { job_id } = (await retry.json()) as { job_id: string };
    expect(uc.jobs.has(job_id)).toBe(true);
    expect(uc.jobs.size).toBe(before + 1);
  });

  it('injects 429 storms and 5xx in the error envelope', async () => {
    uc.faults.storm429 = 2;
    uc.faults.retryAfterSeconds = 7;
    for (let i = 0; i < 2; i++) {
      const res = await get('/avatars');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(expectError(await res.json(), 429, 'RATE_LIMITED').retry_after).toBe(7);
    }
    uc.faults.fail5xx = 1;
    const failed = await get('/avatars');
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expectError(await failed.json(), failed.status);
    expect((await get('/avatars')).status).toBe(200);
    expect(uc.stats.injected429).toBeGreaterThanOrEqual(2);
  });

  it('lists avatars and supports their CRUD', async () => {
    const list = (await (await get('/avatars')).json()) as { data: { id: string; name: string }[] };
    expect(list.data.map((a) => a.id)).toContain('avt_abc123');
    const made = await post('/avatars', { name: 'Sam' });
    expect(made.status).toBe(201);
    const avatar = (await made.json()) as { id: string; name: string };
    expect(avatar.id).toMatch(/^avt_/);
    const patched = await fetch(`${uc.url}/avatars/${avatar.id}`, { method: 'PATCH', headers: auth({ 'content-type': 'application/json' }), body: JSON.stringify({ name: 'Samantha' }) });
    expect(((await patched.json()) as { name: string }).name).toBe('Samantha');
    expect((await post('/avatars', {})).status).toBe(422);
    expect((await fetch(`${uc.url}/avatars/${avatar.id}`, { method: 'DELETE', headers: auth() })).status).toBe(204);
    expect((await get(`/avatars/${avatar.id}`)).status).toBe(404);
  });

  it('delivers signed webhooks (progress every 25 %, then completed) to a local receiver', async () => {
    const received: { body: string; signature: string | undefined; type: string | undefined }[] = [];
    let failFirst = true;
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failFirst) {
          failFirst = false; // the first attempt fails: the event is retried
          res.writeHead(500).end();
          return;
        }
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-uc-signature'] as string | undefined, type: req.headers['content-type'] });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as AddressInfo).port;
      const id = await create({ ...request, webhook_url: `http://127.0.0.1:${port}/webhooks/video` });
      for (let i = 0; i < 100 && !received.some((r) => r.body.includes('video.job.completed')); i++) await sleep(20);

      const events = received.map((r) => JSON.parse(r.body) as { event: string; timestamp: string; data: Record<string, unknown> });
      expect(events.map((e) => e.event)).toEqual(['video.job.progress', 'video.job.progress', 'video.job.progress', 'video.job.completed']);
      expect(events.map((e) => e.data.progress_percent).slice(0, 3)).toEqual([25, 50, 75]);
      expect(events[3]?.data).toEqual({ job_id: id, status: 'completed', video_url: `${uc.origin}/files/${id}.mp4`, thumbnail_url: `${uc.origin}/files/${id}.jpg`, duration_seconds: 30, credits_charged: 150 });
      for (const r of received) {
        expect(r.type).toBe('application/json');
        const expected = createHmac('sha256', uc.webhookSecret).update(r.body, 'utf8').digest('hex');
        expect(r.signature).toMatch(/^[0-9a-f]{64}$/);
        expect(timingSafeEqual(Buffer.from(r.signature ?? '', 'hex'), Buffer.from(expected, 'hex'))).toBe(true);
      }
      expect(uc.deliveries.filter((d) => d.jobId === id && d.status === 500)).toHaveLength(1);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('never calls a webhook_url off 127.0.0.1', async () => {
    const id = await create({ ...request, webhook_url: 'https://example.com/hook' });
    expect(uc.jobs.get(id)?.webhookUrl).toBe('https://example.com/hook');
    await waitFor(id, (s) => s.status === 'completed');
    await sleep(60);
    const mine = uc.deliveries.filter((d) => d.jobId === id);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((d) => d.status === -1)).toBe(true);
  });
});

describe('UltimateCreator emulator limits', () => {
  it('sends X-RateLimit-* headers and 429 + Retry-After past the limit', async () => {
    const limited = await startUltimateCreatorEmulator({ jobDurationMs: 300, rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      const headers = { authorization: `Bearer ${limited.apiKey}` };
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${limited.url}/avatars`, { headers });
        expect(res.status).toBe(200);
        remaining.push(res.headers.get('x-ratelimit-remaining') ?? '');
        expect(res.headers.get('x-ratelimit-limit')).toBe('3');
        expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const res = await fetch(`${limited.url}/avatars`, { headers });
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(expectError(await res.json(), 429, 'RATE_LIMITED').retry_after).toBe(retryAfter);
      expect(limited.stats.rateLimited).toBe(1);
    } finally {
      await limited.close();
    }
  });

  it('refuses a job past the concurrent-jobs limit with 429', async () => {
    const limited = await startUltimateCreatorEmulator({ jobDurationMs: 300, concurrentJobs: 1 });
    try {
      const send = () =>
        fetch(`${limited.url}/video/generate`, { method: 'POST', headers: { authorization: `Bearer ${limited.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(request) });
      expect((await send()).status).toBe(202);
      const refused = await send();
      expect(refused.status).toBe(429);
      expectError(await refused.json(), 429, 'CONCURRENT_JOBS_LIMIT');
      expect(refused.headers.get('retry-after')).toBe('1');
      await sleep(350);
      expect((await send()).status).toBe(202);
      expect(limited.stats.maxActiveJobs).toBe(1);
    } finally {
      await limited.close();
    }
  });
});
