import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMultipart, startVidgenEmulator, type VidgenEmulator, type VidgenEmulatorOptions } from './vidgen.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('\r\n--not-a-boundary\r\n\r\n\x00\xff', 'latin1')]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const WEBP = Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1');
const MP3 = Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00\r\n\r\n--', 'latin1');
const WAV = Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1');
const M4A = Buffer.from('\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00', 'latin1');
const OGG = Buffer.from('OggS\x00\x02\x00\x00', 'latin1');

let emulators: VidgenEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((emu) => emu.close()));
  emulators = [];
});

async function start(options: VidgenEmulatorOptions = {}): Promise<VidgenEmulator> {
  const emu = await startVidgenEmulator({ jobDurationMs: 300, ...options });
  emulators.push(emu);
  return emu;
}

interface Upload {
  image?: Buffer | null;
  audio?: Buffer | null;
  webhookUrl?: string;
  imageType?: string;
}

function form(upload: Upload = {}): FormData {
  const data = new FormData();
  const image = upload.image === undefined ? PNG : upload.image;
  const audio = upload.audio === undefined ? MP3 : upload.audio;
  if (image) data.append('image', new Blob([image], { type: upload.imageType ?? 'image/png' }), 'portrait.png');
  if (audio) data.append('audio', new Blob([audio], { type: 'audio/mpeg' }), 'voiceover.mp3');
  if (upload.webhookUrl !== undefined) data.append('webhookUrl', upload.webhookUrl);
  return data;
}

const submit = (emu: VidgenEmulator, upload: Upload = {}, key = emu.apiKey) =>
  fetch(`${emu.url}/api/jobs`, { method: 'POST', headers: { 'X-API-Key': key }, body: form(upload) });

async function create(emu: VidgenEmulator, upload: Upload = {}, key = emu.apiKey): Promise<string> {
  const res = await submit(emu, upload, key);
  const body = (await res.json()) as { message: string; jobId: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  expect(body.message).toBe('Job created');
  return body.jobId;
}

const api = (emu: VidgenEmulator, path: string, init: RequestInit = {}, key = emu.apiKey) =>
  fetch(`${emu.url}${path}`, { ...init, headers: { 'X-API-Key': key, ...init.headers } });

interface StatusObject {
  jobId: string;
  status: string;
  progress: number;
  outputVideo: string | null;
  outputShareLink: string | null;
  errorMessage: string | null;
  createdAt: string;
  updatedAt: string;
}

async function status(emu: VidgenEmulator, jobId: string): Promise<StatusObject> {
  const res = await api(emu, `/api/status/${jobId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as StatusObject;
}

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

const untilStatus = (emu: VidgenEmulator, jobId: string, wanted: string[]) =>
  waitFor(async () => {
    const s = await status(emu, jobId);
    return wanted.includes(s.status) ? s : undefined;
  });

describe('vidgen emulator: health and auth', () => {
  it('answers the liveness probe without a key', async () => {
    const emu = await start();
    const res = await fetch(`${emu.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('tells a missing key from an unknown or deactivated one, both 401', async () => {
    const emu = await start({ apiKey: 'vg_one' });
    const missing = await fetch(`${emu.url}/api/jobs`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: 'Missing X-API-Key header' });
    const unknown = await api(emu, '/api/jobs', {}, 'vg_nope');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ error: 'API key not recognized or has been deactivated' });
    expect((await api(emu, '/api/jobs')).status).toBe(200);
    emu.apiKeys.delete('vg_one');
    expect((await api(emu, '/api/jobs')).status).toBe(401);
  });

  it('answers unknown routes with 404 and the error envelope', async () => {
    const emu = await start();
    const res = await api(emu, '/api/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Not found' });
  });
});

describe('vidgen emulator: POST /api/jobs validation', () => {
  const cases: [string, Upload, number][] = [
    ['no image', { image: null }, 400],
    ['no audio', { audio: null }, 400],
    ['an empty image', { image: Buffer.alloc(0) }, 400],
    ['an empty audio', { audio: Buffer.alloc(0) }, 400],
    ['a text file as the image', { image: Buffer.from('hello, not an image') }, 415],
    ['a PNG as the audio', { audio: PNG }, 415],
    ['an http webhookUrl', { webhookUrl: 'http://example.com/hook' }, 400],
    ['a webhookUrl that is no URL', { webhookUrl: 'not a url' }, 400],
  ];
  for (const [what, upload, code] of cases) {
    it(`rejects ${what} with ${code}`, async () => {
      const emu = await start();
      const res = await submit(emu, upload);
      expect(res.status).toBe(code);
      const body = (await res.json()) as { error: unknown };
      expect(typeof body.error).toBe('string');
      expect(emu.jobs.size).toBe(0);
    });
  }

  it('sniffs content rather than trusting the declared type, for every documented format', async () => {
    const emu = await start({ jobDurationMs: 20 });
    for (const [image, audio] of [[JPEG, WAV], [WEBP, M4A], [PNG, OGG]] as const) {
      const id = await create(emu, { image, audio, imageType: 'application/octet-stream' });
      await untilStatus(emu, id, ['COMPLETED']);
    }
    expect([...emu.uploads.values()].map((u) => [u.image.contentType, u.audio.contentType])).toEqual([
      ['image/jpeg', 'audio/wav'],
      ['image/webp', 'audio/mp4'],
      ['image/png', 'audio/ogg'],
    ]);
  });

  it('rejects a body that is not multipart/form-data with 400', async () => {
    const emu = await start();
    const res = await api(emu, '/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"image":"x"}' });
    expect(res.status).toBe(400);
    const broken = await api(emu, '/api/jobs', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=abc' }, body: '--abc\r\ngarbage' });
    expect(broken.status).toBe(400);
  });

  it('rejects a file over the size limit with 413', async () => {
    const emu = await start({ maxFileBytes: 1024 });
    const res = await submit(emu, { image: Buffer.concat([PNG, Buffer.alloc(2048)]) });
    expect(res.status).toBe(413);
    expect(emu.jobs.size).toBe(0);
  });

  it('keeps binary uploads byte for byte, CRLF and dashes included', async () => {
    const emu = await start();
    const image = Buffer.concat([PNG, Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n--')]);
    const id = await create(emu, { image, webhookUrl: 'https://your.app/hooks/vidgen' });
    const stored = emu.uploads.get(id);
    expect(stored?.image.data.equals(image)).toBe(true);
    expect(stored?.image.filename).toBe('portrait.png');
    expect(stored?.audio.data.equals(MP3)).toBe(true);
    expect(emu.jobs.get(id)?.webhookUrl).toBe('https://your.app/hooks/vidgen');
  });
});

describe('vidgen emulator: multipart parser', () => {
  it('parses fields, files, quoted names and an empty file', () => {
    const body = Buffer.from(
      'preamble\r\n--b\r\nContent-Disposition: form-data; name="webhookUrl"\r\n\r\nhttps://x.test/h\r\n' +
        '--b\r\nContent-Disposition: form-data; name="image"; filename="a \\"b\\".png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--bb\r\n' +
        '--b\r\nContent-Disposition: form-data; name="audio"; filename="e.mp3"\r\n\r\n\r\n--b--\r\n',
      'latin1',
    );
    const parts = parseMultipart(body, 'b');
    expect(parts?.map((p) => [p.name, p.filename, p.contentType, p.data.toString('latin1')])).toEqual([
      ['webhookUrl', undefined, undefined, 'https://x.test/h'],
      ['image', 'a "b".png', 'image/png', '\x89PNG\r\n--bb'],
      ['audio', 'e.mp3', undefined, ''],
    ]);
    expect(parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nunterminated'), 'b')).toBeUndefined();
    expect(parseMultipart(Buffer.from('no delimiter'), 'b')).toBeUndefined();
  });
});

describe('vidgen emulator: job lifecycle', () => {
  it('goes PENDING → PROCESSING → COMPLETED and serves a real MP4', async () => {
    const emu = await start();
    emu.pauseQueue();
    const id = await create(emu);
    const first = await status(emu, id);
    expect(first).toEqual({
      jobId: id,
      status: 'PENDING',
      progress: 0,
      outputVideo: null,
      outputShareLink: null,
      errorMessage: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(new Date(first.createdAt).toISOString()).toBe(first.createdAt);
    emu.resumeQueue();
    const processing = await untilStatus(emu, id, ['PROCESSING', 'COMPLETED']);
    if (processing.status === 'PROCESSING') expect(processing.progress).toBeGreaterThanOrEqual(0);
    expect(processing.progress).toBeLessThanOrEqual(100);
    const done = await untilStatus(emu, id, ['COMPLETED']);
    expect(done.progress).toBe(100);
    expect(done.outputVideo).toBe(`${emu.origin}/files/${id}.mp4`);
    expect(done.outputShareLink).toBe(`${emu.origin}/share/${id}`);
    expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(Date.parse(done.createdAt));
    const video = await fetch(done.outputVideo ?? '');
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect((await fetch(done.outputShareLink ?? '')).status).toBe(200);
  });

  it('reports progress rising while PROCESSING', async () => {
    const emu = await start({ jobDurationMs: 1000 });
    const id = await create(emu);
    const seen: number[] = [];
    await waitFor(async () => {
      const s = await status(emu, id);
      if (s.status === 'PROCESSING') seen.push(s.progress);
      return s.status === 'COMPLETED' ? true : undefined;
    });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((p, i) => p >= 0 && p <= 99 && (i === 0 || p >= (seen[i - 1] ?? 0)))).toBe(true);
    expect(seen.at(-1)).toBeGreaterThan(seen[0] ?? 0);
  });

  it('404s unknown jobs, other keys’ jobs and unfinished files', async () => {
    const emu = await start();
    emu.pauseQueue();
    emu.apiKeys.add('vg_other');
    const id = await create(emu);
    expect((await api(emu, '/api/status/nope')).status).toBe(404);
    const foreign = await api(emu, `/api/status/${id}`, {}, 'vg_other');
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual({ error: 'Job not found' });
    expect((await api(emu, `/api/cancel/${id}`, { method: 'POST' }, 'vg_other')).status).toBe(404);
    expect((await fetch(`${emu.origin}/files/${id}.mp4`)).status).toBe(404);
  });

  it('ends FAILED with an errorMessage when forced, then works again', async () => {
    const emu = await start();
    emu.failNext = 1;
    const failed = await untilStatus(emu, await create(emu), ['COMPLETED', 'FAILED']);
    expect(failed.status).toBe('FAILED');
    expect(failed.errorMessage).toMatch(/failed/);
    expect(failed.outputVideo).toBeNull();
    expect((await untilStatus(emu, await create(emu), ['COMPLETED', 'FAILED'])).status).toBe('COMPLETED');
  });
});

describe('vidgen emulator: one active job per key', () => {
  it('answers 409 while a job is PENDING or PROCESSING, and accepts once it completed', async () => {
    const emu = await start({ jobDurationMs: 1000 });
    emu.pauseQueue();
    const id = await create(emu);
    const second = await submit(emu);
    expect(second.status).toBe(409);
    expect(typeof ((await second.json()) as { error: unknown }).error).toBe('string');
    emu.resumeQueue();
    await untilStatus(emu, id, ['PROCESSING']);
    expect((await submit(emu)).status).toBe(409);
    await untilStatus(emu, id, ['COMPLETED']);
    await create(emu);
    expect(emu.stats.jobsCreated).toBe(2);
    expect(emu.stats.maxActiveJobs).toBe(1);
  });

  it('accepts a new job once the active one is cancelled, and counts per key', async () => {
    const emu = await start();
    emu.pauseQueue();
    emu.apiKeys.add('vg_other');
    const id = await create(emu);
    expect((await submit(emu)).status).toBe(409);
    await create(emu, {}, 'vg_other'); // another key has its own slot
    expect((await api(emu, `/api/cancel/${id}`, { method: 'POST' })).status).toBe(200);
    await create(emu);
  });
});

describe('vidgen emulator: cancel', () => {
  it('cancels a PENDING job and refuses anything else with 409', async () => {
    const emu = await start();
    emu.pauseQueue();
    const id = await create(emu);
    const res = await api(emu, `/api/cancel/${id}`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, message: 'Job cancelled successfully' });
    const cancelled = await status(emu, id);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.outputVideo).toBeNull();
    const again = await api(emu, `/api/cancel/${id}`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(typeof ((await again.json()) as { error: unknown }).error).toBe('string');
    expect((await api(emu, '/api/cancel/nope', { method: 'POST' })).status).toBe(404);

    // Cancelled jobs never start, even after the queue resumes.
    emu.resumeQueue();
    await sleep(400);
    expect((await status(emu, id)).status).toBe('CANCELLED');
  });

  it('refuses to cancel a PROCESSING or COMPLETED job with 409', async () => {
    const emu = await start({ jobDurationMs: 2000 });
    const id = await create(emu);
    await untilStatus(emu, id, ['PROCESSING']);
    expect((await api(emu, `/api/cancel/${id}`, { method: 'POST' })).status).toBe(409);
    await emu.close();
    const fast = await start({ jobDurationMs: 30 });
    const done = await create(fast);
    await untilStatus(fast, done, ['COMPLETED']);
    expect((await api(fast, `/api/cancel/${done}`, { method: 'POST' })).status).toBe(409);
  });
});

interface ListBody {
  jobs: { id: string; status: string; outputVideo: string | null; outputShareLink: string | null; errorMessage: string | null; retries: number; createdAt: string; updatedAt: string; webhookUrl: string | null }[];
  pagination: { limit: number; nextCursor: string | null; hasNextPage: boolean };
}

async function listAll(emu: VidgenEmulator, query: string): Promise<{ ids: string[]; pages: ListBody[] }> {
  const pages: ListBody[] = [];
  let cursor: string | null = null;
  do {
    const res = await api(emu, `/api/jobs?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as ListBody;
    pages.push(page);
    expect(page.pagination.hasNextPage).toBe(page.pagination.nextCursor !== null);
    cursor = page.pagination.nextCursor;
  } while (cursor && pages.length < 50);
  return { ids: pages.flatMap((p) => p.jobs.map((j) => j.id)), pages };
}

describe('vidgen emulator: GET /api/jobs', () => {
  it('pages newest first with a cursor, without duplicates, and filters by status', async () => {
    const emu = await start({ jobDurationMs: 20 });
    const created: string[] = [];
    emu.pauseQueue();
    for (let i = 0; i < 5; i++) {
      const id = await create(emu, { webhookUrl: i === 0 ? 'https://your.app/h' : undefined });
      created.push(id);
      expect((await api(emu, `/api/cancel/${id}`, { method: 'POST' })).status).toBe(200);
    }
    emu.resumeQueue();
    const last = await create(emu);
    created.push(last);
    await untilStatus(emu, last, ['COMPLETED']);
    emu.apiKeys.add('vg_other');
    await create(emu, {}, 'vg_other'); // never listed for the first key

    const newestFirst = [...created].reverse();
    const { ids, pages } = await listAll(emu, 'limit=2');
    expect(ids).toEqual(newestFirst);
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages.map((p) => p.jobs.length)).toEqual([2, 2, 2]);
    expect(pages[0]?.pagination).toEqual({ limit: 2, nextCursor: expect.any(String), hasNextPage: true });
    expect(pages.at(-1)?.pagination).toEqual({ limit: 2, nextCursor: null, hasNextPage: false });
    const times = pages.flatMap((p) => p.jobs.map((j) => Date.parse(j.createdAt)));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const first = pages[0]?.jobs[0];
    expect(first).toEqual({
      id: last,
      status: 'COMPLETED',
      outputVideo: `${emu.origin}/files/${last}.mp4`,
      outputShareLink: `${emu.origin}/share/${last}`,
      errorMessage: null,
      retries: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      webhookUrl: null,
    });
    expect(pages.at(-1)?.jobs.at(-1)?.webhookUrl).toBe('https://your.app/h');

    expect((await listAll(emu, 'status=CANCELLED&limit=2')).ids).toEqual(newestFirst.slice(1));
    expect((await listAll(emu, 'status=COMPLETED')).ids).toEqual([last]);
    expect((await listAll(emu, 'status=FAILED')).ids).toEqual([]);

    const defaults = (await (await api(emu, '/api/jobs')).json()) as ListBody;
    expect(defaults.pagination).toEqual({ limit: 20, nextCursor: null, hasNextPage: false });
    expect(defaults.jobs).toHaveLength(6);
  });

  it('rejects a bad limit, status or cursor with 400', async () => {
    const emu = await start();
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'limit=2.5', 'status=DONE', 'cursor=nope']) {
      const res = await api(emu, `/api/jobs?${query}`);
      expect(res.status, query).toBe(400);
      expect(typeof ((await res.json()) as { error: unknown }).error).toBe('string');
    }
    expect((await api(emu, '/api/jobs?limit=100')).status).toBe(200);
  });
});

describe('vidgen emulator: rate limits', () => {
  // kit's windows are aligned to the clock: keep a test from straddling a minute boundary.
  beforeEach(async () => {
    if (Date.now() % 60_000 > 58_000) await sleep(60_000 - (Date.now() % 60_000) + 50);
  });

  it('sends RateLimit-* headers on /api/* and 429 with Retry-After when over', async () => {
    const emu = await start({ rateLimit: { limit: 3, windowMs: 60_000 } });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api(emu, '/api/jobs');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      const reset = Number(res.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      remaining.push(res.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await api(emu, '/api/status/x');
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get('ratelimit-remaining')).toBe('0');
    expect(await over.json()).toEqual({ error: expect.any(String) });
    // Unauthenticated requests count too (the limit is per IP), and the health probe is exempt.
    expect((await fetch(`${emu.url}/api/jobs`)).status).toBe(429);
    expect((await fetch(`${emu.url}/api/health`)).status).toBe(200);
    expect(emu.stats.rateLimited).toBe(2);
  });

  it('limits submissions separately', async () => {
    const emu = await start({ submitRateLimit: { limit: 1, windowMs: 60_000 } });
    emu.pauseQueue();
    const ok = await submit(emu);
    expect(ok.status).toBe(201);
    expect(ok.headers.get('ratelimit-limit')).toBe('1');
    expect(ok.headers.get('ratelimit-remaining')).toBe('0');
    const over = await submit(emu);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).not.toBeNull();
    expect((await api(emu, '/api/jobs')).headers.get('ratelimit-limit')).toBe('600');
  });
});

describe('vidgen emulator: faults', () => {
  it('dropAfterCommit: the job exists and is active, so a resubmit gets 409', async () => {
    const emu = await start();
    emu.pauseQueue();
    emu.faults.dropAfterCommit = 1;
    await expect(submit(emu)).rejects.toThrow();
    expect(emu.jobs.size).toBe(1);
    expect(emu.stats.jobsCreated).toBe(1);
    expect((await submit(emu)).status).toBe(409);
    const { ids } = await listAll(emu, 'status=PENDING');
    expect(ids).toEqual([...emu.jobs.keys()]);
  });

  it('storm429 and fail5xx answer with the error envelope, then recover', async () => {
    const emu = await start();
    emu.faults.storm429 = 2;
    emu.faults.retryAfterSeconds = 7;
    for (let i = 0; i < 2; i++) {
      const res = await api(emu, '/api/jobs');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
    expect(emu.stats.injected429).toBe(2);
    emu.faults.fail5xx = 1;
    const failed = await submit(emu);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await failed.json()).toEqual({ error: expect.any(String) });
    expect(emu.jobs.size).toBe(0);
    await create(emu);
    expect(emu.stats.byRoute['POST /api/jobs']).toBe(2);
  });
});

describe('vidgen emulator: webhooks', () => {
  async function receiver() {
    const got: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/vidgen`;
    return { got, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('POSTs the signed status object when a job completes or fails', async () => {
    const hook = await receiver();
    try {
      const emu = await start({ allowHttpWebhooks: true, webhookSecret: 'whs_test' });
      expect(emu.webhookSecret).toBe('whs_test');
      const id = await create(emu, { webhookUrl: hook.url });
      await waitFor(() => (hook.got.length === 1 ? true : undefined)); // nobody polls: the job clock fires it
      emu.failNext = 1;
      const failedId = await create(emu, { webhookUrl: hook.url });
      await waitFor(() => (hook.got.length === 2 ? true : undefined));

      for (const [delivery, jobId, wanted] of [[hook.got[0], id, 'COMPLETED'], [hook.got[1], failedId, 'FAILED']] as const) {
        expect(delivery?.headers['content-type']).toBe('application/json');
        const expected = createHmac('sha256', 'whs_test').update(delivery?.body ?? '').digest('hex');
        expect(delivery?.headers['x-webhook-signature']).toBe(expected);
        const event = JSON.parse(delivery?.body.toString() ?? '') as StatusObject;
        expect(event).toEqual(await status(emu, jobId));
        expect(event.status).toBe(wanted);
      }
      expect(emu.webhooks.map((w) => w.status)).toEqual([200, 200]);
    } finally {
      await hook.close();
    }
  });

  it('sends nothing for a cancelled job and never calls a host other than 127.0.0.1', async () => {
    const hook = await receiver();
    try {
      const emu = await start({ allowHttpWebhooks: true });
      emu.pauseQueue();
      const cancelled = await create(emu, { webhookUrl: hook.url });
      await api(emu, `/api/cancel/${cancelled}`, { method: 'POST' });
      emu.resumeQueue();
      const remote = await create(emu, { webhookUrl: 'https://your.app/hooks/vidgen' });
      await untilStatus(emu, remote, ['COMPLETED']);
      await waitFor(() => (emu.webhooks.length === 1 ? true : undefined));
      expect(emu.webhooks[0]).toMatchObject({ jobId: remote, skipped: true });
      expect(hook.got).toHaveLength(0);
    } finally {
      await hook.close();
    }
  });
});
