import { afterEach, describe, expect, it } from 'vitest';
import { AVATAR_MAX_BYTES, startUnrealUgcEmulator, VOICE_SAMPLE_MAX_BYTES, type UnrealUgcEmulator, type UnrealUgcOptions } from './unrealugc.js';

let emulator: UnrealUgcEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: UnrealUgcOptions = {}): Promise<UnrealUgcEmulator> {
  emulator = await startUnrealUgcEmulator({ jobDurationMs: 300, ...options });
  return emulator;
}

interface Call {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(emu: UnrealUgcEmulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Call> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${emu.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SCRIPT = 'I have been using this for two weeks and I am genuinely shocked at how good it is.';
const VIDEO = { creatorId: 'tech-savvy-female-30', script: SCRIPT, productName: 'Acme Skincare', videoModel: 'kling-2.6', useNativeAudio: true, durationSeconds: 10, aspectRatio: '9:16' };

function expectEnvelope(result: Call, status: number, code: string): void {
  expect(result.status).toBe(status);
  expect(result.body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

async function waitFor(emu: UnrealUgcEmulator, id: string, done: (status: string) => boolean): Promise<{ seen: string[]; video: Record<string, unknown> }> {
  const seen: string[] = [];
  for (let i = 0; i < 200; i++) {
    const { body } = await call(emu, 'GET', `/videos/${id}`);
    if (seen.at(-1) !== body.status) seen.push(body.status);
    if (done(body.status)) return { seen, video: body };
    await sleep(20);
  }
  throw new Error(`video ${id} never finished`);
}

describe('UnrealUGC emulator: auth, account, rate limits, faults', () => {
  it('answers 401 with the envelope without a key, with a wrong key and with a non-Bearer header', async () => {
    const emu = await start();
    expect(emu.apiKey).toMatch(/^usk_live_/);
    expect(emu.url).toBe(`${emu.origin}/api/v1`);
    for (const headers of [{ authorization: '' }, { authorization: 'Bearer usk_live_wrong' }, { authorization: `Token ${emu.apiKey}` }]) {
      const result = await call(emu, 'GET', '/me', undefined, headers);
      expectEnvelope(result, 401, 'unauthorized');
      expect(result.headers.get('x-ratelimit-limit')).toBeTruthy();
    }
  });

  it('serves /me, /credits and /models as documented', async () => {
    const emu = await start({ credits: 4000 });
    emu.account.purchasedCredits = 280;
    const me = await call(emu, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: expect.stringMatching(/^c/), email: expect.any(String), name: expect.any(String), plan: 'PRO', subscriptionStatus: 'ACTIVE', credits: 4280 });
    expect((await call(emu, 'GET', '/credits')).body).toEqual({ credits: 4280, subscriptionCredits: 4000, purchasedCredits: 280 });
    const models = await call(emu, 'GET', '/models');
    expect(models.body.object).toBe('list');
    expect(models.body.data[0]).toEqual({ id: 'kling-2.6', name: 'Kling 2.6', description: expect.any(String), maxDurationSeconds: 10, supportsNativeAudio: true, aspectRatios: ['9:16', '16:9', '1:1'], tier: 'premium' });
  });

  it('sends X-RateLimit-* on every response and 429 with Retry-After over the limit', async () => {
    const emu = await start({ rateLimit: { limit: 3, windowMs: 60_000 } });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await call(emu, 'GET', i === 1 ? '/nope' : '/me');
      expect(result.headers.get('x-ratelimit-limit')).toBe('3');
      const reset = Number(result.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
      remaining.push(result.headers.get('x-ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await call(emu, 'GET', '/me');
    expectEnvelope(over, 429, 'rate_limited');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(emu.stats.rateLimited).toBe(1);
  });

  it('limits POST /videos with its own generation bucket', async () => {
    const emu = await start({ generationRateLimit: { limit: 1, windowMs: 60_000 } });
    expect((await call(emu, 'POST', '/videos', VIDEO)).status).toBe(201);
    const second = await call(emu, 'POST', '/videos', VIDEO);
    expectEnvelope(second, 429, 'rate_limited');
    expect(second.headers.get('x-ratelimit-limit')).toBe('1');
    expect((await call(emu, 'GET', '/me')).status).toBe(200);
  });

  it('injects 429 storms and 5xx with the envelope and counts them', async () => {
    const emu = await start();
    emu.faults.storm429 = 2;
    emu.faults.retryAfterSeconds = 3;
    for (let i = 0; i < 2; i++) {
      const result = await call(emu, 'GET', '/me');
      expectEnvelope(result, 429, 'rate_limited');
      expect(result.headers.get('retry-after')).toBe('3');
      expect(result.headers.get('x-ratelimit-limit')).toBeTruthy();
    }
    emu.faults.fail5xx = 1;
    const failed = await call(emu, 'GET', '/me');
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.body.error.code).toBe('server_error');
    expect((await call(emu, 'GET', '/me')).status).toBe(200);
    expect(emu.stats.injected429).toBe(2);
    expect(emu.stats.rateLimited).toBe(0);
    expect(emu.stats.requests).toBe(4);
    expect(emu.stats.byRoute['GET /api/v1/me']).toBe(4);
  });

  it('answers 402 subscription_required behind the paywall', async () => {
    const emu = await start({ credits: 0, subscriptionStatus: 'CANCELED' });
    expectEnvelope(await call(emu, 'GET', '/models'), 402, 'subscription_required');
  });
});

describe('UnrealUGC emulator: videos', () => {
  it('validates the create body with 400 envelopes naming the field', async () => {
    const emu = await start();
    const bad: [unknown, string][] = [
      [{ ...VIDEO, script: undefined }, 'script'],
      [{ ...VIDEO, script: 'too short' }, 'script'],
      [{ ...VIDEO, script: 'x'.repeat(2401) }, 'script'],
      [{ ...VIDEO, script: 42 }, 'script'],
      [{ ...VIDEO, productName: undefined }, 'productName'],
      [{ ...VIDEO, creatorId: undefined }, 'creatorId'],
      [{ ...VIDEO, creatorId: 'nobody' }, 'creatorId'],
      [{ ...VIDEO, customCreatorId: 'c123' }, 'customCreatorId'],
      [{ ...VIDEO, videoModel: 'nope' }, 'videoModel'],
      [{ ...VIDEO, useNativeAudio: 'yes' }, 'useNativeAudio'],
      [{ ...VIDEO, videoModel: 'hailuo-02', useNativeAudio: true }, 'useNativeAudio'],
      [{ ...VIDEO, useNativeAudio: false }, 'voiceId'],
      [{ ...VIDEO, useNativeAudio: false, voiceId: 'nope' }, 'voiceId'],
      [{ ...VIDEO, durationSeconds: 30 }, 'durationSeconds'],
      [{ ...VIDEO, durationSeconds: '10' }, 'durationSeconds'],
      [{ ...VIDEO, aspectRatio: '4:3' }, 'aspectRatio'],
      [{ ...VIDEO, videoModel: 'veo-3.1', durationSeconds: 8, aspectRatio: '1:1' }, 'aspectRatio'],
      [{ ...VIDEO, projectId: 'cmissing' }, 'projectId'],
      [{ ...VIDEO, productImageUrl: 'not a url' }, 'productImageUrl'],
      [{ ...VIDEO, presetSlug: 'ugc-cinematic' }, 'presetSlug'],
    ];
    for (const [body, field] of bad) {
      const result = await call(emu, 'POST', '/videos', body);
      expectEnvelope(result, 400, 'invalid_request');
      expect(result.body.error.details.field, JSON.stringify(body)).toBe(field);
    }
    expectEnvelope(await call(emu, 'POST', '/videos', '{"script":'), 400, 'invalid_json');
    expectEnvelope(await call(emu, 'POST', '/videos', '[1,2]'), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'POST', '/videos', { ...VIDEO, script: 'x'.repeat(1024 * 1024 + 10) }), 413, 'payload_too_large');
    expectEnvelope(await call(emu, 'GET', '/videos/cnothere'), 404, 'not_found');
    expect(emu.videos.size).toBe(0);
    expect(emu.stats.jobsCreated).toBe(0);
  });

  it('estimates per the pricing, refuses with 402 when credits are short, and charges on create', async () => {
    const emu = await start({ credits: 300 });
    const estimate = await call(emu, 'POST', '/videos/estimate', VIDEO);
    expect(estimate.body).toEqual({ totalCredits: 280, credits: 300, canAfford: true });
    expect((await call(emu, 'POST', '/videos/estimate', { ...VIDEO, durationSeconds: 7 })).body.totalCredits).toBe(280);
    expect((await call(emu, 'POST', '/videos/estimate', { ...VIDEO, durationSeconds: 3 })).body.totalCredits).toBe(140);
    expect((await call(emu, 'POST', '/videos', VIDEO)).status).toBe(201);
    expect((await call(emu, 'GET', '/credits')).body.credits).toBe(20);
    expect((await call(emu, 'POST', '/videos/estimate', VIDEO)).body).toEqual({ totalCredits: 280, credits: 20, canAfford: false });
    const refused = await call(emu, 'POST', '/videos', VIDEO);
    expectEnvelope(refused, 402, 'insufficient_credits');
    expect(refused.body.error).toEqual({ code: 'insufficient_credits', message: '280 credits required', details: { required: 280 } });
    expect(emu.videos.size).toBe(1);
  });

  it('creates a video, moves it to COMPLETED and serves a real MP4 at outputUrl', async () => {
    const emu = await start();
    const created = await call(emu, 'POST', '/videos', VIDEO);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'GENERATING', script: SCRIPT, productName: 'Acme Skincare', durationSeconds: 10, aspectRatio: '9:16', videoModel: 'kling-2.6', audio: 'native', voiceId: null, creatorId: expect.stringMatching(/^c/), customCreatorId: null, projectId: expect.any(String), outputUrl: null, creditsCharged: 280, creditsFinal: null });
    expect(created.body.creatorId).not.toBe('tech-savvy-female-30');
    const { seen, video } = await waitFor(emu, created.body.id, (status) => status === 'COMPLETED' || status === 'FAILED');
    expect(seen[0]).toBe('GENERATING');
    expect(seen.at(-1)).toBe('COMPLETED');
    expect(seen).toContain('RENDERING');
    expect(seen.every((status) => ['GENERATING', 'RENDERING', 'COMPLETED'].includes(status))).toBe(true);
    expect(video).toMatchObject({ outputUrl: `${emu.origin}/files/${created.body.id}.mp4`, creditsFinal: 280, title: expect.any(String), error: null });
    const download = await fetch(video.outputUrl as string);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(Number(download.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const project = await call(emu, 'GET', `/projects/${created.body.projectId}`);
    expect(project.body).toMatchObject({ name: 'Acme Skincare', productName: 'Acme Skincare' });
    expect(emu.stats.maxActiveJobs).toBe(1);
  });

  it('ends FAILED for a [[fail]] script and refunds the hold', async () => {
    const emu = await start({ credits: 1000 });
    const created = await call(emu, 'POST', '/videos', { ...VIDEO, script: `${SCRIPT} [[fail]]` });
    expect((await call(emu, 'GET', '/credits')).body.credits).toBe(720);
    const { video } = await waitFor(emu, created.body.id, (status) => status === 'COMPLETED' || status === 'FAILED');
    expect(video).toMatchObject({ status: 'FAILED', error: expect.any(String), outputUrl: null, creditsFinal: null });
    expect((await call(emu, 'GET', '/credits')).body.credits).toBe(1000);
    expect((await fetch(`${emu.origin}/files/${created.body.id}.mp4`)).status).toBe(404);
  });

  it('ignores an Idempotency-Key header, as the document names none: the same key twice makes two videos', async () => {
    const emu = await start();
    const headers = { 'idempotency-key': 'key-1' };
    const first = await call(emu, 'POST', '/videos', VIDEO, headers);
    const again = await call(emu, 'POST', '/videos', VIDEO, headers);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.id).not.toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect((await call(emu, 'POST', '/videos', { ...VIDEO, productName: 'Other' }, headers)).status).toBe(201);
    expect(emu.stats.jobsCreated).toBe(3);
  });

  it('drops the connection after commit; the video is listed with the fields it was made from', async () => {
    const emu = await start();
    emu.faults.dropAfterCommit = 1;
    await expect(call(emu, 'POST', '/videos', VIDEO, { 'idempotency-key': 'drop-1' })).rejects.toThrow();
    expect(emu.videos.size).toBe(1);
    const [id] = [...emu.videos.keys()];
    const listed = await call(emu, 'GET', '/videos?limit=100');
    expect(listed.body.data).toMatchObject([{ id, script: VIDEO.script, productName: VIDEO.productName, createdAt: expect.any(String) }]);
    expect(emu.stats.jobsCreated).toBe(1);
  });

  it('enforces planConcurrency with 429 concurrency_limit_exceeded and tracks maxActiveJobs', async () => {
    const emu = await start({ planConcurrency: 1 });
    const first = await call(emu, 'POST', '/videos', VIDEO);
    expect(first.status).toBe(201);
    const second = await call(emu, 'POST', '/videos', VIDEO);
    expectEnvelope(second, 429, 'concurrency_limit_exceeded');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await waitFor(emu, first.body.id, (status) => status === 'COMPLETED');
    expect((await call(emu, 'POST', '/videos', VIDEO)).status).toBe(201);
    expect(emu.stats.maxActiveJobs).toBe(1);
    expect(emu.concurrencyRefused).toBe(1);
  });

  it('walks video pages by cursor with no duplicates and filters by status and projectId', async () => {
    const emu = await start({ jobDurationMs: 60_000 });
    const project = await call(emu, 'POST', '/projects', { name: 'Q3 Launch', productName: 'Acme Skincare' });
    expect(project.status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      const body = i % 3 === 0 ? { ...VIDEO, projectId: project.body.id } : VIDEO;
      ids.push((await call(emu, 'POST', '/videos', body)).body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Call = await call(emu, 'GET', `/videos?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.object).toBe('list');
      expect(page.body.data.length).toBeLessThanOrEqual(5);
      seen.push(...page.body.data.map((video: { id: string }) => video.id));
      cursor = page.body.next_cursor;
      expect(page.body.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(23);
    expect(seen).toEqual([...ids].reverse());
    const inProject = await call(emu, 'GET', `/videos?projectId=${project.body.id}&limit=100`);
    expect(inProject.body.data).toHaveLength(8);
    expect((await call(emu, 'GET', '/videos?status=COMPLETED')).body.data).toHaveLength(0);
    expect((await call(emu, 'GET', '/videos?status=GENERATING&limit=100')).body.data).toHaveLength(23);
    expectEnvelope(await call(emu, 'GET', '/videos?limit=101'), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'GET', '/videos?status=DONE'), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'GET', '/videos?cursor=cunknown'), 400, 'invalid_request');
  });
});

describe('UnrealUGC emulator: creators, voices, uploads, projects', () => {
  it('lists stock creators with include and limit, resolves slugs and refuses deleting stock', async () => {
    const emu = await start();
    const stock = await call(emu, 'GET', '/creators?include=stock');
    expect(stock.body.data.length).toBeGreaterThanOrEqual(85);
    const example = stock.body.data.find((creator: { slug: string }) => creator.slug === 'tech-savvy-female-30');
    expect(example).toEqual({
      id: expect.any(String),
      slug: 'tech-savvy-female-30',
      name: expect.any(String),
      gender: 'female',
      age: 30,
      category: expect.any(String),
      style: 'Tech-savvy professional',
      description: expect.any(String),
      avatarUrl: expect.any(String),
      previewVideoUrl: expect.any(String),
      bestFor: expect.any(Array),
      isCustom: false,
    });
    expect((await call(emu, 'GET', '/creators?limit=10')).body.data).toHaveLength(10);
    expect((await call(emu, 'GET', '/creators?include=custom')).body.data).toHaveLength(0);
    expectEnvelope(await call(emu, 'GET', '/creators?include=everyone'), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'GET', '/creators?limit=251'), 400, 'invalid_request');
    expect((await call(emu, 'GET', '/creators/tech-savvy-female-30')).body.id).toBe(example.id);
    expect((await call(emu, 'GET', `/creators/${example.id}`)).body.slug).toBe('tech-savvy-female-30');
    expectEnvelope(await call(emu, 'DELETE', `/creators/${example.id}`), 400, 'stock_resource_not_deletable');
    expectEnvelope(await call(emu, 'DELETE', '/creators/cnothere'), 404, 'not_found');
    expect((await fetch(example.previewVideoUrl)).status).toBe(200);
  });

  it('round-trips an avatar upload into a custom creator usable by a video, then deletes it', async () => {
    const emu = await start();
    expectEnvelope(await call(emu, 'POST', '/uploads/avatar', { contentType: 'image/gif', extension: 'gif' }), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'POST', '/uploads/avatar', { contentType: 'image/png' }), 400, 'invalid_request');
    const presign = await call(emu, 'POST', '/uploads/avatar', { contentType: 'image/png', extension: 'png' });
    expect(presign.status).toBe(200);
    expect(presign.body).toEqual({ uploadUrl: expect.stringMatching(new RegExp(`^${emu.origin}/`)), r2Key: expect.stringMatching(/^custom-creators\/.+\.png$/), method: 'PUT', headers: { 'Content-Type': 'image/png' }, expiresInSeconds: 600 });
    expectEnvelope(await call(emu, 'POST', '/creators', { name: 'Founder avatar', r2Key: presign.body.r2Key }), 400, 'invalid_request');
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    expect((await fetch(presign.body.uploadUrl, { method: 'PUT', body: png, headers: { 'content-type': 'image/jpeg' } })).status).toBe(403);
    expect((await fetch(presign.body.uploadUrl.replace(/Signature=\w+/, 'Signature=bad'), { method: 'PUT', body: png, headers: presign.body.headers })).status).toBe(403);
    const tooBig = await fetch(presign.body.uploadUrl, { method: 'PUT', body: Buffer.alloc(AVATAR_MAX_BYTES + 1), headers: presign.body.headers });
    expect(tooBig.status).toBe(413);
    expect((await fetch(presign.body.uploadUrl, { method: 'PUT', body: png, headers: presign.body.headers })).status).toBe(200);
    expectEnvelope(await call(emu, 'POST', '/creators', { name: 'F', r2Key: presign.body.r2Key }), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'POST', '/creators', { name: 'Founder avatar', r2Key: 'custom-creators/x/1.png' }), 400, 'invalid_request');
    const created = await call(emu, 'POST', '/creators', { name: 'Founder avatar', r2Key: presign.body.r2Key });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'Founder avatar', avatarUrl: expect.any(String), createdAt: expect.any(String), isCustom: true });
    expect(Buffer.from(await (await fetch(created.body.avatarUrl)).arrayBuffer())).toEqual(png);
    expect((await call(emu, 'GET', `/creators/${created.body.id}`)).body).toEqual(created.body);
    expect((await call(emu, 'GET', '/creators?include=custom')).body.data).toEqual([created.body]);
    const video = await call(emu, 'POST', '/videos', { ...VIDEO, creatorId: undefined, customCreatorId: created.body.id });
    expect(video.body).toMatchObject({ status: 'GENERATING', customCreatorId: created.body.id, creatorId: null });
    expect((await call(emu, 'DELETE', `/creators/${created.body.id}`)).body).toEqual({ id: created.body.id, deleted: true });
    expectEnvelope(await call(emu, 'GET', `/creators/${created.body.id}`), 404, 'not_found');
  });

  it('round-trips a voice sample into a custom voice with the 25 MB limit', async () => {
    const emu = await start();
    const stock = await call(emu, 'GET', '/voices');
    expect(stock.body.data[0]).toEqual({ id: expect.any(String), name: expect.any(String), gender: expect.any(String), isCustom: false, previewUrl: null, createdAt: null });
    expectEnvelope(await call(emu, 'DELETE', `/voices/${stock.body.data[0].id}`), 400, 'stock_resource_not_deletable');
    const presign = await call(emu, 'POST', '/uploads/voice-sample', { contentType: 'audio/mpeg', extension: 'mp3' });
    expect(presign.body.r2Key).toMatch(/^custom-voices\/.+\.mp3$/);
    const tooBig = await fetch(presign.body.uploadUrl, { method: 'PUT', body: Buffer.alloc(VOICE_SAMPLE_MAX_BYTES + 1), headers: presign.body.headers });
    expect(tooBig.status).toBe(413);
    expect((await fetch(presign.body.uploadUrl, { method: 'PUT', body: Buffer.alloc(AVATAR_MAX_BYTES + 1), headers: presign.body.headers })).status).toBe(200);
    const avatarKey = (await call(emu, 'POST', '/uploads/avatar', { contentType: 'image/png', extension: 'png' })).body.r2Key;
    expectEnvelope(await call(emu, 'POST', '/voices', { name: 'Founder voice', r2Key: avatarKey, contentType: 'audio/mpeg' }), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'POST', '/voices', { name: 'Founder voice', r2Key: presign.body.r2Key }), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'POST', '/voices', { name: 'Founder voice', r2Key: presign.body.r2Key, contentType: 'audio/mpeg', gender: 'other' }), 400, 'invalid_request');
    const voice = await call(emu, 'POST', '/voices', { name: 'Founder voice', r2Key: presign.body.r2Key, contentType: 'audio/mpeg', durationSeconds: 180, gender: 'female' });
    expect(voice.status).toBe(201);
    expect(voice.body).toEqual({ id: expect.any(String), name: 'Founder voice', gender: 'female', isCustom: true, previewUrl: expect.any(String), createdAt: expect.any(String) });
    const video = await call(emu, 'POST', '/videos', { ...VIDEO, videoModel: 'hailuo-02', useNativeAudio: undefined, voiceId: voice.body.id });
    expect(video.body).toMatchObject({ audio: 'voice', voiceId: voice.body.id, creditsCharged: 140 });
    expect((await call(emu, 'DELETE', `/voices/${voice.body.id}`)).status).toBe(200);
    expectEnvelope(await call(emu, 'GET', `/voices/${voice.body.id}`), 404, 'not_found');
  });

  it('creates, updates, paginates and soft-deletes projects', async () => {
    const emu = await start();
    expectEnvelope(await call(emu, 'POST', '/projects', { name: '' }), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'POST', '/projects', { name: 'x'.repeat(201) }), 400, 'invalid_request');
    expectEnvelope(await call(emu, 'POST', '/projects', { name: 'Bad', productUrl: 'ftp://x' }), 400, 'invalid_request');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await call(emu, 'POST', '/projects', { name: `P${i}`, creatorId: 'tech-savvy-female-30' })).body.id);
    const patched = await call(emu, 'PATCH', `/projects/${ids[0]}`, { name: 'Renamed', productUrl: 'https://acme.example' });
    expect(patched.body).toMatchObject({ id: ids[0], name: 'Renamed', productUrl: 'https://acme.example', creatorId: expect.stringMatching(/^c/) });
    expect((await call(emu, 'DELETE', `/projects/${ids[3]}`)).body).toEqual({ id: ids[3], deleted: true });
    expectEnvelope(await call(emu, 'GET', `/projects/${ids[3]}`), 404, 'not_found');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Call = await call(emu, 'GET', `/projects?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((project: { id: string }) => project.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids.filter((_, i) => i !== 3).reverse());
  });
});
