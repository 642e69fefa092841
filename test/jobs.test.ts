import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from '../src/core/job-store.js';
import { newJob, type Job } from '../src/core/job.js';
import { BIN, tempDir, ugc } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const LONG_SCRIPT = 'This is the serum I keep telling everyone about. '.repeat(12);

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(() => dir.cleanup());

async function jobJson(id: string): Promise<Job> {
  const result = await ugc(['status', id, '--json'], { cwd: dir.path, env });
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Job;
}

async function waitFor(id: string, ok: (job: Job) => boolean, seconds = 60): Promise<Job> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const job = await jobJson(id);
    if (ok(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} never reached the expected state; last: ${job.status} ${job.progress}%`);
    await sleep(200);
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('job store', () => {
  it('loses no update when several processes update one job at once', async () => {
    const store = new JobStore(join(dir.path, 'store'));
    const job = await store.create(newJob({ provider: 'local', request: { script: 'x', count: 0 } }));
    const moduleUrl = new URL('../dist/core/job-store.js', import.meta.url).href;
    const worker = `
      const { JobStore } = await import(${JSON.stringify(moduleUrl)});
      const store = new JobStore(process.argv[1]);
      for (let i = 0; i < 25; i++) {
        await store.update(process.argv[2], (j) => ({ request: { ...j.request, count: j.request.count + 1 } }));
      }`;
    await Promise.all([1, 2, 3, 4].map(() => execa(process.execPath, ['--input-type=module', '-e', worker, join(dir.path, 'store'), job.id])));
    const final = await store.get(job.id);
    expect(final.request.count).toBe(100);
    expect((await readdir(store.dir)).sort()).toEqual([`${job.id}.json`]);
  });

  it('a cached listing re-reads only the records that changed', async () => {
    const store = new JobStore(join(dir.path, 'cached'));
    const a = await store.create(newJob({ provider: 'local', request: {}, id: 'job_a' }));
    await store.create(newJob({ provider: 'local', request: {}, id: 'job_b' }));
    const cache = new Map<string, { mtimeMs: number; job: Job }>();
    expect((await store.listCached(cache)).map((j) => j.id).sort()).toEqual(['job_a', 'job_b']);
    const cachedB = cache.get('job_b')?.job;
    await sleep(20);
    await store.update(a.id, () => ({ progress: 42 }));
    const again = await store.listCached(cache);
    expect(again.find((j) => j.id === 'job_a')?.progress).toBe(42);
    expect(again.find((j) => j.id === 'job_b')).toBe(cachedB); // the same object: not read again
  });

  it('lists newest first and filters by status', async () => {
    const store = new JobStore(join(dir.path, 'list'));
    await store.create(newJob({ provider: 'local', request: {}, now: new Date('2026-01-01T00:00:00Z'), id: 'job_old' }));
    await store.create(newJob({ provider: 'local', request: {}, now: new Date('2026-02-01T00:00:00Z'), id: 'job_new' }));
    expect((await store.list()).map((j) => j.id)).toEqual(['job_new', 'job_old']);
  });
});

describe('local jobs', () => {
  it('generate --no-wait returns at once; watch follows it to the end', async () => {
    const started = await ugc(['generate', '--script', 'Quick one: this works.', '--creator', 'leo', '--no-wait', '--json', '--out', 'bg.mp4'], { cwd: dir.path, env });
    expect(started.code).toBe(0);
    const job = JSON.parse(started.stdout) as Job;
    expect(['queued', 'processing']).toContain(job.status);
    const watched = await ugc(['watch', job.id, '--json', '--timeout', '120'], { cwd: dir.path, env });
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as Job);
    expect(lines.at(-1)?.status).toBe('completed');
    expect((await stat(join(dir.path, 'bg.mp4'))).size).toBeGreaterThan(10_000);
    const list = await ugc(['jobs', '--json'], { cwd: dir.path, env });
    expect((JSON.parse(list.stdout) as Job[]).map((j) => j.id)).toContain(job.id);
  });

  it('cancel stops a background render and leaves no partial output', async () => {
    const started = await ugc(['generate', '--script', LONG_SCRIPT, '--creator', 'mia', '--no-wait', '--json', '--out', 'cancelled.mp4'], { cwd: dir.path, env });
    const { id } = JSON.parse(started.stdout) as Job;
    const running = await waitFor(id, (j) => j.status === 'processing' && j.stage === 'encode');
    const pid = running.worker?.pid as number;
    expect(isAlive(pid)).toBe(true);
    const cancelled = await ugc(['cancel', id, '--json'], { cwd: dir.path, env });
    expect(cancelled.code).toBe(0);
    expect((JSON.parse(cancelled.stdout) as Job).status).toBe('cancelled');
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
    expect(isAlive(pid)).toBe(false);
    expect((await readdir(dir.path)).filter((n) => n.startsWith('cancelled') || n.includes('.tmp'))).toEqual([]);
    expect((await jobJson(id)).status).toBe('cancelled');
    const watched = await ugc(['watch', id], { cwd: dir.path, env });
    expect(watched.code).toBe(5);
  });

  it('a renderer killed outright is reported as failed, not processing forever', async () => {
    const started = await ugc(['generate', '--script', LONG_SCRIPT, '--creator', 'mia', '--no-wait', '--json', '--out', 'killed.mp4'], { cwd: dir.path, env });
    const { id } = JSON.parse(started.stdout) as Job;
    const running = await waitFor(id, (j) => j.status === 'processing' && j.stage === 'encode');
    process.kill(running.worker?.pid as number, 'SIGKILL');
    const failed = await waitFor(id, (j) => j.status === 'failed', 10);
    expect(failed.error?.code).toBe('render_died');
  });

  it('Ctrl-C during a foreground render exits 130 and leaves no file at the output path', async () => {
    const child = execa(process.execPath, [BIN, 'generate', '--script', LONG_SCRIPT, '--creator', 'mia', '--out', 'interrupted.mp4'], { cwd: dir.path, env: { ...env, CI: 'true' }, reject: false });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    for (let i = 0; i < 300 && !stderr.includes('encoding'); i++) await sleep(100);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(String(result.stderr)).toMatch(/interrupted/);
    expect((await readdir(dir.path)).filter((n) => n.startsWith('interrupted') || n.includes('.tmp'))).toEqual([]);
    const jobs = JSON.parse((await ugc(['jobs', '--json'], { cwd: dir.path, env })).stdout) as Job[];
    expect(jobs.find((j) => String(j.request.out).endsWith('interrupted.mp4'))?.status).toBe('cancelled');
  });

  it('a generate repeated with the same --idempotency-key returns the first job instead of rendering again', async () => {
    const args = ['generate', '--script', 'Only once, please.', '--creator', 'leo', '--captions', 'none', '--idempotency-key', 'launch-ad-7', '--json'];
    const first = JSON.parse((await ugc(args, { cwd: dir.path, env })).stdout) as Job;
    const second = JSON.parse((await ugc(args, { cwd: dir.path, env })).stdout) as Job;
    expect(second.id).toBe(first.id);
    expect(second.status).toBe('completed');
    const store = new JobStore(join(dir.path, 'config'));
    expect((await store.findByIdempotencyKey('local', 'launch-ad-7'))?.id).toBe(first.id);
    expect(await store.findByIdempotencyKey('unrealugc', 'launch-ad-7')).toBeNull();
  });

  it('status of an unknown job is a usage error', async () => {
    const result = await ugc(['status', 'job_nope'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no job "job_nope"/);
  });
});
