/**
 * Broken state files (issue 10 items 14, 15): a job record, credentials.json or config.json that is not
 * JSON is named with what to do, and `doctor` finds it; a job record that is a symbolic link is refused
 * without showing anything of its target.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, ugc } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
const SECRET = 'root:$6$secret-hash-do-not-print';

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => dir.cleanup());

async function configWith(name: string, files: Record<string, string>): Promise<Record<string, string>> {
  const config = join(dir.path, name);
  await mkdir(join(config, 'jobs'), { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(config, file), text);
  return { UGC_CONFIG_DIR: config };
}

describe('a state file that is not JSON is named, with what to do', () => {
  it('a job record: `status` names the file (exit 1), `jobs` still lists the others', async () => {
    const env = await configWith('bad-record', { 'jobs/job_broken.json': '{"id": "job_broken", "status": ' });
    const result = await ugc(['status', 'job_broken'], { cwd: dir.path, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${join(env.UGC_CONFIG_DIR as string, 'jobs', 'job_broken.json')} is not valid JSON (`);
    expect(result.stderr).toMatch(/Move it out of the way/);
    const jobs = await ugc(['jobs', '--json'], { cwd: dir.path, env });
    expect(jobs.code).toBe(0);
    expect(jobs.stderr).toMatch(/^warning: skipped 1 unreadable job record \(job_broken\); `ugc doctor` says what is wrong$/m);
  });

  it('credentials.json and config.json: the error names the file and how to recover', async () => {
    const creds = await configWith('bad-credentials', { 'credentials.json': '{"default": ' });
    const noKey = await ugc(['--provider', 'apex', 'whoami'], { cwd: dir.path, env: creds });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain(`error: ${join(creds.UGC_CONFIG_DIR as string, 'credentials.json')} is not valid JSON (`);
    expect(noKey.stderr).toMatch(/ugc login/);

    const config = await configWith('bad-config', { 'config.json': '{"profiles": {' });
    const withKey = await ugc(['--provider', 'apex', 'whoami'], { cwd: dir.path, env: { ...config, UGC_API_KEY: 'sk_test_x' } });
    expect(withKey.code).toBe(1);
    expect(withKey.stderr).toContain(`error: ${join(config.UGC_CONFIG_DIR as string, 'config.json')} is not valid JSON (`);
  });

  it('`doctor` reports each broken file and exits 1', async () => {
    const env = await configWith('doctor', { 'config.json': '{', 'credentials.json': '[', 'jobs/job_x.json': 'nope' });
    const result = await ugc(['doctor', '--json'], { cwd: dir.path, env });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; problems: string[] };
    expect(report.ok).toBe(false);
    for (const file of ['config.json', 'credentials.json', join('jobs', 'job_x.json')]) {
      expect(report.problems.some((p) => p.startsWith(`${join(env.UGC_CONFIG_DIR as string, file)} is not valid JSON`))).toBe(true);
    }
  }, 60_000);
});

describe('a job record that is a symbolic link', () => {
  it('is refused, and nothing of its target is printed', async () => {
    const env = await configWith('links', {});
    const target = join(dir.path, 'shadow');
    await writeFile(target, `${SECRET}\n`);
    await symlink(target, join(env.UGC_CONFIG_DIR as string, 'jobs', 'job_link.json'));
    const status = await ugc(['status', 'job_link'], { cwd: dir.path, env });
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/job_link\.json is a symbolic link/);
    const jobs = await ugc(['jobs', '--json'], { cwd: dir.path, env });
    for (const output of [status.stdout, status.stderr, jobs.stdout, jobs.stderr]) expect(output).not.toContain('root:');
    expect(JSON.parse(jobs.stdout)).toEqual([]);
  });
});
