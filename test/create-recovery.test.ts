/**
 * A create whose answer was lost never makes a second paid job (issue 11, item 1). Apex documents no
 * idempotency and its emulator ignores the `Idempotency-Key` header, as the real API would: the job the
 * lost request made is found in `GET /api/jobs` (kind, listed fields, creation time) and adopted; only
 * when there is none is the create sent again.
 */
import { hostname } from 'node:os';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobStore } from '../src/core/job-store.js';
import { newJob, type Job } from '../src/core/job.js';
import { defineRemoteProvider } from '../src/providers/remote.js';
import { readErrorEnvelope } from '../src/providers/envelopes.js';
import { startApexEmulator, type ApexEmulator } from './emulators/apex.js';
import { tempDir, ugc } from './support.js';

let emulator: ApexEmulator;
let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const run = (args: string[]) => ugc(['--provider', 'apex', '--base-url', emulator.url, ...args], { cwd: dir.path, env });
const creates = () => emulator.stats.byRoute['POST /api/generate/video'] ?? 0;
const record = async (id: string) => JSON.parse(await readFile(join(env.UGC_CONFIG_DIR as string, 'jobs', `${id}.json`), 'utf8')) as Job;

/** Creates a job at the emulator as another client would (the header it ignores included). */
async function createDirectly(script: string): Promise<string> {
  const response = await fetch(`${emulator.url}/api/generate/video`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'ignored' },
    body: JSON.stringify({ script, duration: 3, resolution: '1080p' }),
  });
  return ((await response.json()) as { data: { jobId: string } }).data.jobId;
}

async function start(options: Parameters<typeof startApexEmulator>[0] = {}): Promise<void> {
  emulator = await startApexEmulator({ jobDurationMs: 300, ...options });
  env = { UGC_CONFIG_DIR: join(dir.path, `config-${Math.random().toString(36).slice(2)}`), UGC_API_KEY: emulator.apiKey, UGC_POLL_INTERVAL: '0.1' };
}

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await emulator.close();
  await dir.cleanup();
});

describe('apex: a lost create answer never makes a second paid job', () => {
  it('a dropped answer: the job is found in GET /api/jobs and adopted; the create is sent once, and charged once', async () => {
    await start({ credits: 1000 });
    emulator.faults.dropAfterCommit = 1;
    const out = join(dir.path, 'once.mp4');
    const result = await run(['generate', '--script', 'One paid job, however the network behaves.', '--json', '--out', out]);
    expect(result.stderr).not.toMatch(/error|warning|sending it again/);
    expect(result.code).toBe(0);
    const job = JSON.parse(result.stdout) as Job;
    expect(creates()).toBe(1);
    expect(emulator.stats.jobsCreated).toBe(1);
    expect(emulator.stats.byRoute['GET /api/jobs']).toBeGreaterThanOrEqual(2); // the list, then the job
    expect(job).toMatchObject({ remoteId: [...emulator.jobs.keys()][0], status: 'completed', output: { path: out } });
    expect(emulator.account.credits).toBe(750);
  });

  it('a dropped answer whose job has already finished when it is adopted is still downloaded to --out', async () => {
    await start({ credits: 1000, jobDurationMs: 0 });
    emulator.faults.dropAfterCommit = 1;
    const out = join(dir.path, 'done.mp4');
    const result = await run(['generate', '--script', 'Finished before anyone asked.', '--json', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const job = JSON.parse(result.stdout) as Job;
    expect(job).toMatchObject({ status: 'completed', output: { path: out } });
    expect((await stat(out)).size).toBeGreaterThan(1000);
    expect(emulator.stats.jobsCreated).toBe(1);
  });

  it('a create lost on its way in is sent again only after the list shows it made nothing', async () => {
    await start();
    emulator.faults.dropBeforeCommit = 1;
    const result = await run(['generate', '--script', 'Lost before the provider saw it.', '--json', '--out', join(dir.path, 'again.mp4')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/apex never answered the create request, and it made no job; sending it again/);
    expect(creates()).toBe(2);
    expect(emulator.stats.jobsCreated).toBe(1);
  });

  it('when the job list cannot be read either, the record says unconfirmed (exit 1), and `status` adopts the job later', async () => {
    await start();
    emulator.faults.dropAfterCommit = 1;
    emulator.faults.failReads = 5;
    const result = await run(['generate', '--script', 'Nobody can tell yet whether this was made.', '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: apex never answered the create request, so whether it made a job is not known yet/m);
    const id = /ugc status (job_\w+)/.exec(result.stderr)?.[1] as string;
    expect(await record(id)).toMatchObject({ status: 'queued', providerStatus: 'unconfirmed', remoteId: null });

    const status = await run(['status', id, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ remoteId: [...emulator.jobs.keys()][0] });
    expect(creates()).toBe(1);
    expect(emulator.stats.jobsCreated).toBe(1);
  });

  it('the provider\'s clock may differ from ours: creation times are read against its Date header', async () => {
    // 90 s behind: its `createdAt` for our job is "before" we sent it by our clock.
    await start({ clockOffsetMs: -90_000 });
    emulator.faults.dropAfterCommit = 1;
    const result = await run(['generate', '--script', 'Clocks disagree, jobs do not double.', '--json', '--out', join(dir.path, 'skew.mp4')]);
    expect(result.code).toBe(0);
    expect(creates()).toBe(1);
    expect(emulator.stats.jobsCreated).toBe(1);
  });

  it('after the process died, `status` adopts the job made after the record, never an older one or one another record holds', async () => {
    await start();
    const store = new JobStore(env.UGC_CONFIG_DIR as string);
    const request = { script: 'Which job is mine?', params: {}, resolution: '1080p', aspect: '9:16', image: null, idempotencyKey: 'k-1' };
    const older = await createDirectly('Made a minute earlier by someone else.');
    const held = await store.create({ ...newJob({ provider: 'apex', request: { ...request, idempotencyKey: 'k-0' } }), remoteId: await createDirectly('Held by another record.') });
    // The record is written, then the create is sent; the process "dies" before the answer.
    const orphan = await store.create(newJob({ provider: 'apex', request, now: new Date(Date.now() - 100) }));
    const mine = await createDirectly(request.script);
    emulator.jobs.get(older)!.createdAt -= 60_000;

    const status = await run(['status', orphan.id, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: orphan.id, remoteId: mine });
    expect((await store.get(held.id)).remoteId).not.toBe(mine);
    expect(emulator.stats.jobsCreated).toBe(3);

    // A record whose create never reached Apex is said to be not submitted; nothing is sent.
    const lost = await store.create(newJob({ provider: 'apex', request: { ...request, idempotencyKey: 'k-2' }, now: new Date(Date.now() + 60_000) }));
    expect(JSON.parse((await run(['status', lost.id, '--json'])).stdout)).toMatchObject({ status: 'failed', providerStatus: 'not_submitted' });
    expect(emulator.stats.jobsCreated).toBe(3);
  });

  it('a record still being submitted by a live process is left alone (a listener polling every record does not recover it)', async () => {
    await start();
    const store = new JobStore(env.UGC_CONFIG_DIR as string);
    const submitting = await store.create({ ...newJob({ provider: 'apex', request: { script: 'In flight.', params: {}, idempotencyKey: 'k-3' } }), worker: { pid: process.pid, host: hostname() } });
    const status = await run(['status', submitting.id, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'queued', providerStatus: 'queued', remoteId: null });
    expect(emulator.stats.requests).toBe(0);
  });

  it('a batch whose creates lose their answers gives every row its own job', async () => {
    await start();
    emulator.faults.dropAfterCommit = 2;
    const scripts = ['Row one speaks first.', 'Row two answers back.', 'Row three closes it out.'];
    await writeFile(join(dir.path, 'rows.csv'), `name,script\n${scripts.map((s, i) => `r${i + 1},"${s}"`).join('\n')}\n`);
    const result = await run(['batch', 'rows.csv', '--out', 'ads', '--concurrency', '3', '--json']);
    expect(result.code).toBe(0);
    const rows = (JSON.parse(result.stdout) as { rows: { name: string; jobId: string }[] }).rows;
    expect(emulator.stats.jobsCreated).toBe(3);
    for (const row of rows) {
      const remoteId = (await record(row.jobId)).remoteId as string;
      expect(emulator.jobs.get(remoteId)?.request.script).toBe(scripts[Number(row.name.slice(1)) - 1]);
    }
  });
});

describe('documented idempotency is a required, truthful part of a remote provider', () => {
  it('a definition that does not say whether its creates are idempotent does not compile', () => {
    const spec = {
      name: 'forgetful',
      summary: 'a provider that forgot to say',
      document: 'none',
      api: { documentedBaseUrl: null, authHeader: 'x-api-key' as const, parseError: readErrorEnvelope },
      jobs: {
        pollIntervalSeconds: 1,
        inputs: { required: [] },
        create: () => Promise.reject(new Error('unused')),
        get: () => Promise.reject(new Error('unused')),
      },
      whoami: () => Promise.resolve({ account: 'x' }),
      webhooks: {} as never,
    };
    // @ts-expect-error -- jobs.idempotency is required
    expect(() => defineRemoteProvider(spec)).toThrow(/forgetful: jobs.idempotency must say what its document promises about a resent create/);
    const vague = { ...spec, jobs: { ...spec.jobs, idempotency: { documented: false } } };
    // @ts-expect-error -- without documented idempotency, findCreated is required
    expect(() => defineRemoteProvider(vague)).toThrow(/jobs.idempotency must say/);
  });
});
