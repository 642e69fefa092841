import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startApexEmulator, type ApexEmulator, type ApexEmulatorOptions } from './apex.js';

const open: ApexEmulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((emulator) => emulator.close()));
});

/** Fast jobs and a roomy rate limit; pass `rateLimit: undefined` for the documented numbers. */
async function start(options: ApexEmulatorOptions = {}): Promise<ApexEmulator> {
  const emulator = await startApexEmulator({ jobDurationMs: 300, rateLimit: { limit: 1000, windowMs: 3_600_000 }, ...options });
  open.push(emulator);
  return emulator;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** One API call with the emulator's key unless `key` says otherwise (null: no Authorization header). */
async function call(emulator: ApexEmulator, method: string, path: string, body?: unknown, extra: { key?: string | null; headers?: Record<string, string> } = {}): Promise<Reply> {
  const key = extra.key === undefined ? emulator.apiKey : extra.key;
  const headers: Record<string, string> = { ...extra.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${emulator.url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const data = (reply: Reply) => reply.body.data as Record<string, unknown>;

async function waitFor(emulator: ApexEmulator, jobId: string, statuses: string[] = ['completed', 'failed']): Promise<{ job: Record<string, unknown>; seen: string[] }> {
  const seen: string[] = [];
  for (let i = 0; i < 200; i++) {
    const reply = await call(emulator, 'GET', `/api/jobs?id=${jobId}`);
    expect(reply.status).toBe(200);
    const job = data(reply);
    if (seen.at(-1) !== job.status) seen.push(String(job.status));
    if (statuses.includes(String(job.status))) return { job, seen };
    await sleep(25);
  }
  throw new Error(`job ${jobId} never reached ${statuses.join('/')}`);
}

describe('apex emulator', () => {
  it('serves the API at the origin with paths under /api', async () => {
    const emulator = await startApexEmulator();
    open.push(emulator);
    expect(emulator.url).toBe(emulator.origin);
    expect(emulator.apiKey).toMatch(/^sk_live_/);
  });

  it('answers 401 UNAUTHORIZED for a missing, malformed or unknown key', async () => {
    const emulator = await start();
    for (const key of [null, 'sk_live_not_a_real_key']) {
      const reply = await call(emulator, 'GET', '/api/usage', undefined, { key });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ error: 'Missing or invalid API key', code: 'UNAUTHORIZED' });
    }
    const basic = await fetch(`${emulator.url}/api/jobs`, { headers: { authorization: `Basic ${emulator.apiKey}` } });
    expect(basic.status).toBe(401);
    const post = await call(emulator, 'POST', '/api/generate/video', { script: 'hi' }, { key: 'sk_live_wrong' });
    expect(post.status).toBe(401);
    expect(emulator.jobs.size).toBe(0);
  });

  it('validates POST /api/generate/video with 400 BAD_REQUEST', async () => {
    const emulator = await start();
    const cases: [unknown, RegExp][] = [
      [{}, /script is required/],
      [{ script: '' }, /script must be 1-5000 characters/],
      [{ script: 'x'.repeat(5001) }, /script must be 1-5000 characters/],
      [{ script: 42 }, /script must be a string/],
      [{ script: 'hi', resolution: '4k' }, /resolution must be one of: 720p \| 1080p/],
      [{ script: 'hi', duration: 2 }, /duration must be between 3 and 60/],
      [{ script: 'hi', duration: 61 }, /duration/],
      [{ script: 'hi', avatarImage: 'http://example.com/face.jpg' }, /avatarImage must be an HTTPS URL/],
      [{ script: 'hi', style: 'loud' }, /style must be one of/],
      [{ script: 'hi', model: 'sora' }, /model must be one of/],
      [[1, 2], /JSON object/],
      ['{not json', /valid JSON/],
    ];
    for (const [body, message] of cases) {
      const reply = await call(emulator, 'POST', '/api/generate/video', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.code).toBe('BAD_REQUEST');
      expect(String(reply.body.error)).toMatch(message);
      expect(Object.keys(reply.body).sort()).toEqual(['code', 'error']);
    }
    const ok = await call(emulator, 'POST', '/api/generate/video', { script: 'x'.repeat(5000), avatarImage: 'https://example.com/face.jpg', voiceId: 'v1', duration: 60, resolution: '1080p', style: 'casual', model: 'veo-3.1' });
    expect(ok.status).toBe(200);
    expect(emulator.jobs.size).toBe(1);
  });

  it('validates POST /api/generate/avatar: image, resolution, model, and audio or text', async () => {
    const emulator = await start();
    const base = { image: 'https://example.com/me.jpg', resolution: '720p', model: 'omnihuman-1.5', text: 'Hello there' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, image: undefined }, /image is required/],
      [{ ...base, image: 'http://example.com/me.jpg' }, /image must be an HTTPS URL/],
      [{ ...base, resolution: undefined }, /resolution is required/],
      [{ ...base, resolution: '4k' }, /resolution must be one of: 480p \| 720p \| 1080p/],
      [{ ...base, model: undefined }, /model is required/],
      [{ ...base, model: 'heygen' }, /model must be one of/],
      [{ ...base, text: undefined }, /either audio or text is required/],
      [{ ...base, text: 7 }, /text must be a string/],
      [{ ...base, audio: 'not a url' }, /audio must be a valid URL/],
    ];
    for (const [body, message] of cases) {
      const reply = await call(emulator, 'POST', '/api/generate/avatar', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body).toMatchObject({ code: 'BAD_REQUEST' });
      expect(String(reply.body.error)).toMatch(message);
    }
    expect(emulator.jobs.size).toBe(0);
    const withAudio = await call(emulator, 'POST', '/api/generate/avatar', { ...base, text: undefined, audio: 'https://example.com/a.mp3' });
    expect(withAudio.status).toBe(200);
    const withText = await call(emulator, 'POST', '/api/generate/avatar', { ...base, voiceId: 'v1' });
    expect(withText.status).toBe(200);
    expect(data(withText)).toMatchObject({ status: 'queued', message: expect.any(String) });
  });

  it('creates a video job, moves it queued → processing → completed, and serves a real MP4', async () => {
    // Long enough that the first poll lands in the queued phase (15% of it) even on a loaded machine.
    const emulator = await start({ jobDurationMs: 3000 });
    const created = await call(emulator, 'POST', '/api/generate/video', { script: 'Try this serum.' });
    expect(created.status).toBe(200);
    const { jobId, status, message } = data(created);
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(status).toBe('queued');
    expect(message).toBe('Video generation job queued');

    const { job, seen } = await waitFor(emulator, String(jobId));
    expect(seen[0]).toBe('queued');
    expect(seen).toContain('processing');
    expect(job).toMatchObject({ jobId, type: 'video', status: 'completed', progress: 100, outputType: 'video/mp4', metadata: { model: 'wan-2.6', resolution: '720p' } });
    expect(job.outputUrl).toBe(`${emulator.origin}/files/${String(jobId)}.mp4`);
    expect(job.outputUrls).toEqual([job.outputUrl]);
    expect(Date.parse(String(job.completedAt))).toBeGreaterThanOrEqual(Date.parse(String(job.createdAt)));

    const file = await fetch(String(job.outputUrl));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.length).toBe(Number(file.headers.get('content-length')));
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('completes an avatar job with an MP4 and other kinds with their own output types', async () => {
    const emulator = await start();
    const avatar = data(await call(emulator, 'POST', '/api/generate/avatar', { image: 'https://example.com/me.jpg', resolution: '1080p', model: 'kling-avatar-v2', text: 'Hi' }));
    const voice = await call(emulator, 'POST', '/api/generate/voice', { text: 'Hello' });
    expect(data(voice)).toMatchObject({ status: 'queued', estimatedMinutes: 1 });
    const shoot = data(await call(emulator, 'POST', '/api/generate/photoshoot', { productImage: 'https://example.com/p.jpg', background: 'outdoor', angle: 'hero', lighting: 'soft', count: 2 }));

    const avatarJob = (await waitFor(emulator, String(avatar.jobId))).job;
    expect(avatarJob).toMatchObject({ type: 'avatar', status: 'completed', outputType: 'video/mp4', metadata: { model: 'kling-avatar-v2', resolution: '1080p' } });
    const mp4 = Buffer.from(await (await fetch(String(avatarJob.outputUrl))).arrayBuffer());
    expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const voiceJob = (await waitFor(emulator, String(data(voice).jobId))).job;
    expect(voiceJob).toMatchObject({ type: 'voice', outputType: 'audio/wav', metadata: { model: 'kokoro', language: 'en' } });
    const wav = Buffer.from(await (await fetch(String(voiceJob.outputUrl))).arrayBuffer());
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');

    const shootJob = (await waitFor(emulator, String(shoot.jobId))).job;
    expect(shootJob).toMatchObject({ type: 'photoshoot', outputType: 'image/png', metadata: { photoCount: 2, background: 'outdoor', lighting: 'soft' } });
    expect(shootJob.outputUrls).toHaveLength(2);
    for (const url of shootJob.outputUrls as string[]) {
      const png = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
  });

  it('accepts every documented generation kind and rejects each one missing its required fields', async () => {
    const emulator = await start();
    const valid: Record<string, Record<string, unknown>> = {
      image: { prompt: 'a city', width: 1024, height: 1024, model: 'flux-2-pro' },
      video: { script: 'hi' },
      voice: { text: 'hi', speed: 1.5 },
      avatar: { image: 'https://e.com/a.jpg', resolution: '480p', model: 'veed-fabric', text: 'hi' },
      clip: { sourceVideoUrl: 'https://e.com/v.mp4', maxClips: 2, aspectRatio: '9:16' },
      'b-roll': { prompt: 'a beach', duration: 4 },
      text2video: { script: 'hi', style: 'aerial' },
      commercial: { product: 'Serum', platform: 'tiktok', duration: 30, tone: 'funny', productImages: ['https://e.com/p.jpg'] },
      translate: { videoUrl: 'https://e.com/v.mp4', outputLanguage: 'es' },
      'instant-ad': { websiteUrl: 'https://e.com', platform: 'linkedin', count: 2, style: 'bold' },
      photoshoot: { productImage: 'https://e.com/p.jpg', background: 'custom', customBackground: 'marble', angle: 'front', lighting: 'natural', count: 1 },
    };
    const invalid: Record<string, [Record<string, unknown>, RegExp]> = {
      image: [{ prompt: 'a', width: 100 }, /width/],
      voice: [{ text: 'hi', speed: 3 }, /speed/],
      clip: [{ sourceVideoUrl: 'https://e.com/v.mp4', maxClips: 21 }, /maxClips/],
      'b-roll': [{ prompt: 'a', duration: 7 }, /duration/],
      text2video: [{ script: 'hi', style: 'noir' }, /style/],
      commercial: [{ product: 'S', platform: 'tiktok', duration: 20, tone: 'funny' }, /duration must be one of: 15 \| 30 \| 60/],
      translate: [{ videoUrl: 'https://e.com/v.mp4', outputLanguage: 'Spanish' }, /outputLanguage/],
      'instant-ad': [{ websiteUrl: 'https://e.com', platform: 'tiktok', count: 5, style: 'bold' }, /count/],
      photoshoot: [{ productImage: 'https://e.com/p.jpg', background: 'studio-white', angle: 'front', lighting: 'natural' }, /count is required/],
    };
    for (const [kind, body] of Object.entries(valid)) {
      const reply = await call(emulator, 'POST', `/api/generate/${kind}`, body);
      expect(reply.status, kind).toBe(200);
      const { jobId } = data(reply);
      expect(emulator.jobs.get(String(jobId))?.type).toBe(kind);
      const missing = await call(emulator, 'POST', `/api/generate/${kind}`, {});
      expect(missing.status, kind).toBe(400);
      expect(String(missing.body.error)).toMatch(/is required/);
    }
    for (const [kind, [body, message]] of Object.entries(invalid)) {
      const reply = await call(emulator, 'POST', `/api/generate/${kind}`, body);
      expect(reply.status, kind).toBe(400);
      expect(String(reply.body.error), kind).toMatch(message);
    }
    const clone = await call(emulator, 'POST', '/api/generate/voice-clone', { name: 'Me', sampleAudioUrl: 'https://e.com/s.mp3' });
    expect(clone.status).toBe(200);
    expect(clone.body).toEqual({ voiceId: expect.any(String), message: 'Voice cloned successfully' });
    expect((await call(emulator, 'POST', '/api/generate/voice-clone', { name: 'Me', sampleAudioUrl: 'http://e.com/s.mp3' })).status).toBe(400);
    expect((await call(emulator, 'POST', '/api/generate/hologram', { prompt: 'x' })).body).toEqual({ error: 'Not found', code: 'NOT_FOUND' });
  });

  it('fails a job whose script contains [[fail]] and refunds its credits', async () => {
    const emulator = await start({ credits: 1000 });
    const created = data(await call(emulator, 'POST', '/api/generate/video', { script: 'please [[fail]] now' }));
    expect(data(await call(emulator, 'GET', '/api/usage')).credits).toBe(750);
    const { job, seen } = await waitFor(emulator, String(created.jobId));
    expect(seen).toContain('queued');
    expect(job).toMatchObject({ status: 'failed', error: 'Generation failed', creditsRefunded: 250 });
    expect(job.outputUrl).toBeUndefined();
    expect(typeof job.failedAt).toBe('string');
    expect(data(await call(emulator, 'GET', '/api/usage')).credits).toBe(1000);
    expect((await fetch(`${emulator.origin}/files/${String(created.jobId)}.mp4`)).status).toBe(404);
  });

  it('answers 404 NOT_FOUND for an unknown job id', async () => {
    const emulator = await start();
    const reply = await call(emulator, 'GET', '/api/jobs?id=00000000-0000-0000-0000-000000000000');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ error: 'Job not found', code: 'NOT_FOUND' });
  });

  it('lists jobs newest first as { data: [...jobs] }', async () => {
    const emulator = await start();
    expect((await call(emulator, 'GET', '/api/jobs')).body).toEqual({ data: [] });
    const first = data(await call(emulator, 'POST', '/api/generate/video', { script: 'one' }));
    const second = data(await call(emulator, 'POST', '/api/generate/image', { prompt: 'two' }));
    const list = (await call(emulator, 'GET', '/api/jobs')).body.data as Record<string, unknown>[];
    expect(list.map((job) => job.jobId)).toEqual([second.jobId, first.jobId]);
    expect(list[0]).toMatchObject({ type: 'image', status: 'queued' });
    await waitFor(emulator, String(first.jobId));
    const later = (await call(emulator, 'GET', '/api/jobs')).body.data as Record<string, unknown>[];
    expect(later.every((job) => job.status === 'completed' && typeof job.outputUrl === 'string')).toBe(true);
  });

  it('reports credits, usage counts and plan, and answers 402 PAYMENT_REQUIRED when credits run out', async () => {
    const emulator = await start({ credits: 1000 });
    expect(data(await call(emulator, 'GET', '/api/usage'))).toMatchObject({ credits: 1000, used: {}, plan: 'enterprise' });
    await call(emulator, 'POST', '/api/generate/image', { prompt: 'x' });
    await call(emulator, 'POST', '/api/generate/avatar', { image: 'https://e.com/a.jpg', resolution: '720p', model: 'veed-fabric', text: 'hi' });
    const usage = data(await call(emulator, 'GET', '/api/usage'));
    expect(usage).toMatchObject({ credits: 240, used: { images: 1, avatars: 1 }, plan: 'enterprise' });
    expect(usage.billingCycle).toMatchObject({ start: expect.any(String), end: expect.any(String) });
    const broke = await call(emulator, 'POST', '/api/generate/video', { script: 'hi' });
    expect(broke.status).toBe(402);
    expect(broke.body).toMatchObject({ code: 'PAYMENT_REQUIRED' });
    expect(emulator.jobs.size).toBe(2);
    expect(data(await call(emulator, 'GET', '/api/usage')).credits).toBe(240);
  });

  it('sends the documented rate-limit headers on every response: 5/10 s for generation, 20/10 s for reads', async () => {
    const emulator = await start({ rateLimit: undefined });
    const replies = [
      await call(emulator, 'POST', '/api/generate/video', { script: 'hi' }),
      await call(emulator, 'POST', '/api/generate/video', {}),
      await call(emulator, 'GET', '/api/jobs'),
      await call(emulator, 'GET', '/api/usage', undefined, { key: null }),
      await call(emulator, 'GET', '/api/nowhere'),
    ];
    const now = Math.floor(Date.now() / 1000);
    for (const reply of replies) {
      for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) expect(reply.headers.get(name), name).toMatch(/^\d+$/);
      const reset = Number(reply.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(now);
      expect(reset).toBeLessThanOrEqual(now + 11);
    }
    expect(replies.map((r) => r.headers.get('x-ratelimit-limit'))).toEqual(['5', '5', '20', '20', '20']);
    expect(replies[1]?.headers.get('x-ratelimit-remaining')).toBe(String(Number(replies[0]?.headers.get('x-ratelimit-remaining')) - 1));
  });

  it('answers 429 RATE_LIMITED with Retry-After once the window is used up', async () => {
    const emulator = await start({ rateLimit: { limit: 3, windowMs: 3_600_000 } });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) remaining.push((await call(emulator, 'GET', '/api/usage')).headers.get('x-ratelimit-remaining'));
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await call(emulator, 'GET', '/api/usage');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: 'Too many requests', code: 'RATE_LIMITED' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(emulator.stats.rateLimited).toBe(1);
    // Generation has its own window.
    expect((await call(emulator, 'POST', '/api/generate/video', { script: 'hi' })).status).toBe(200);
  });

  it('ignores an Idempotency-Key header, as the document names none: the same key twice makes and charges two jobs', async () => {
    const emulator = await start({ credits: 1000 });
    const headers = { 'idempotency-key': 'key-1' };
    const first = await call(emulator, 'POST', '/api/generate/video', { script: 'same' }, { headers });
    const again = await call(emulator, 'POST', '/api/generate/video', { script: 'same' }, { headers });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(data(again).jobId).not.toBe(data(first).jobId);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(emulator.stats.jobsCreated).toBe(2);
    expect(data(await call(emulator, 'GET', '/api/usage')).credits).toBe(500);
    // A different body under the same key is just another job, not a conflict.
    expect((await call(emulator, 'POST', '/api/generate/b-roll', { prompt: 'other' }, { headers })).status).toBe(200);
    expect(emulator.stats.jobsCreated).toBe(3);
  });

  it('dropAfterCommit: the job exists and is listed though the connection died; a resend makes a second job', async () => {
    const emulator = await start();
    emulator.faults.dropAfterCommit = 1;
    const init = { method: 'POST', headers: { authorization: `Bearer ${emulator.apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'drop-1' }, body: JSON.stringify({ script: 'dropped', model: 'veo-3.1' }) };
    await expect(fetch(`${emulator.url}/api/generate/video`, init)).rejects.toThrow();
    expect(emulator.jobs.size).toBe(1);
    const [jobId] = [...emulator.jobs.keys()];
    const listed = (await call(emulator, 'GET', '/api/jobs')).body.data as Record<string, unknown>[];
    expect(listed).toMatchObject([{ jobId, type: 'video', status: 'queued', metadata: { model: 'veo-3.1', resolution: '720p' }, createdAt: expect.any(String) }]);
    const retry = await fetch(`${emulator.url}/api/generate/video`, init);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { data: { jobId: string } }).data.jobId).not.toBe(jobId);
    expect(emulator.stats.jobsCreated).toBe(2);
    expect(emulator.faults.dropAfterCommit).toBe(0);
  });

  it('storm429 and fail5xx answer with the documented error shape, then recover', async () => {
    const emulator = await start({ rateLimit: undefined });
    emulator.faults.storm429 = 2;
    emulator.faults.retryAfterSeconds = 7;
    for (let i = 0; i < 2; i++) {
      const reply = await call(emulator, 'POST', '/api/generate/video', { script: 'hi' });
      expect(reply.status).toBe(429);
      expect(reply.body).toEqual({ error: 'Too many requests', code: 'RATE_LIMITED' });
      expect(reply.headers.get('retry-after')).toBe('7');
      expect(reply.headers.get('x-ratelimit-limit')).toBe('5');
    }
    expect(emulator.stats.injected429).toBe(2);
    expect(emulator.stats.rateLimited).toBe(0);

    emulator.faults.fail5xx = 1;
    const outage = await call(emulator, 'GET', '/api/usage');
    expect(outage.status).toBe(503);
    expect(outage.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', error: expect.any(String) });

    expect((await call(emulator, 'POST', '/api/generate/video', { script: 'hi' })).status).toBe(200);
    expect(emulator.jobs.size).toBe(1);
    expect(emulator.stats.byRoute['POST /api/generate/video']).toBe(3);
  });

  it('PATCH /api/settings accepts only public HTTPS webhook URLs', async () => {
    const emulator = await start();
    const ok = await call(emulator, 'PATCH', '/api/settings', { webhookUrl: 'https://hooks.example.com/apex' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: { webhookUrl: 'https://hooks.example.com/apex' } });
    for (const webhookUrl of ['http://hooks.example.com/apex', 'https://127.0.0.1/x', 'https://10.0.0.8/x', 'https://169.254.169.254/latest', 'https://localhost/x', 'https://metadata.google.internal/x', 'not a url', 42, undefined]) {
      const reply = await call(emulator, 'PATCH', '/api/settings', { webhookUrl });
      expect(reply.status, String(webhookUrl)).toBe(400);
      expect(reply.body.code).toBe('BAD_REQUEST');
    }
    expect(emulator.account.webhookUrl).toBe('https://hooks.example.com/apex');
  });

  it('with allowLocalWebhooks, delivers job.completed and job.failed payloads to a 127.0.0.1 receiver', async () => {
    const received: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const emulator = await start({ allowLocalWebhooks: true });
      expect((await call(emulator, 'PATCH', '/api/settings', { webhookUrl: hook })).status).toBe(200);
      expect((await call(emulator, 'PATCH', '/api/settings', { webhookUrl: 'http://10.0.0.1/hook' })).status).toBe(400);
      const ok = data(await call(emulator, 'POST', '/api/generate/image', { prompt: 'a cat', model: 'flux-2-pro' }));
      const bad = data(await call(emulator, 'POST', '/api/generate/video', { script: '[[fail]]' }));
      for (let i = 0; i < 100 && received.length < 2; i++) await sleep(20);
      const completed = received.find((d) => d.body.event === 'job.completed')?.body;
      const failed = received.find((d) => d.body.event === 'job.failed')?.body;
      expect(completed).toMatchObject({ event: 'job.completed', timestamp: expect.any(String), data: { jobId: ok.jobId, type: 'image', status: 'completed', outputType: 'image/png', metadata: { model: 'flux-2-pro', width: 1024, height: 1024 } } });
      expect(failed).toMatchObject({ event: 'job.failed', data: { jobId: bad.jobId, type: 'video', status: 'failed', error: 'Generation failed', creditsRefunded: 250, failedAt: expect.any(String) } });
      expect(received[0]?.headers['content-type']).toBe('application/json');
      expect(emulator.webhookDeliveries.every((d) => d.status === 200 && d.attempt === 1)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('retries a webhook delivery that did not get a 2xx (documented: up to 3 retries)', async () => {
    let calls = 0;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        res.statusCode = calls < 3 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const emulator = await start({ allowLocalWebhooks: true, webhookRetryDelaysMs: [20, 20, 20] });
      await call(emulator, 'PATCH', '/api/settings', { webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` });
      await call(emulator, 'POST', '/api/generate/video', { script: 'hi' });
      for (let i = 0; i < 100 && emulator.webhookDeliveries.length < 3; i++) await sleep(20);
      await sleep(100);
      expect(emulator.webhookDeliveries.map((d) => [d.attempt, d.status])).toEqual([
        [1, 500],
        [2, 500],
        [3, 204],
      ]);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('without allowLocalWebhooks, refuses a 127.0.0.1 webhook', async () => {
    const emulator = await start();
    const reply = await call(emulator, 'PATCH', '/api/settings', { webhookUrl: 'http://127.0.0.1:9/hook' });
    expect(reply.status).toBe(400);
    expect(emulator.account.webhookUrl).toBeNull();
  });

  it('creates API keys that authenticate and lists them without their values', async () => {
    const emulator = await start();
    const created = await call(emulator, 'POST', '/api/keys', { name: 'ci' });
    expect(created.status).toBe(200);
    const { key, id, name } = data(created);
    expect(key).toMatch(/^sk_live_/);
    expect(name).toBe('ci');
    expect((await call(emulator, 'GET', '/api/usage', undefined, { key: String(key) })).status).toBe(200);
    const list = (await call(emulator, 'GET', '/api/keys')).body.data as Record<string, unknown>[];
    expect(list.map((k) => k.id)).toContain(id);
    expect(list.every((k) => k.key === undefined)).toBe(true);
    expect((await call(emulator, 'POST', '/api/keys', {})).status).toBe(400);
  });
});
