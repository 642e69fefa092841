import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempDir, ugcProcess } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const LONG_SCRIPT = 'This is the serum I keep telling everyone about, and honestly it changed my mornings. '.repeat(6);

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config'), TMPDIR: join(dir.path, 'tmp') };
  await mkdir(env.TMPDIR as string);
});
afterAll(() => dir.cleanup());

/** Processes whose parent is `ppid` and whose program is `name`, from /proc (zombies count as gone). */
async function childrenNamed(ppid: number, name: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const match = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat);
    if (match && match[1] === name && match[2] !== 'Z' && Number(match[3]) === ppid) found.push(Number(entry));
  }
  return found;
}

async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Boolean(stat) && !/^\d+ \(.*\) Z/.test(stat);
}

async function jobStage(): Promise<string | undefined> {
  const jobsDir = join(env.UGC_CONFIG_DIR as string, 'jobs');
  const files = (await readdir(jobsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  if (!files[0]) return undefined;
  const job = JSON.parse(await readFile(join(jobsDir, files[0]), 'utf8').catch(() => '{}')) as { stage?: string };
  return job.stage;
}

describe('a render killed outright (SIGKILL)', () => {
  it('takes its ffmpeg children with it, and the next `ugc jobs` removes its work dir', async () => {
    const render = execa(process.execPath, [BIN, 'generate', '--script', LONG_SCRIPT, '--creator', 'mia', '--out', join(dir.path, 'ad.mp4')], { cwd: dir.path, env: { CI: 'true', ...env }, reject: false });
    const pid = render.pid as number;
    let encoders: number[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if ((await jobStage()) === 'encode') encoders = await childrenNamed(pid, 'ffmpeg');
      if (encoders.length) break;
      await sleep(100);
    }
    expect(encoders.length).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await render;
    const gone = Date.now() + 5_000;
    while (Date.now() < gone && (await Promise.all(encoders.map(running))).some(Boolean)) await sleep(100);
    expect(await Promise.all(encoders.map(running))).toEqual(encoders.map(() => false));

    const workDirs = async () => (await readdir(env.TMPDIR as string)).filter((name) => name.startsWith('ugc-render-'));
    expect(await workDirs()).toHaveLength(1);
    const jobs = await ugcProcess(['jobs'], { cwd: dir.path, env });
    expect(jobs.code).toBe(0);
    expect(await workDirs()).toEqual([]);
  }, 180_000);

  it('a live render\'s work dir is left alone by the sweep', async () => {
    const { makeWorkDir, sweepOrphanWorkDirs } = await import('../src/render/work-dir.js');
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = join(dir.path, 'tmp-live');
    await mkdir(process.env.TMPDIR);
    try {
      const mine = await makeWorkDir();
      expect(await sweepOrphanWorkDirs()).toEqual([]);
      expect(await readdir(mine)).toEqual(['owner.json']);
    } finally {
      process.env.TMPDIR = previous;
    }
  });
});
