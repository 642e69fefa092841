import { createServer } from 'node:net';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Manifest, type ManifestFile } from '../src/batch/manifest.js';
import { parseRowsFile, validateRows } from '../src/batch/rows.js';
import { BIN, tempDir, ugc } from './support.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });

/** A real redis-server (Debian's package; `.ci/run` installs it) on a free port (or `port`), keeping nothing on disk. */
async function startRedis(port?: number, extra: string[] = []): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const at = port ?? (await freePort());
  const server = execa('redis-server', ['--port', String(at), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], { reject: false });
  const auth = extra.includes('--requirepass') ? ['-a', extra[extra.indexOf('--requirepass') + 1] as string, '--no-auth-warning'] : [];
  for (let i = 0; i < 100; i++) {
    const ping = await execa('redis-cli', ['-p', String(at), ...auth, 'ping'], { reject: false });
    if (ping.stdout.trim() === 'PONG') break;
    await sleep(100);
  }
  return {
    url: `redis://127.0.0.1:${at}`,
    port: at,
    stop: async () => {
      server.kill('SIGKILL');
      await server;
    },
  };
}

let dir: { path: string; cleanup: () => Promise<void> };
let redis: { url: string; port: number; stop: () => Promise<void> };
const workers: ResultPromise[] = [];

beforeAll(async () => {
  dir = await tempDir();
  redis = await startRedis();
});
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await Promise.allSettled(workers);
  await redis.stop();
  await dir.cleanup();
});

function startWorker(env: Record<string, string>, url = redis.url): { child: ResultPromise; output: () => string; errors: () => string } {
  const child = execa(process.execPath, [BIN, 'worker', '--queue', url], { cwd: dir.path, env: { ...env, CI: 'true' }, reject: false });
  workers.push(child);
  let output = '';
  let errors = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (errors += c.toString()));
  return { child, output: () => output, errors: () => errors };
}

/** `ugc batch` as its own process (stderr whole, as a user sees it: a library printing there would show). */
function startBatch(args: string[], env: Record<string, string>): { child: ResultPromise; errors: () => string } {
  const child = execa(process.execPath, [BIN, 'batch', ...args], { cwd: dir.path, env: { ...env, CI: 'true' }, reject: false });
  workers.push(child);
  let errors = '';
  child.stderr?.on('data', (c: Buffer) => (errors += c.toString()));
  return { child, errors: () => errors };
}

/** Lines that are a stack trace, or a library's own unhandled-error report. */
const STACK = /^\s+at |Unhandled error event|ReplyError|\[ioredis\]/m;

/** The JUnit report without what differs between any two runs (times, output directory). */
const normalised = (xml: string, outDir: string) => xml.replace(/time="[\d.]+"/g, 'time=""').split(outDir).join('<out>');

describe('ugc batch --queue with ugc worker', () => {
  it('two workers share a batch; a worker killed mid-row has its row finished by the other; the report equals a single-machine run', async () => {
    const rows = 'name,script,creator,captions\nq1,"Queue row one.",mia,none\nq2,"Queue row two.",leo,none\nq3,"Queue row three.",ava,none\nq4,"Queue row four.",noah,none\n';
    await writeFile(join(dir.path, 'rows.csv'), rows);
    const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_QUEUE_LOCK_MS: '2000' };

    const doomed = startWorker(env);
    const survivor = startWorker(env);
    for (let i = 0; i < 100 && !(doomed.output().includes('ready') && survivor.output().includes('ready')); i++) await sleep(100);

    const batch = ugc(['batch', 'rows.csv', '--out', 'shared', '--queue', redis.url, '--report', 'queue.xml', '--json'], { cwd: dir.path, env });
    for (let i = 0; i < 300 && !doomed.output().includes('took row'); i++) await sleep(100);
    const taken = /took row (\d+) (\S+)/.exec(doomed.output());
    expect(taken).not.toBeNull();
    doomed.child.kill('SIGKILL');

    const result = await batch;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ total: 4, completed: 4, failed: 0 });
    // The row the killed worker held was finished by the survivor.
    expect(survivor.output()).toContain(`finished row ${taken?.[1]} ${taken?.[2]}: completed`);

    const single = await ugc(['batch', 'rows.csv', '--out', 'single', '--report', 'single.xml'], { cwd: dir.path, env });
    expect(single.code).toBe(0);
    const queued = normalised(await readFile(join(dir.path, 'queue.xml'), 'utf8'), join(dir.path, 'shared'));
    const local = normalised(await readFile(join(dir.path, 'single.xml'), 'utf8'), join(dir.path, 'single'));
    expect(queued).toBe(local);
  });

  it('an unreachable Redis is a clear error', async () => {
    const result = await ugc(['worker', '--queue', 'redis://127.0.0.1:1'], { cwd: dir.path, env: { UGC_CONFIG_DIR: join(dir.path, 'config') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach Redis at redis:\/\/127.0.0.1:1/);
  });
});

describe('ugc batch --queue when Redis restarts or goes away', () => {
  const env = () => ({ UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_QUEUE_LOCK_MS: '2000' });
  const waiting = async (port: number, password?: string) => {
    const auth = password ? ['-a', password, '--no-auth-warning'] : [];
    return Number((await execa('redis-cli', ['-p', String(port), ...auth, 'llen', 'bull:ugc-batch:wait'], { reject: false })).stdout.trim()) || 0;
  };

  it('a restart mid-batch loses the queue: the batch puts the rows back under the same ids and finishes, no stack traces', async () => {
    let own = await startRedis();
    try {
      await writeFile(join(dir.path, 'restart.csv'), 'name,script,creator,captions\nr1,"Restart row one.",mia,none\nr2,"Restart row two.",leo,none\nr3,"Restart row three.",ava,none\n');
      const worker = startWorker(env(), own.url);
      for (let i = 0; i < 100 && !worker.output().includes('ready'); i++) await sleep(100);
      const batch = startBatch(['restart.csv', '--out', 'restart', '--queue', own.url, '--json'], env());
      for (let i = 0; i < 300 && !worker.output().includes('took row'); i++) await sleep(100);
      expect(worker.output()).toContain('took row');
      await own.stop();
      await sleep(500);
      own = await startRedis(own.port);

      const result = await batch.child;
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(String(result.stdout))).toMatchObject({ total: 3, completed: 3, failed: 0 });
      expect(batch.errors()).toMatch(/the queue lost [1-3] unfinished rows? \(was Redis restarted\?\): put back under the same ids/);
      expect(batch.errors()).not.toMatch(STACK);
      expect(worker.output() + worker.errors()).not.toMatch(STACK);
      const entries = Object.values(((await Manifest.load(join(dir.path, 'restart'))) as ManifestFile).entries);
      expect(entries.map((e) => e.state)).toEqual(['completed', 'completed', 'completed']);
    } finally {
      await own.stop();
    }
  });

  it('Redis gone for good: one line within UGC_QUEUE_OUTAGE_MS (password hidden), exit 1; Ctrl-C says truthfully where the rows are', async () => {
    const own = await startRedis(undefined, ['--requirepass', 'SuperSecret']);
    const url = `redis://default:SuperSecret@127.0.0.1:${own.port}`;
    try {
      await writeFile(join(dir.path, 'gone.csv'), 'name,script,creator,captions\ng1,"Gone row one.",mia,none\ng2,"Gone row two.",leo,none\n');
      // No worker: Ctrl-C while Redis answers leaves the rows on its queue, and says so.
      const stopped = startBatch(['gone.csv', '--out', 'gone-a', '--queue', url], env());
      for (let i = 0; i < 200 && (await waiting(own.port, 'SuperSecret')) < 2; i++) await sleep(100);
      stopped.child.kill('SIGINT');
      const interrupted = await stopped.child;
      expect(interrupted.exitCode).toBe(130);
      expect(String(interrupted.stderr).trim()).toMatch(/^error: stopped waiting; the 2 unfinished rows stay on the queue at redis:\/\/\*\*\*@127\.0\.0\.1:\d+ for the workers: run the same command again to collect them$/);

      const batch = startBatch(['gone.csv', '--out', 'gone-b', '--queue', url], { ...env(), UGC_QUEUE_OUTAGE_MS: '3000' });
      for (let i = 0; i < 200 && (await waiting(own.port, 'SuperSecret')) < 4; i++) await sleep(100);
      await own.stop();
      const lostAt = Date.now();
      const result = await batch.child;
      expect(Date.now() - lostAt).toBeLessThan(15_000);
      expect(result.exitCode).toBe(1);
      const lines = String(result.stderr).trim().split('\n');
      expect(lines[0]).toMatch(/^error: lost Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+: no answer for 3 s; 0 of 2 rows finished, the 2 unfinished rows are recorded in .*gone-b\/ugc-batch\.json$/);
      expect(lines).toHaveLength(2);
      expect(String(result.stderr) + String(interrupted.stderr)).not.toContain('SuperSecret');
      expect(result.stderr).not.toMatch(STACK);

      // Ctrl-C while Redis is away does not claim the rows are on its queue.
      const again = startBatch(['gone.csv', '--out', 'gone-c', '--queue', url], env());
      const revived = await startRedis(own.port, ['--requirepass', 'SuperSecret']);
      for (let i = 0; i < 200 && (await waiting(own.port, 'SuperSecret')) < 2; i++) await sleep(100);
      await revived.stop();
      await sleep(3_000);
      again.child.kill('SIGINT');
      const away = await again.child;
      expect(away.exitCode).toBe(130);
      expect(String(away.stderr).trim()).toMatch(/^error: stopped waiting; Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+ is not answering, so the 2 unfinished rows may not be on its queue: run the same command again to put them back and finish them$/);
    } finally {
      await own.stop();
    }
  });

  it('a worker checks each queued row as a user row: a name out of the batch, another output directory or altered content is refused, nothing written', async () => {
    await writeFile(join(dir.path, 'guard.csv'), 'name,script,creator,captions\nguard,"A guarded row.",mia,none\n');
    const { jobs } = validateRows(await parseRowsFile(join(dir.path, 'guard.csv')), { cwd: dir.path, defaults: { provider: 'local' } });
    const job = jobs[0];
    if (!job) throw new Error('no job');
    const out = join(dir.path, 'guarded');
    const manifest = await Manifest.open(out, { rowsFile: join(dir.path, 'guard.csv'), totalJobs: 1 });
    await manifest.register([{ key: job.key, row: job.row, name: job.name, provider: 'local' }]);
    const base = { job, outDir: out, rowsFile: join(dir.path, 'guard.csv'), totalJobs: 1, defaultProvider: 'local', retryFailed: false };
    const forged: [unknown, RegExp][] = [
      [{ ...base, job: { ...job, name: '../escape' } }, /row 1, name: "\.\.\/escape" cannot be a file name/],
      [{ ...base, outDir: join(dir.path, 'elsewhere') }, /elsewhere holds no batch/],
      [{ ...base, job: { ...job, request: { ...job.request, script: 'Something else entirely, said by the same row.' } } }, /its content does not match its key/],
      [{ ...base, job: { ...job, request: { ...job.request, creator: 'zed' } } }, /row 1, creator: unknown creator "zed"|does not match its key/],
      [{ hello: 'world' }, /not a batch row/],
    ];
    const queue = new Queue('ugc-batch', { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      // Only this test's worker, with the default row lock: one with a 2 s lock could see a slow check stall under load.
      for (const earlier of workers) earlier.kill('SIGKILL');
      await Promise.allSettled(workers);
      for (const [i, [payload]] of forged.entries()) await queue.add('row', payload as never, { jobId: `forged-${i}`, removeOnComplete: false, removeOnFail: false });
      startWorker({ UGC_CONFIG_DIR: join(dir.path, 'config') });
      const reasons: string[] = [];
      for (let i = 0; i < 600; i++) {
        reasons.length = 0;
        for (const n of forged.keys()) {
          const queued = await queue.getJob(`forged-${n}`);
          if ((await queued?.getState()) === 'failed') reasons.push(queued?.failedReason ?? '');
        }
        if (reasons.length === forged.length) break;
        await sleep(100);
      }
      expect(reasons).toHaveLength(forged.length);
      reasons.forEach((reason, n) => expect(reason).toMatch(new RegExp(`^refused a queued row: .*${(forged[n] as [unknown, RegExp])[1].source}`)));
      expect(await stat(join(dir.path, 'escape.mp4')).catch(() => null)).toBeNull();
      expect(await stat(join(dir.path, 'elsewhere')).catch(() => null)).toBeNull();
      expect(await stat(join(out, 'guard.mp4')).catch(() => null)).toBeNull();
    } finally {
      await queue.close();
    }
  });
});
