import { createServer } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempDir, ugc } from './support.js';

/** A real redis-server (Debian's package; `.ci/run` installs it) on a free port, for this file only. */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const server = execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { reject: false });
  for (let i = 0; i < 100; i++) {
    const ping = await execa('redis-cli', ['-p', String(port), 'ping'], { reject: false });
    if (ping.stdout.trim() === 'PONG') break;
    await sleep(100);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      server.kill('SIGTERM');
      await server;
    },
  };
}

let dir: { path: string; cleanup: () => Promise<void> };
let redis: { url: string; stop: () => Promise<void> };
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

function startWorker(env: Record<string, string>): { child: ResultPromise; output: () => string } {
  const child = execa(process.execPath, [BIN, 'worker', '--queue', redis.url], { cwd: dir.path, env: { ...env, CI: 'true' }, reject: false });
  workers.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

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
