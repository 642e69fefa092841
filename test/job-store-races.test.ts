/**
 * The job store under concurrent real processes (issue 10 items 2, 3, 11; issue 12 item 7): one
 * idempotency key makes one job however many submissions race, the same key with another request is
 * refused, a remote job keeps the host and profile it was made with, and 50 `status` calls at once on a
 * running job all answer.
 */
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { startApexEmulator } from './emulators/apex.js';
import { tempDir, ugc, ugcProcess } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => dir.cleanup());

const configDir = (name: string) => join(dir.path, name);
const records = async (config: string) => (await readdir(join(config, 'jobs')).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));

describe('one idempotency key, one job, however many submissions race', () => {
  it('local: four `generate --idempotency-key` at the same instant make one job, and all four print it', async () => {
    const env = { UGC_CONFIG_DIR: configDir('local-race') };
    const args = ['generate', '--script', 'Only one of us renders this.', '--creator', 'leo', '--captions', 'none', '--idempotency-key', 'same', '--no-wait', '--json', '--out', join(dir.path, 'race.mp4')];
    const results = await Promise.all([1, 2, 3, 4].map(() => ugcProcess(args, { cwd: dir.path, env })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const ids = new Set(results.map((r) => (JSON.parse(r.stdout) as Job).id));
    expect(ids.size).toBe(1);
    expect(await records(env.UGC_CONFIG_DIR)).toHaveLength(1);
  }, 120_000);

  it('the same key with a different request is refused (exit 2), naming the key and the earlier job', async () => {
    const env = { UGC_CONFIG_DIR: configDir('local-race') };
    const [first] = await records(env.UGC_CONFIG_DIR);
    const result = await ugcProcess(['generate', '--script', 'Something else entirely.', '--creator', 'leo', '--idempotency-key', 'same', '--no-wait'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`idempotency key "same" was already used for job ${first?.replace('.json', '')} with a different request`);
    expect(await records(env.UGC_CONFIG_DIR)).toHaveLength(1);
  }, 60_000);

  it('remote: four racing creates with one key send one create and leave one record', async () => {
    const emulator = await startApexEmulator({ jobDurationMs: 60_000, rateLimit: { limit: 1000, windowMs: 10_000 } });
    try {
      const env = { UGC_CONFIG_DIR: configDir('remote-race'), UGC_API_KEY: emulator.apiKey };
      const args = ['--provider', 'apex', '--base-url', emulator.url, 'generate', '--script', 'One paid job.', '--idempotency-key', 'pay-once', '--no-wait', '--json'];
      const results = await Promise.all([1, 2, 3, 4].map(() => ugcProcess(args, { cwd: dir.path, env })));
      expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
      expect(new Set(results.map((r) => (JSON.parse(r.stdout) as Job).id)).size).toBe(1);
      expect(emulator.stats.jobsCreated).toBe(1);
      expect(await records(env.UGC_CONFIG_DIR)).toHaveLength(1);
    } finally {
      await emulator.close();
    }
  }, 120_000);
});

describe('a remote job keeps the host and profile it was created with', () => {
  it('status, cancel and download go to the --base-url the job was made at, with that profile\'s key, whatever the defaults are now', async () => {
    const made = await startApexEmulator({ jobDurationMs: 600 });
    const other = await startApexEmulator({ jobDurationMs: 600 });
    try {
      const env = { UGC_CONFIG_DIR: configDir('hosts') };
      const login = await ugc(['--provider', 'apex', '--base-url', made.url, '--profile', 'staging', 'login', '--with-token'], { cwd: dir.path, env, stdin: made.apiKey });
      expect(login.code).toBe(0);
      const created = await ugcProcess(['--provider', 'apex', '--base-url', made.url, '--profile', 'staging', 'generate', '--script', 'Made on staging.', '--no-wait', '--json'], { cwd: dir.path, env });
      expect(created.code).toBe(0);
      const job = JSON.parse(created.stdout) as Job;
      expect(job.connection).toEqual({ baseUrl: made.url, profile: 'staging' });
      const before = made.stats.requests;
      // Now the defaults point elsewhere: another host, the default profile (which has no key).
      const later = { ...env, UGC_BASE_URL: other.url };
      const status = await ugcProcess(['status', job.id, '--json'], { cwd: dir.path, env: later });
      expect(status.stderr).toBe('');
      expect(status.code).toBe(0);
      expect(made.stats.requests).toBeGreaterThan(before);
      expect(other.stats.requests).toBe(0);
      const watched = await ugcProcess(['watch', job.id, '--json'], { cwd: dir.path, env: later });
      expect(watched.code).toBe(0);
      // --json is a stream, a line per change; the last line is the final state, after the download.
      expect((JSON.parse(watched.stdout.trim().split('\n').at(-1) ?? '') as Job).output.path).toBeTruthy();
      expect(other.stats.requests).toBe(0);
    } finally {
      await Promise.all([made.close(), other.close()]);
    }
  }, 120_000);
});

describe('50 concurrent `status` calls on a running remote job', () => {
  it('all answer (exit 0) with the job while another process holds its lock: reads take no lock, and a busy lock returns the last record', async () => {
    const emulator = await startApexEmulator({ jobDurationMs: 60_000, rateLimit: { limit: 10_000, windowMs: 10_000 } });
    let holding: NodeJS.Timeout | undefined;
    try {
      const env = { UGC_CONFIG_DIR: configDir('status-50'), UGC_API_KEY: emulator.apiKey };
      const created = await ugcProcess(['--provider', 'apex', '--base-url', emulator.url, 'generate', '--script', 'Busy, busy.', '--no-wait', '--json'], { cwd: dir.path, env });
      const job = JSON.parse(created.stdout) as Job;
      // A writer that keeps the record's lock (fresh, so never taken for stale) while the job's progress moves on.
      const lock = join(env.UGC_CONFIG_DIR, 'jobs', `${job.id}.json.lock`);
      await writeFile(lock, String(process.pid));
      holding = setInterval(() => void utimes(lock, new Date(), new Date()).catch(() => undefined), 1000);
      const results = await Promise.all(Array.from({ length: 50 }, () => ugcProcess(['--provider', 'apex', '--base-url', emulator.url, 'status', job.id, '--json'], { cwd: dir.path, env })));
      const failures = results.filter((r) => r.code !== 0).map((r) => r.stderr.trim());
      expect(failures).toEqual([]);
      for (const r of results) expect((JSON.parse(r.stdout) as Job).id).toBe(job.id);
      const stored = JSON.parse(await readFile(join(env.UGC_CONFIG_DIR, 'jobs', `${job.id}.json`), 'utf8')) as Job;
      expect(stored.status).not.toBe('failed');
    } finally {
      clearInterval(holding);
      await emulator.close();
    }
  }, 300_000);
});
