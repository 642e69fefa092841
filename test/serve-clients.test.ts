import crypto from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { newJob } from '../src/core/job.js';
import { JobStore } from '../src/core/job-store.js';
import { KeyStore } from '../src/serve/keys.js';
import { dataLayout } from '../src/serve/layout.js';
import { serveSecret } from '../src/serve/server.js';
import { WebhookSender, type WebhookRecord } from '../src/serve/webhooks.js';
import { addKey, multipart, startTestServe, writeMedia, type TestServe } from './serve-kit.js';
import { BIN, tempDir, ugc } from './support.js';

let root: { path: string; cleanup: () => Promise<void> };
let media: Awaited<ReturnType<typeof writeMedia>>;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  root = await tempDir('ugc-serve-clients-');
  media = await writeMedia(root.path);
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(() => root.cleanup());

let count = 0;
async function serve(options: Parameters<typeof startTestServe>[1] = {}): Promise<TestServe> {
  const server = await startTestServe(join(root.path, `s${++count}`), options);
  closers.push(() => server.close());
  return server;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

async function createJob(server: TestServe, key: string, webhookUrl?: string): Promise<string> {
  const { body, contentType } = multipart([
    { name: 'image', filename: 'portrait.png', type: 'image/png', data: media.imageBytes },
    { name: 'audio', filename: 'voiceover.wav', type: 'audio/wav', data: media.audioBytes },
    ...(webhookUrl ? [{ name: 'webhookUrl', data: webhookUrl }] : []),
  ]);
  const res = await fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': contentType }, body });
  const answer = (await res.json()) as { jobId: string };
  expect(res.status, JSON.stringify(answer)).toBe(201);
  return answer.jobId;
}

async function recordOf(server: TestServe, id: string, done: (job: Job) => boolean): Promise<Job> {
  const store = new JobStore(server.dataDir);
  for (let i = 0; i < 600; i++) {
    const job = await store.get(id);
    if (done(job)) return job;
    await sleep(100);
  }
  throw new Error(`job ${id} never got there`);
}

describe('ugc serve: webhooks, checked by the document’s own Express receiver', () => {
  it('signs the status body with the secret; a failed delivery is retried with backoff and recorded', async () => {
    const server = await serve({ allowPrivateWebhooks: true, webhookRetry: { attempts: 3, backoffMs: 50 } });
    const key = await addKey(server.dataDir, 'a');
    const keys = new KeyStore(dataLayout(server.dataDir).keys);
    process.env.WEBHOOK_SECRET = await serveSecret(server.dataDir, (await keys.find('a')).id);
    const events: Record<string, unknown>[] = [];
    let calls = 0;
    const app = express();
    // The first delivery meets a receiver that is down.
    app.use((_req, res, next) => (++calls === 1 ? res.sendStatus(503) : next()));
    // From the vidgen document, as written there:
    app.post('/hooks/vidgen', express.raw({ type: 'application/json' }), (req, res) => {
      const got = req.header('X-Webhook-Signature') || '';
      const expected = crypto
        .createHmac('sha256', process.env.WEBHOOK_SECRET as string)
        .update(req.body as Buffer)
        .digest('hex');
      if (got.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(got), Buffer.from(expected))) {
        return res.status(401).end();
      }
      const event = JSON.parse((req.body as Buffer).toString()) as Record<string, unknown>; // event.status, event.outputVideo, …
      events.push(event);
      res.sendStatus(200);
    });
    const receiver = await listen(createServer(app));

    const id = await createJob(server, key, `${receiver}/hooks/vidgen`);
    const job = await recordOf(server, id, (j) => (j.webhook as WebhookRecord | undefined)?.state === 'delivered');
    expect(events).toEqual([expect.objectContaining({ jobId: id, status: 'COMPLETED', progress: 100, outputVideo: `${server.url}/files/${id}.mp4`, errorMessage: null })]);
    expect((job.webhook as WebhookRecord).attempts.map((a) => a.status)).toEqual([503, 200]);
    const listed = (await (await fetch(`${server.url}/api/jobs`, { headers: { 'x-api-key': key } })).json()) as { jobs: { webhookUrl: string }[] };
    expect(listed.jobs[0]?.webhookUrl).toBe(`${receiver}/hooks/vidgen`);

    // Each key's jobs are signed with that key's own secret: another key's holder can neither verify nor forge them.
    await addKey(server.dataDir, 'b');
    const shown = async (name: string) => (await ugc(['serve', 'secret', name, '--data-dir', server.dataDir], { cwd: server.dataDir })).stdout.trim();
    expect(await shown('a')).toBe(process.env.WEBHOOK_SECRET);
    expect(await shown('b')).toMatch(/^[0-9a-f]{64}$/);
    expect(await shown('b')).not.toBe(process.env.WEBHOOK_SECRET);
    const unknown = await ugc(['serve', 'secret', 'nobody', '--data-dir', server.dataDir], { cwd: server.dataDir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: no active key "nobody"/);

    // A receiver that holds another secret rejects every attempt: the delivery ends failed, with each answer kept.
    process.env.WEBHOOK_SECRET = 'not-the-secret';
    const second = await createJob(server, key, `${receiver}/hooks/vidgen`);
    const failed = await recordOf(server, second, (j) => (j.webhook as WebhookRecord | undefined)?.state === 'failed');
    expect((failed.webhook as WebhookRecord).attempts.map((a) => a.status)).toEqual([401, 401, 401]);
    delete process.env.WEBHOOK_SECRET;
  });

  it('a render that fails ends FAILED with why, and its webhook says so', async () => {
    const base = join(root.path, 'failing');
    // A configured model runner whose command fails: the render fails after the job was accepted.
    const added = await ugc(['models', 'add', 'broken', '--exec', 'false {image} {audio} {out}'], { cwd: root.path, env: { UGC_CONFIG_DIR: join(base, 'config') } });
    expect(added.code, added.stderr).toBe(0);
    const server = await startTestServe(base, { model: 'broken', allowPrivateWebhooks: true, webhookRetry: { attempts: 1, backoffMs: 10 } });
    closers.push(() => server.close());
    const key = await addKey(server.dataDir, 'a');
    const events: Record<string, unknown>[] = [];
    const receiver = await listen(createServer((req, res) => {
      const body: Buffer[] = [];
      req.on('data', (c: Buffer) => body.push(c));
      req.on('end', () => (events.push(JSON.parse(Buffer.concat(body).toString()) as Record<string, unknown>), res.end()));
    }));
    const id = await createJob(server, key, `${receiver}/hook`);
    const job = await recordOf(server, id, (j) => (j.webhook as WebhookRecord | undefined)?.state === 'delivered');
    expect(job.status).toBe('failed');
    const status = (await (await fetch(`${server.url}/api/status/${id}`, { headers: { 'x-api-key': key } })).json()) as { status: string; errorMessage: string; outputVideo: null };
    expect(status).toMatchObject({ status: 'FAILED', outputVideo: null });
    expect(status.errorMessage).toMatch(/broken/);
    expect(events).toEqual([expect.objectContaining({ jobId: id, status: 'FAILED', errorMessage: status.errorMessage })]);
    // The key is free again, and its uploads are gone.
    expect(await readdir(join(server.dataDir, 'uploads'))).toEqual([]);
  });

  it('never calls a private address without --allow-private-webhooks, even through a name that resolves to one', async () => {
    const dir = join(root.path, 'ssrf');
    const store = new JobStore(dir);
    let hits = 0;
    const receiver = await listen(createServer((_req, res) => (hits++, res.end('ok'))));
    const port = new URL(receiver).port;
    const sender = new WebhookSender({ store, secretFor: async () => 'x'.repeat(64), allowPrivate: false, attempts: 1 });
    const targets = [`https://localhost:${port}/hook`, `http://localhost:${port}/hook`, `https://127.0.0.1:${port}/hook`, `http://[::1]:${port}/hook`];
    for (const [i, url] of targets.entries()) {
      await store.create(newJob({ id: `job_ssrf${i}`, provider: 'local', request: {} }));
      await sender.start(`job_ssrf${i}`, url, '{}');
    }
    await sender.close();
    for (const i of targets.keys()) {
      const webhook = (await store.get(`job_ssrf${i}`)).webhook as WebhookRecord;
      expect(webhook.state, targets[i]).toBe('failed');
      expect(webhook.attempts[0]?.error, targets[i]).toMatch(/refused: .*(127\.0\.0\.1|::1).* private/);
    }
    expect(hits).toBe(0);
  });
});

describe('ugc serve with the vidgen client (`ugc generate --provider vidgen`)', () => {
  it('round-trips: two clients on one key wait out the one-active-job 409, and each gets its video', async () => {
    const server = await serve();
    const key = await addKey(server.dataDir, 'ci');
    const dir = await tempDir();
    closers.push(dir.cleanup);
    const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: key, UGC_POLL_INTERVAL: '0.2' };
    const run = (name: string) => ugc(['generate', '--provider', 'vidgen', '--base-url', server.url, '--image', media.image, '--audio', media.audio, '--json', '--out', join(dir.path, `${name}.mp4`)], { cwd: dir.path, env });
    const [a, b] = await Promise.all([run('a'), run('b')]);
    for (const result of [a, b]) {
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout) as Job).toMatchObject({ provider: 'vidgen', status: 'completed', providerStatus: 'COMPLETED' });
    }
    expect((await readFile(join(dir.path, 'a.mp4'))).subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect((await readFile(join(dir.path, 'b.mp4'))).subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(server.logs.filter((l) => / POST \/api\/jobs 409 /.test(l)).length).toBeGreaterThan(0);
    expect(await readdir(join(server.dataDir, 'jobs'))).toHaveLength(2);
    // whoami: the server's health, then a key that can list.
    const who = await ugc(['whoami', '--provider', 'vidgen', '--base-url', server.url, '--json'], { cwd: dir.path, env });
    expect(JSON.parse(who.stdout)).toMatchObject({ account: 'API key accepted', server: 'ok' });
  });

  it('a create whose answer is lost is found in the list and adopted: one job, not two', async () => {
    const server = await serve();
    const key = await addKey(server.dataDir, 'ci');
    let dropped = 0;
    // A proxy that forwards everything but loses the answer to the first POST /api/jobs (after serve made the job).
    const proxy = await listen(
      createServer((req, res) => {
        const upstream = httpRequest(`${server.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
          if (req.method === 'POST' && req.url === '/api/jobs' && dropped++ === 0) {
            answer.resume();
            answer.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        req.pipe(upstream);
      }),
    );
    const dir = await tempDir();
    closers.push(dir.cleanup);
    const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: key, UGC_POLL_INTERVAL: '0.2' };
    const result = await ugc(['generate', '--provider', 'vidgen', '--base-url', proxy, '--image', media.image, '--audio', media.audio, '--json', '--out', join(dir.path, 'lost.mp4')], { cwd: dir.path, env });
    expect(result.code, result.stderr).toBe(0);
    expect(dropped).toBe(1);
    const [id] = await readdir(join(server.dataDir, 'jobs'));
    expect(await readdir(join(server.dataDir, 'jobs'))).toHaveLength(1);
    expect(JSON.parse(result.stdout) as Job).toMatchObject({ remoteId: id?.replace(/\.json$/, ''), status: 'completed' });
  });
});

describe('ugc serve as a process: restarts and signals', () => {
  async function startProcess(dataDir: string, configDir: string) {
    const child = execa(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--model', 'still'], { env: { UGC_CONFIG_DIR: configDir, CI: 'true' }, reject: false, stdin: 'ignore' });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const found = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (found) resolve(found);
      });
      void child.then(() => reject(new Error(`serve exited: ${out}`)));
    });
    closers.push(async () => {
      child.kill('SIGKILL');
      await child;
    });
    return { child, url, output: () => out };
  }

  it('SIGTERM mid-render queues the job again; a crash mid-render is retried once on the next start', async () => {
    const base = join(root.path, 'proc');
    const dataDir = join(base, 'data');
    const configDir = join(base, 'config');
    const key = await addKey(dataDir, 'ci');
    const store = new JobStore(dataDir);
    // A longer voiceover, so the render is still going when the signal comes.
    const long = join(base, 'long.wav');
    const { wav } = await import('./serve-kit.js');
    await import('node:fs/promises').then((fs) => fs.writeFile(long, wav(12)));
    const submit = async (url: string) => {
      const { body, contentType } = multipart([
        { name: 'image', filename: 'p.png', data: media.imageBytes },
        { name: 'audio', filename: 'l.wav', data: await readFile(long) },
      ]);
      const res = await fetch(`${url}/api/jobs`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': contentType }, body });
      return ((await res.json()) as { jobId: string }).jobId;
    };
    const processing = async (id: string) => {
      for (let i = 0; i < 600 && (await store.get(id)).status !== 'processing'; i++) await sleep(50);
    };

    const first = await startProcess(dataDir, configDir);
    const id = await submit(first.url);
    await processing(id);
    first.child.kill('SIGTERM');
    const exit = await first.child;
    expect(exit.exitCode).toBe(0);
    expect(first.output()).toMatch(/queued again/);
    expect(await store.get(id)).toMatchObject({ status: 'queued', serve: { retries: 0 } });

    const second = await startProcess(dataDir, configDir);
    await processing(id);
    second.child.kill('SIGKILL');
    await second.child;
    expect((await store.get(id)).status).toBe('processing');

    const third = await startProcess(dataDir, configDir);
    for (let i = 0; i < 1200 && (await store.get(id)).status !== 'completed'; i++) await sleep(100);
    const done = await store.get(id);
    expect(done).toMatchObject({ status: 'completed', serve: { retries: 1 } });
    const status = (await (await fetch(`${third.url}/api/jobs`, { headers: { 'x-api-key': key } })).json()) as { jobs: { retries: number; status: string }[] };
    expect(status.jobs[0]).toMatchObject({ status: 'COMPLETED', retries: 1 });
    expect(third.output()).toMatch(/recovered .* queued again \(retry 1\)/);
  });
});
