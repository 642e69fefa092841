import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manifest, type ManifestFile } from '../src/batch/manifest.js';
import type { Job } from '../src/core/job.js';
import { startUnrealUgcEmulator } from './emulators/unrealugc.js';
import { BIN, tempDir, ugc } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(() => dir.cleanup());

/** The resume manifest as a fresh reader sees it (snapshot and journal). */
const manifestOf = async (out: string) => (await Manifest.load(join(dir.path, out))) as ManifestFile;

describe('ugc batch (local renders)', () => {
  it('renders a CSV with quoted commas, a multi-line script and a matrix row; writes a JUnit report', async () => {
    await writeFile(
      join(dir.path, 'rows.csv'),
      'name,script,creator,aspect,captions\n' + 'comma,"Quick, honest, and short.",mia|leo,9:16,none\n' + 'lines,"Two lines here.\nAnd the second.",ava,1:1,clean\n',
    );
    const result = await ugc(['batch', 'rows.csv', '--out', 'out-a', '--report', 'junit.xml', '--json'], { cwd: dir.path, env });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { total: number; completed: number; rows: { name: string; outputPath: string }[] };
    expect(summary).toMatchObject({ total: 3, completed: 3 });
    expect(summary.rows.map((r) => r.name).sort()).toEqual(['comma-leo', 'comma-mia', 'lines']);
    for (const row of summary.rows) expect((await stat(row.outputPath)).size).toBeGreaterThan(10_000);
    const junit = await readFile(join(dir.path, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="rows.csv" tests="3" failures="0"/);
    expect(result.stderr.trim().split('\n')).toHaveLength(3); // one plain line per finished row
  });

  it('an invalid row stops the batch before anything is rendered, listing every problem by row and field', async () => {
    await writeFile(join(dir.path, 'bad.csv'), 'name,script,creator,image,aspect\nok,"Fine row.",mia,,9:16\nbad1,"",zed,,9:16\nbad2,"Another.",,missing.png,4:3\n');
    const result = await ugc(['batch', 'bad.csv', '--out', 'out-bad'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/row 2, script:/);
    expect(result.stderr).toMatch(/row 3, image:/);
    expect(result.stderr).toMatch(/row 3, aspect:/);
    expect(await stat(join(dir.path, 'out-bad')).catch(() => null)).toBeNull();
  });

  it('checks every row with its provider before anything is rendered: an unknown creator or a file that is not audio names its column', async () => {
    await writeFile(join(dir.path, 'notes.txt'), 'not a voiceover');
    await writeFile(join(dir.path, 'checked.csv'), 'name,script,creator,audio\nfine,"Fine row.",mia,\nzed,"Who?",zed,\nvo,"My own voice.",ava,notes.txt\n');
    const result = await ugc(['batch', 'checked.csv', '--out', 'out-checked'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/row 2, creator: unknown creator "zed"/);
    expect(result.stderr).toMatch(/row 3, audio: .*notes\.txt is not an audio file/);
    expect(await stat(join(dir.path, 'out-checked')).catch(() => null)).toBeNull();
  });

  it('a batch killed mid-way and run again ends with every row done, finished rows not redone', async () => {
    await writeFile(join(dir.path, 'resume.csv'), 'name,script,creator,captions\nr1,"First of three.",mia,none\nr2,"Second of three.",leo,none\nr3,"Third of three.",ava,none\n');
    const child = execa(process.execPath, [BIN, 'batch', 'resume.csv', '--out', 'out-resume', '--concurrency', '1'], { cwd: dir.path, env: { ...env, CI: 'true' }, reject: false });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    for (let i = 0; i < 300 && !stderr.includes('[1/3]'); i++) await sleep(100);
    child.kill('SIGKILL');
    await child;
    const firstDone = (await manifestOf('out-resume')).entries;
    const finished = Object.values(firstDone).filter((e) => e.state === 'completed');
    expect(finished).toHaveLength(1);
    const firstFile = join(dir.path, 'out-resume', `${finished[0]?.name}.mp4`);
    const firstMtime = (await stat(firstFile)).mtimeMs;

    const rerun = await ugc(['batch', 'resume.csv', '--out', 'out-resume', '--json'], { cwd: dir.path, env });
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ total: 3, completed: 3, skipped: 1 });
    expect((await stat(firstFile)).mtimeMs).toBe(firstMtime);
    const entries = Object.values((await manifestOf('out-resume')).entries);
    expect(entries.every((e) => e.state === 'completed')).toBe(true);
    expect((await readdir(join(dir.path, 'out-resume'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('ugc batch (remote provider)', () => {
  it('keeps within the plan concurrency and the rate limit, submits each job once, exits 5 when a row fails', async () => {
    const emulator = await startUnrealUgcEmulator({ jobDurationMs: 600, planConcurrency: 2, generationRateLimit: { limit: 3, windowMs: 1000 } });
    try {
      const rows = Array.from({ length: 6 }, (_, i) => ({ name: `ad-${i}`, script: i === 4 ? 'This one will fail on purpose [[fail]].' : `Remote batch row number ${i}, long enough.`, creator: 'tech-savvy-female-30', 'product-name': 'Acme' }));
      await writeFile(join(dir.path, 'remote.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
      const remoteEnv = { ...env, UGC_API_KEY: emulator.apiKey, UGC_POLL_INTERVAL: '0.1' };
      const args = ['--provider', 'unrealugc', '--base-url', emulator.url, 'batch', 'remote.jsonl', '--out', 'out-remote', '--concurrency', '2'];
      const result = await ugc([...args, '--json'], { cwd: dir.path, env: remoteEnv });
      expect(result.code).toBe(5);
      expect(JSON.parse(result.stdout)).toMatchObject({ total: 6, completed: 5, failed: 1 });
      expect(emulator.stats.jobsCreated).toBe(6);
      expect(emulator.stats.maxActiveJobs).toBeLessThanOrEqual(2);
      expect(emulator.stats.rateLimited).toBe(0);

      // Run again: nothing is submitted twice; the failed row stays failed without --retry-failed.
      const again = await ugc([...args, '--json'], { cwd: dir.path, env: remoteEnv });
      expect(again.code).toBe(5);
      expect(emulator.stats.jobsCreated).toBe(6);
    } finally {
      await emulator.close();
    }
  });

  it('--dry-run shows the estimate and spends nothing; --max-credits refuses a batch over budget', async () => {
    const emulator = await startUnrealUgcEmulator();
    try {
      await writeFile(join(dir.path, 'budget.csv'), 'name,script,creator,product-name\nb1,"A budget row that is long enough.",tech-savvy-female-30,Acme\nb2,"Another budget row, long enough.",tech-savvy-female-30,Acme\n');
      const remoteEnv = { ...env, UGC_API_KEY: emulator.apiKey };
      const base = ['--provider', 'unrealugc', '--base-url', emulator.url, 'batch', 'budget.csv', '--out', 'out-budget'];
      const plan = await ugc([...base, '--dry-run', '--json'], { cwd: dir.path, env: remoteEnv });
      expect(plan.code).toBe(0);
      const { totalCredits } = JSON.parse(plan.stdout) as { totalCredits: number };
      expect(totalCredits).toBeGreaterThan(0);
      const refused = await ugc([...base, '--max-credits', String(totalCredits - 1)], { cwd: dir.path, env: remoteEnv });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/over --max-credits/);
      expect(emulator.stats.jobsCreated).toBe(0);
      const jobs = JSON.parse((await ugc(['jobs', '--json'], { cwd: dir.path, env })).stdout) as Job[];
      expect(jobs.filter((j) => j.provider === 'unrealugc' && String(j.request.out).includes('out-budget'))).toEqual([]);
    } finally {
      await emulator.close();
    }
  });
});
