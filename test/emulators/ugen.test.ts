import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startUGenEmulator, type UGenEmulator } from './ugen.js';

let emulator: UGenEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: Parameters<typeof startUGenEmulator>[0] = {}): Promise<UGenEmulator> {
  emulator = await startUGenEmulator({ jobDurationMs: 300, ...options });
  return emulator;
}

interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}
interface JobBody {
  job_id: string;
  status: string;
  current_stage: string;
  progress_percent: number;
  final_video_url: string | null;
  error_message: string | null;
  idempotency_key: string;
  persona_id: string;
  credits_reserved: number;
  credits_consumed: number;
}

const JOB = {
  product_name: 'Premium Wireless Headphones',
  product_image_url: 'https://example.com/headphones.jpg',
  persona_id: '09d3a33a-3eb0-480a-80df-0c64dbf7c98f',
  video_model: 'veo3_fast',
  segment_count: 3,
  interaction_mode: 'holdable',
  caption_style: 'tiktok_karaoke',
  music_enabled: true,
};
/** 3 × 40 (veo3_fast) + 4 keyframes × 8 + voice 15 + music 15 + post-processing 10. */
const JOB_CREDITS = 192;

function api(emu: UGenEmulator, path: string, init: { method?: string; body?: unknown; key?: string | null } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = init.key === undefined ? emu.apiKey : init.key;
  if (key !== null) headers['x-api-key'] = key;
  return fetch(`${emu.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
}

async function waitForEnd(emu: UGenEmulator, id: string): Promise<JobBody> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const job = (await (await api(emu, `/jobs/${id}`)).json()) as JobBody;
    if (job.status === 'completed' || job.status === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} stuck in ${job.status}`);
    await sleep(40);
  }
}

function expectErrorBody(body: unknown, code: string): ErrorBody {
  const error = (body as ErrorBody).error;
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(typeof error.details).toBe('object');
  return body as ErrorBody;
}

describe('U-Gen emulator', () => {
  it('serves the documented base path and refuses a missing or wrong X-API-Key with the nested error body', async () => {
    const emu = await start();
    expect(emu.url).toBe(`${emu.origin}/api/v1`);
    for (const key of [null, 'wrong', '']) {
      const res = await api(emu, '/jobs', { key });
      expect(res.status).toBe(401);
      expectErrorBody(await res.json(), 'UNAUTHORIZED');
    }
    const bearer = await fetch(`${emu.url}/jobs`, { headers: { authorization: `Bearer ${emu.apiKey}` } });
    expect(bearer.status).toBe(401);
    expect((await api(emu, '/jobs')).status).toBe(200);
  });

  it('validates the create request: 422 names each bad field, 400 for a body that is not a JSON object', async () => {
    const emu = await start();
    const missing = await api(emu, '/jobs', { body: { product_name: 'test' } });
    expect(missing.status).toBe(422);
    const body = expectErrorBody(await missing.json(), 'VALIDATION_ERROR');
    const fields = (body.error.details.errors as { loc: string[] }[]).map((issue) => issue.loc.join('.'));
    expect(fields).toEqual(['body.product_image_url', 'body.segment_count']);

    const cases: [Record<string, unknown>, string][] = [
      [{ product_name: '' }, 'body.product_name'],
      [{ product_image_url: 'not a url' }, 'body.product_image_url'],
      [{ product_image_url: 'ftp://example.com/a.jpg' }, 'body.product_image_url'],
      [{ segment_count: 0 }, 'body.segment_count'],
      [{ segment_count: 11 }, 'body.segment_count'],
      [{ segment_count: 2.5 }, 'body.segment_count'],
      [{ video_model: 'sora-2' }, 'body.video_model'],
      [{ music_enabled: 'yes' }, 'body.music_enabled'],
      [{ persona_id: 42 }, 'body.persona_id'],
      [{ idempotency_key: '' }, 'body.idempotency_key'],
    ];
    for (const [patch, field] of cases) {
      const res = await api(emu, '/jobs', { body: { ...JOB, ...patch } });
      expect(res.status, field).toBe(422);
      const issues = (expectErrorBody(await res.json(), 'VALIDATION_ERROR').error.details.errors as { loc: string[] }[]).map((i) => i.loc.join('.'));
      expect(issues).toEqual([field]);
    }
    for (const raw of ['{not json', '[1,2]', '"text"']) {
      const res = await api(emu, '/jobs', { body: raw });
      expect(res.status).toBe(400);
      expectErrorBody(await res.json(), 'BAD_REQUEST');
    }
    expect(emu.jobs.size).toBe(0);
    expect(emu.credits.reserved).toBe(0);
  });

  it('creates a job, moves it through the documented stages and serves a real MP4 at final_video_url', async () => {
    const emu = await start({ jobDurationMs: 1000 });
    const created = await api(emu, '/jobs', { body: JOB });
    expect(created.status).toBe(201);
    const job = (await created.json()) as JobBody;
    expect(job).toMatchObject({ status: 'queued', current_stage: 'prepare', progress_percent: 0, final_video_url: null, persona_id: JOB.persona_id, credits_reserved: JOB_CREDITS });
    expect(job.idempotency_key).toMatch(/^[0-9a-f-]{36}$/); // generated when omitted
    expect(emu.credits).toEqual({ balance: 10_000, reserved: JOB_CREDITS });

    await sleep(300);
    const midway = (await (await api(emu, `/jobs/${job.job_id}`)).json()) as JobBody;
    expect(midway.status).toBe('processing');
    expect(['agents', 'init', 'generation', 'concat', 'audio', 'captions']).toContain(midway.current_stage);

    const done = await waitForEnd(emu, job.job_id);
    expect(done).toMatchObject({ status: 'completed', current_stage: 'complete', progress_percent: 100, error_message: null, credits_consumed: JOB_CREDITS });
    expect(done.final_video_url).toBe(`${emu.origin}/files/${job.job_id}.mp4`);
    expect(emu.credits).toEqual({ balance: 10_000 - JOB_CREDITS, reserved: 0 });

    const video = await fetch(done.final_video_url ?? '');
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.length).toBe(Number(video.headers.get('content-length')));
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const missing = await api(emu, '/jobs/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expectErrorBody(await missing.json(), 'NOT_FOUND');
  });

  it('fails a job whose request contains [[fail]] and releases its credits', async () => {
    const emu = await start();
    const res = await api(emu, '/jobs', { body: { ...JOB, product_name: 'Headphones [[fail]]' } });
    const job = (await res.json()) as JobBody;
    const failed = await waitForEnd(emu, job.job_id);
    expect(failed).toMatchObject({ status: 'failed', current_stage: 'generation', final_video_url: null, credits_consumed: 0 });
    expect(failed.error_message).toMatch(/failed/);
    expect(emu.credits).toEqual({ balance: 10_000, reserved: 0 });
    expect((await fetch(`${emu.origin}/files/${job.job_id}.mp4`)).status).toBe(404);
  });

  it('replays the original response for the same idempotency_key and body, and refuses a different body with 409', async () => {
    const emu = await start();
    const body = { ...JOB, idempotency_key: 'order-42' };
    const first = await api(emu, '/jobs', { body });
    const again = await api(emu, '/jobs', { body });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    const [a, b] = [(await first.json()) as JobBody, (await again.json()) as JobBody];
    expect(b).toEqual(a);
    expect(a.idempotency_key).toBe('order-42');
    expect(emu.jobs.size).toBe(1);
    expect(emu.stats.jobsCreated).toBe(1);
    expect(emu.credits.reserved).toBe(JOB_CREDITS);

    const conflict = await api(emu, '/jobs', { body: { ...body, segment_count: 4 } });
    expect(conflict.status).toBe(409);
    expectErrorBody(await conflict.json(), 'IDEMPOTENCY_CONFLICT');
    expect(emu.jobs.size).toBe(1);
  });

  it('pages the job list with page and page_size: items, total, page, page_size, total_pages', async () => {
    const emu = await start({ jobDurationMs: 60_000 });
    for (let i = 0; i < 5; i++) expect((await api(emu, '/jobs', { body: { ...JOB, product_name: `Product ${i}` } })).status).toBe(201);
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const res = await api(emu, `/jobs?page=${page}&page_size=2`);
      expect(res.status).toBe(200);
      const list = (await res.json()) as { items: JobBody[]; total: number; page: number; page_size: number; total_pages: number };
      expect(list).toMatchObject({ total: 5, page, page_size: 2, total_pages: 3 });
      expect(list.items).toHaveLength(page < 3 ? 2 : 1);
      seen.push(...list.items.map((item) => item.job_id));
    }
    expect(new Set(seen).size).toBe(5);
    expect(new Set(seen)).toEqual(new Set(emu.jobs.keys()));

    const beyond = (await (await api(emu, '/jobs?page=4&page_size=2')).json()) as { items: unknown[]; total: number };
    expect(beyond).toMatchObject({ items: [], total: 5 });
    const defaults = (await (await api(emu, '/jobs')).json()) as { page: number; page_size: number; total_pages: number };
    expect(defaults).toMatchObject({ page: 1, page_size: 20, total_pages: 1 });
    for (const bad of ['page=0', 'page_size=101', 'page_size=0', 'page=abc']) {
      const res = await api(emu, `/jobs?${bad}`);
      expect(res.status, bad).toBe(422);
      expectErrorBody(await res.json(), 'VALIDATION_ERROR');
    }
  });

  it('estimates credits with a breakdown, matching what a job reserves, and reports the balance', async () => {
    const emu = await start();
    const res = await api(emu, '/credits/estimate', { body: { segment_count: 3, model_id: 'veo3_fast', variant: 'i2v', music_enabled: true, voice_enabled: true } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      model_id: 'veo3_fast',
      variant: 'i2v',
      segment_count: 3,
      total_credits: JOB_CREDITS,
      breakdown: { video: 120, keyframes: 32, voice: 15, music: 15, post_processing: 10 },
      available_credits: 10_000,
    });
    const cheaper = (await (await api(emu, '/credits/estimate', { body: { segment_count: 1, music_enabled: false, voice_enabled: false } })).json()) as { total_credits: number };
    expect(cheaper.total_credits).toBe(40 + 16 + 10);
    const bad = await api(emu, '/credits/estimate', { body: { model_id: 'nope' } });
    expect(bad.status).toBe(422);
    expect((expectErrorBody(await bad.json(), 'VALIDATION_ERROR').error.details.errors as unknown[]).length).toBe(2);

    await api(emu, '/jobs', { body: JOB });
    expect(await (await api(emu, '/credits/balance')).json()).toEqual({ credit_balance: 10_000, credit_reserved: JOB_CREDITS, available_credits: 10_000 - JOB_CREDITS });
  });

  it('answers 402 INSUFFICIENT_CREDITS with required and available, creating nothing', async () => {
    const emu = await start({ credits: 250 });
    expect((await api(emu, '/jobs', { body: JOB })).status).toBe(201);
    const res = await api(emu, '/jobs', { body: { ...JOB, product_name: 'Second' } });
    expect(res.status).toBe(402);
    const body = expectErrorBody(await res.json(), 'INSUFFICIENT_CREDITS');
    expect(body.error.details).toEqual({ required: JOB_CREDITS, available: 250 - JOB_CREDITS });
    expect(emu.jobs.size).toBe(1);
  });

  it('rate-limits per key with 429, Retry-After and X-RateLimit headers', async () => {
    const emu = await start({ rateLimit: { limit: 2, windowMs: 3_600_000 } });
    const first = await api(emu, '/jobs');
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect((await api(emu, '/jobs')).status).toBe(200);
    const limited = await api(emu, '/jobs');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expectErrorBody(await limited.json(), 'RATE_LIMITED');
    expect(emu.stats.rateLimited).toBe(1);
  });

  it('dropAfterCommit: the job exists after the dropped response, and a retry with the same idempotency_key returns it', async () => {
    const emu = await start();
    emu.faults.dropAfterCommit = 1;
    const body = { ...JOB, idempotency_key: 'retry-me' };
    await expect(api(emu, '/jobs', { body })).rejects.toThrow();
    expect(emu.jobs.size).toBe(1);
    const [stored] = [...emu.jobs.values()];
    const retry = await api(emu, '/jobs', { body });
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as JobBody).job_id).toBe(stored?.jobId);
    expect(emu.stats.jobsCreated).toBe(1);
    expect(emu.credits.reserved).toBe(JOB_CREDITS);
  });

  it('storm429 and fail5xx answer with the nested error body', async () => {
    const emu = await start();
    emu.faults.storm429 = 1;
    emu.faults.retryAfterSeconds = 3;
    const storm = await api(emu, '/jobs', { body: JOB });
    expect(storm.status).toBe(429);
    expect(storm.headers.get('retry-after')).toBe('3');
    expectErrorBody(await storm.json(), 'RATE_LIMITED');
    emu.faults.fail5xx = 1;
    const down = await api(emu, '/jobs', { body: JOB });
    expect(down.status).toBe(503);
    expectErrorBody(await down.json(), 'SERVICE_UNAVAILABLE');
    expect(emu.jobs.size).toBe(0);
    expect((await api(emu, '/jobs', { body: JOB })).status).toBe(201);
    expect(emu.stats.injected429).toBe(1);
    expect(emu.stats.byRoute['POST /api/v1/jobs']).toBe(3);
  });

  it('sends a signed job.completed to the account webhook', async () => {
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const emu = await start();
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/ugen`;
      const secret = 'a7b3c9d2e1f4a8b5c6d7e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1';

      expect(await (await api(emu, '/tenants/me/webhook')).json()).toEqual({ webhook_url: null, webhook_configured: false });
      for (const bad of [{ webhook_url: 'http://example.com/hook', webhook_secret: secret }, { webhook_url: hookUrl }, { webhook_url: 'nope', webhook_secret: secret }]) {
        const res = await api(emu, '/tenants/me/webhook', { method: 'PUT', body: bad });
        expect(res.status).toBe(422);
        expectErrorBody(await res.json(), 'VALIDATION_ERROR');
      }
      const put = await api(emu, '/tenants/me/webhook', { method: 'PUT', body: { webhook_url: hookUrl, webhook_secret: secret } });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ webhook_url: hookUrl, webhook_configured: true });
      expect(await (await api(emu, '/tenants/me/webhook')).json()).toEqual({ webhook_url: hookUrl, webhook_configured: true });
      expect(emu.webhook).toEqual({ url: hookUrl, secret });

      const job = (await (await api(emu, '/jobs', { body: JOB })).json()) as JobBody;
      const deadline = Date.now() + 5000;
      while (received.length === 0 && Date.now() < deadline) await sleep(20);
      expect(received).toHaveLength(1);
      const [delivery] = received;
      if (!delivery) throw new Error('no delivery');
      expect(delivery.headers['content-type']).toBe('application/json');
      const timestamp = String(delivery.headers['x-ugen-timestamp']);
      expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(300);
      const expected = createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex');
      expect(delivery.headers['x-ugen-signature']).toBe(expected);
      const payload = JSON.parse(delivery.body) as Record<string, unknown>;
      expect(payload).toMatchObject({
        event: 'job.completed',
        job_id: job.job_id,
        status: 'completed',
        final_video_url: `${emu.origin}/files/${job.job_id}.mp4`,
        credits_consumed: JOB_CREDITS,
        error_message: null,
      });
      expect(typeof payload.timestamp).toBe('string');
      while (emu.deliveries[0]?.status === null && Date.now() < deadline) await sleep(10);
      expect(emu.deliveries).toMatchObject([{ event: 'job.completed', status: 204, error: null }]);

      // A failed job produces job.failed; after DELETE nothing more is sent.
      const failing = (await (await api(emu, '/jobs', { body: { ...JOB, product_name: '[[fail]]' } })).json()) as JobBody;
      while (received.length < 2 && Date.now() < deadline + 5000) await sleep(20);
      expect(JSON.parse(received[1]?.body ?? '{}')).toMatchObject({ event: 'job.failed', job_id: failing.job_id, status: 'failed', final_video_url: null });
      expect((await api(emu, '/tenants/me/webhook', { method: 'DELETE' })).status).toBe(200);
      await waitForEnd(emu, ((await (await api(emu, '/jobs', { body: { ...JOB, product_name: 'Quiet' } })).json()) as JobBody).job_id);
      await sleep(50);
      expect(received).toHaveLength(2);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
