import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mouthFromLoudness } from '../src/render/align/unscripted.js';
import { newJob } from '../src/core/job.js';
import { parseRange } from '../src/serve/files.js';
import { statusObject } from '../src/serve/shapes.js';
import { isPrivateAddress, webhookUrlProblem } from '../src/serve/webhooks.js';
import { addKey, multipart, rawRequest, startTestServe, wav, writeMedia, type Part, type TestServe } from './serve-kit.js';
import { tempDir, ugc } from './support.js';

/** The document's status object, as serve builds it. */
type Status = ReturnType<typeof statusObject>;

let root: { path: string; cleanup: () => Promise<void> };
let media: Awaited<ReturnType<typeof writeMedia>>;
const servers: TestServe[] = [];

beforeAll(async () => {
  root = await tempDir('ugc-serve-');
  media = await writeMedia(root.path);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => root.cleanup());

let count = 0;
async function serve(options: Parameters<typeof startTestServe>[1] = {}): Promise<TestServe> {
  const server = await startTestServe(join(root.path, `s${++count}`), options);
  servers.push(server);
  return server;
}

const files = (extra: Part[] = []): Part[] => [
  { name: 'image', filename: 'portrait.png', type: 'image/png', data: media.imageBytes },
  { name: 'audio', filename: 'voiceover.wav', type: 'audio/wav', data: media.audioBytes },
  ...extra,
];

async function post(server: TestServe, key: string | null, parts: Part[]) {
  const { body, contentType } = multipart(parts);
  const res = await fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'content-type': contentType, ...(key ? { 'x-api-key': key } : {}) }, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function create(server: TestServe, key: string, parts = files()): Promise<string> {
  const res = await post(server, key, parts);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.message).toBe('Job created');
  return res.body.jobId as string;
}

const get = async (server: TestServe, path: string, key: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { 'x-api-key': key } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
};

async function until(server: TestServe, key: string, id: string, done: (s: Status) => boolean, timeoutMs = 60_000): Promise<Status> {
  const started = Date.now();
  for (;;) {
    const { body } = await get(server, `/api/status/${id}`, key);
    if (done(body as unknown as Status)) return body as unknown as Status;
    if (Date.now() - started > timeoutMs) throw new Error(`job ${id} stuck at ${JSON.stringify(body)}`);
    await sleep(100);
  }
}
const finished = (s: Status) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s.status);

describe('ugc serve: health and keys', () => {
  it('answers health without a key, and 401 for a missing, unknown or revoked key', async () => {
    const server = await serve();
    const health = await fetch(`${server.url}/api/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    expect((await get(server, '/api/jobs', '')).body).toEqual({ error: 'Missing X-API-Key header' });
    const unknown = await get(server, '/api/jobs', 'ugs_not-a-key');
    expect([unknown.status, unknown.body]).toEqual([401, { error: 'API key not recognized or has been deactivated' }]);

    const env = { UGC_CONFIG_DIR: server.configDir };
    const added = await ugc(['serve', 'keys', 'add', 'ci-bot', '--data-dir', server.dataDir], { cwd: root.path, env });
    const key = added.stdout.trim();
    expect(key).toMatch(/^ugs_[A-Za-z0-9_-]{40,}$/);
    expect((await get(server, '/api/jobs', key)).status).toBe(200);
    // Stored hashed: the key is nowhere in the data dir, and `keys list` never shows it.
    const stored = await readFile(join(server.dataDir, 'keys.json'), 'utf8');
    expect(stored).not.toContain(key);
    expect(((await stat(join(server.dataDir, 'keys.json'))).mode & 0o777).toString(8)).toBe('600');
    const listed = await ugc(['serve', 'keys', 'list', '--data-dir', server.dataDir, '--json'], { cwd: root.path, env });
    expect(listed.stdout).not.toContain(key);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'ci-bot', revokedAt: null })]);

    expect((await ugc(['serve', 'keys', 'revoke', 'ci-bot', '--data-dir', server.dataDir], { cwd: root.path, env })).code).toBe(0);
    expect((await get(server, '/api/jobs', key)).status).toBe(401);
    const doctor = await ugc(['doctor', '--data-dir', server.dataDir, '--json'], { cwd: root.path, env });
    expect(JSON.parse(doctor.stdout).serve).toEqual({ dataDir: server.dataDir, exists: true, writable: true, activeKeys: 0, runningPid: process.pid, problem: null });
    // The request log names keys, never shows them.
    expect(server.logs.join('\n')).not.toContain(key);
    expect(server.logs.some((l) => / GET \/api\/jobs 200 .* key=ci-bot$/.test(l))).toBe(true);
  });
});

describe('ugc serve: a job from upload to video', () => {
  it('renders an image and a voiceover (no script, no captions) and serves the video with Range', async () => {
    const server = await serve();
    const key = await addKey(server.dataDir, 'a');
    const id = await create(server, key);
    const seen = new Set<string>();
    const done = await until(server, key, id, (s) => {
      seen.add(s.status);
      expect(s.progress).toBeGreaterThanOrEqual(0);
      expect(s.progress).toBeLessThanOrEqual(100);
      return finished(s);
    });
    expect(done).toMatchObject({ jobId: id, status: 'COMPLETED', progress: 100, errorMessage: null, outputVideo: `${server.url}/files/${id}.mp4`, outputShareLink: `${server.url}/share/${id}` });
    expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(Date.parse(done.createdAt));

    const whole = await fetch(done.outputVideo as string);
    const video = Buffer.from(await whole.arrayBuffer());
    expect([whole.status, whole.headers.get('accept-ranges'), whole.headers.get('content-type')]).toEqual([200, 'bytes', 'video/mp4']);
    expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const part = await fetch(done.outputVideo as string, { headers: { range: 'bytes=100-199' } });
    expect([part.status, part.headers.get('content-range')]).toEqual([206, `bytes 100-199/${video.length}`]);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(video.subarray(100, 200));
    const tail = await fetch(done.outputVideo as string, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(video.subarray(video.length - 10));
    const beyond = await fetch(done.outputVideo as string, { headers: { range: `bytes=${video.length}-` } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${video.length}`]);
    const head = await fetch(done.outputVideo as string, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(video.length));
    expect(await (await fetch(done.outputShareLink as string)).text()).toContain(`/files/${id}.mp4`);

    const { body } = await get(server, '/api/jobs', key);
    expect(body).toEqual({
      jobs: [{ id, status: 'COMPLETED', outputVideo: done.outputVideo, outputShareLink: done.outputShareLink, errorMessage: null, retries: 0, createdAt: done.createdAt, updatedAt: done.updatedAt, webhookUrl: null }],
      pagination: { limit: 20, nextCursor: null, hasNextPage: false },
    });
    // The uploads are removed once the job ends (just after its record says so); the video stays.
    for (let i = 0; i < 50 && (await readdir(join(server.dataDir, 'uploads'))).length > 0; i++) await sleep(100);
    expect(await readdir(join(server.dataDir, 'uploads'))).toEqual([]);
    expect((await readdir(join(server.dataDir, 'outputs'))).sort()).toEqual([`${id}.jpg`, `${id}.mp4`]);
  });

  it('one active job per key (409), jobs are their key’s own (404), cancel works on PENDING only', async () => {
    // No render slot: jobs stay PENDING, so the cancel rules are checked without a race.
    const server = await serve({ concurrency: 0 });
    const [a, b] = [await addKey(server.dataDir, 'a'), await addKey(server.dataDir, 'b')];
    const first = await create(server, a);
    const again = await post(server, a, files());
    expect([again.status, again.body]).toEqual([409, { error: 'You already have an active job. Wait for it to finish or cancel it first.' }]);
    const other = await create(server, b);
    expect((await get(server, `/api/status/${first}`, b)).status).toBe(404);
    expect((await fetch(`${server.url}/api/cancel/${first}`, { method: 'POST', headers: { 'x-api-key': b } })).status).toBe(404);
    expect((await get(server, '/api/status/cnot-a-job-id', a)).body).toEqual({ error: 'Job not found' });

    const cancel = await fetch(`${server.url}/api/cancel/${first}`, { method: 'POST', headers: { 'x-api-key': a } });
    expect([cancel.status, await cancel.json()]).toEqual([200, { success: true, message: 'Job cancelled successfully' }]);
    const twice = await fetch(`${server.url}/api/jobs/${first}/cancel`, { method: 'POST', headers: { 'x-api-key': a } });
    expect(twice.status).toBe(409);
    expect((await get(server, `/api/status/${first}`, a)).body).toMatchObject({ status: 'CANCELLED', progress: 0 });
    // The key is free again once its job is cancelled; the other path cancels too.
    const second = await create(server, a);
    expect((await fetch(`${server.url}/api/jobs/${second}/cancel`, { method: 'POST', headers: { 'x-api-key': a } })).status).toBe(200);
    expect((await get(server, `/api/status/${other}`, b)).body).toMatchObject({ status: 'PENDING' });
  });

  it('lists newest first with cursor pages, a limit of 1–100 and a status filter', async () => {
    const server = await serve({ concurrency: 0 });
    const key = await addKey(server.dataDir, 'a');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await create(server, key));
      if (i < 4) expect((await fetch(`${server.url}/api/cancel/${ids[i]}`, { method: 'POST', headers: { 'x-api-key': key } })).status).toBe(200);
    }
    const newest = [...ids].reverse();
    const page1 = (await get(server, '/api/jobs?limit=2', key)).body as { jobs: { id: string }[]; pagination: { nextCursor: string; hasNextPage: boolean; limit: number } };
    expect(page1.jobs.map((j) => j.id)).toEqual(newest.slice(0, 2));
    expect(page1.pagination).toEqual({ limit: 2, nextCursor: newest[2], hasNextPage: true });
    const page3 = (await get(server, `/api/jobs?limit=2&cursor=${newest[4]}`, key)).body as typeof page1;
    expect([page3.jobs.map((j) => j.id), page3.pagination.hasNextPage, page3.pagination.nextCursor]).toEqual([[newest[4]], false, null]);
    const cancelled = (await get(server, '/api/jobs?status=CANCELLED', key)).body as typeof page1;
    expect(cancelled.jobs.map((j) => j.id)).toEqual(newest.slice(1));
    const pending = (await get(server, '/api/jobs?status=PENDING', key)).body as typeof page1;
    expect(pending.jobs.map((j) => j.id)).toEqual([ids[4]]);
    for (const bad of ['limit=0', 'limit=101', 'limit=2.5', 'status=DONE', 'cursor=cnope']) expect((await get(server, `/api/jobs?${bad}`, key)).status, bad).toBe(400);
    // Another key sees none of them.
    expect(((await get(server, '/api/jobs', await addKey(server.dataDir, 'b'))).body as typeof page1).jobs).toEqual([]);
  });

  it('keeps the per-IP limits with RateLimit-* headers and 429', async () => {
    const server = await serve({ concurrency: 0, rateLimits: { api: { limit: 4, windowMs: 60_000 }, submit: { limit: 1, windowMs: 60_000 } } });
    const key = await addKey(server.dataDir, 'a');
    const first = await get(server, '/api/jobs', key);
    expect([first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')]).toEqual(['4', '3']);
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    expect((await post(server, key, files())).status).toBe(201);
    const submitAgain = await post(server, key, files());
    expect([submitAgain.status, submitAgain.body, submitAgain.headers.get('ratelimit-limit'), submitAgain.headers.get('ratelimit-remaining')]).toEqual([429, { error: 'Too many requests, please try again later.' }, '1', '0']);
    expect(Number(submitAgain.headers.get('retry-after'))).toBeGreaterThan(0);
    await get(server, '/api/jobs', key);
    const over = await get(server, '/api/jobs', key);
    expect(over.status).toBe(429);
    // Health is not limited.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});

describe('ugc serve: hostile uploads', () => {
  const outsideFiles = async () => (await readdir(root.path, { recursive: true })).filter((p) => !/^s\d+\//.test(p)).sort();

  it('refuses wrong types (415), missing or corrupt files and bad webhook URLs (400), writing nothing', async () => {
    const server = await serve({ concurrency: 0 });
    const key = await addKey(server.dataDir, 'a');
    const before = await outsideFiles();
    const cases: [Part[], number, RegExp][] = [
      [[{ name: 'image', filename: 'x.png', type: 'image/png', data: 'GIF89a not really a png' }, files()[1] as Part], 415, /Unsupported image type/],
      [[files()[0] as Part, { name: 'audio', filename: 'vo.mp3', type: 'audio/mpeg', data: '<html>not audio</html>' }], 415, /Unsupported audio type/],
      [[files()[0] as Part], 400, /Missing required file: audio/],
      [[files()[0] as Part, { name: 'audio', filename: 'vo.wav', data: '' }], 400, /empty/],
      [[{ name: 'image', filename: 'x.png', data: Buffer.concat([media.imageBytes.subarray(0, 40)]) }, files()[1] as Part], 400, /could not be read as an image/],
      [files([{ name: 'webhookUrl', data: 'http://example.com/hook' }]), 400, /https:\/\//],
      [files([{ name: 'webhookUrl', data: 'https://127.0.0.1/hook' }]), 400, /private/],
      [files([{ name: 'webhookUrl', data: 'https://localhost:8443/hook' }]), 400, /private/],
      [files([{ name: 'webhookUrl', data: 'https://[::1]/hook' }]), 400, /private/],
    ];
    for (const [parts, status, message] of cases) {
      const res = await post(server, key, parts);
      expect([res.status, String(res.body.error)], JSON.stringify(parts.map((p) => p.name))).toEqual([status, expect.stringMatching(message)]);
    }
    const notMultipart = await fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: '{}' });
    expect(notMultipart.status).toBe(400);
    expect(await readdir(join(server.dataDir, 'uploads'))).toEqual([]);
    expect(await readdir(join(server.dataDir, 'jobs')).catch(() => [])).toEqual([]);
    expect(await outsideFiles()).toEqual(before);
  });

  it('stops an oversized upload at the limit (413) and a truncated body (400), keeping nothing', async () => {
    const server = await serve({ concurrency: 0, maxFileBytes: 64 * 1024 });
    const key = await addKey(server.dataDir, 'a');
    const big = Buffer.concat([media.imageBytes, Buffer.alloc(4 * 1024 * 1024, 7)]);
    const { body, contentType } = multipart([{ name: 'image', filename: 'big.png', type: 'image/png', data: big }, files()[1] as Part]);
    const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
    const res = await rawRequest(`${server.url}/api/jobs`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': contentType }, chunks });
    expect([res.status, JSON.parse(res.body)]).toEqual([413, { error: 'The image file exceeds the 64 KB limit' }]);

    const whole = multipart(files());
    const cut = whole.body.subarray(0, whole.body.length - 400);
    const truncated = await rawRequest(`${server.url}/api/jobs`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': whole.contentType }, chunks: [cut] });
    expect(truncated.status).toBe(400);
    expect(JSON.parse(truncated.body).error).toMatch(/Malformed multipart|Unexpected end/);
    expect(await readdir(join(server.dataDir, 'uploads'))).toEqual([]);
  });

  it('never uses the client’s file names: a path-traversal name stays a file inside the job’s upload dir', async () => {
    const server = await serve({ concurrency: 0 });
    const key = await addKey(server.dataDir, 'a');
    const before = await outsideFiles();
    const id = await create(server, key, [
      { name: 'image', filename: '../../../../evil.png', type: 'image/png', data: media.imageBytes },
      { name: 'audio', filename: '/etc/passwd', type: 'audio/wav', data: media.audioBytes },
    ]);
    expect((await readdir(join(server.dataDir, 'uploads', id))).sort()).toEqual(['audio.wav', 'image.png']);
    expect(await outsideFiles()).toEqual(before);
    expect((await readdir(server.dataDir, { recursive: true })).filter((p) => p.includes('evil') || p.includes('passwd'))).toEqual([]);
  });
});

describe('ugc serve: webhook targets', () => {
  it('knows private, loopback and link-local addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1']) expect(isPrivateAddress(address), address).toBe(true);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) expect(isPrivateAddress(address), address).toBe(false);
    expect(webhookUrlProblem('https://hooks.example.com/x', false)).toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1:9/x', true)).toBeNull();
    expect(webhookUrlProblem('http://hooks.example.com/x', true)).toMatch(/https/);
    expect(webhookUrlProblem('https://user:pw@hooks.example.com/x', false)).toMatch(/credentials/);
  });
});

describe('ugc serve: shapes', () => {
  it('says why a job failed without the server’s own paths', () => {
    const job = { ...newJob({ id: 'cabc', provider: 'local', request: {} }), status: 'failed' as const, error: { code: 'render_failed', message: 'ffmpeg could not decode /srv/ugc/uploads/cabc/audio.wav: bad data' }, serve: { keyId: 'k', origin: 'http://x', webhookUrl: null, retries: 0, uploadDir: '/srv/ugc/uploads/cabc' } };
    expect(statusObject(job)).toMatchObject({ status: 'FAILED', errorMessage: 'ffmpeg could not decode uploads/cabc/audio.wav: bad data', outputVideo: null });
  });
});

describe('ugc serve: range and mouth helpers', () => {
  it('reads single byte ranges', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual([0, 9]);
    expect(parseRange('bytes=90-', 100)).toEqual([90, 99]);
    expect(parseRange('bytes=-5', 100)).toEqual([95, 99]);
    expect(parseRange('bytes=50-500', 100)).toEqual([50, 99]);
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange(undefined, 100)).toBeNull();
  });

  it('moves the mouth with the voice’s loudness when there is no script: rests in its pauses', () => {
    const audio = wav(1.2);
    const samples = new Float32Array((audio.length - 44) / 2);
    for (let i = 0; i < samples.length; i++) samples[i] = audio.readInt16LE(44 + i * 2) / 32768;
    const { words, phonemes, durationSeconds } = mouthFromLoudness(samples, 16_000);
    expect(words).toEqual([]);
    expect(durationSeconds).toBeCloseTo(1.2, 2);
    const at = (t: number) => phonemes.find((p) => p.start <= t && t < p.end)?.phoneme;
    // The tone sounds for 0.25 s of every 0.4 s: spoken inside a burst, a rest in each gap.
    for (const t of [0.1, 0.5, 0.9]) expect(at(t), `t=${t}`).not.toBe('');
    for (const t of [0.33, 0.73, 1.13]) expect(at(t), `t=${t}`).toBe('');
    expect(mouthFromLoudness(new Float32Array(16_000), 16_000).phonemes.every((p) => p.phoneme === '')).toBe(true);
  });
});
