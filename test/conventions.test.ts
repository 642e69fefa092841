import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { BIN, tempDir, ugc } from './support.js';

/** The conventions people know from gh, stripe and replicate: --jq, shell completion, open. */

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
let shims: string;

beforeAll(async () => {
  dir = await tempDir('ugc-conventions-');
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
  // `ugc` and a fake platform opener on PATH, as an installed ugc and xdg-open would be.
  shims = join(dir.path, 'bin');
  await mkdir(shims);
  await writeFile(join(shims, 'ugc'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  await writeFile(join(shims, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" >> "${join(dir.path, 'opened.txt')}"\n`);
  await Promise.all([chmod(join(shims, 'ugc'), 0o755), chmod(join(shims, 'xdg-open'), 0o755)]);
});
afterAll(() => dir.cleanup());

const run = (args: string[], extra: Record<string, string | undefined> = {}) => ugc(args, { cwd: dir.path, env: { ...env, ...extra } });

describe('--jq', () => {
  it('filters the JSON through jq, strings raw, and implies --json', async () => {
    const slugs = await run(['creators', '--jq', '.[].slug']);
    expect(slugs.code).toBe(0);
    expect(slugs.stdout.split('\n').slice(0, 3)).toEqual(['mia', 'leo', 'ava']);
    const object = await run(['creators', '--json', '--jq', '.[0] | {id, gender}']);
    expect(JSON.parse(object.stdout)).toEqual({ id: 'cr_mia', gender: 'female' });
    const count = await run(['voices', '--jq', 'map(select(.languages | index("en-US"))) | length']);
    expect(Number(count.stdout)).toBeGreaterThanOrEqual(2);
  });

  it('a bad expression is a usage error in jq\'s words (exit 2)', async () => {
    const result = await run(['creators', '--jq', '.[']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(/^error: --jq: syntax error/);
    expect(result.stdout).toBe('');
  });
});

describe('shell completion', () => {
  it('prints a script for bash, zsh and fish, and refuses another shell', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const result = await run(['completion', shell]);
      expect(result.code, shell).toBe(0);
      expect(result.stdout, shell).toContain('ugc __complete');
    }
    expect((await run(['completion', 'tcsh'])).code).toBe(2);
  });

  it('completes commands, flags, and creator, voice and model ids', async () => {
    const complete = async (...words: string[]) => (await run(['__complete', ...words])).stdout.trim().split('\n');
    expect(await complete('gen')).toEqual(['generate']);
    expect(await complete('creators', '')).toEqual(['list', 'show', 'add', 'rm']);
    expect(await complete('generate', '--cr')).toEqual(['--creator']);
    expect(await complete('generate', '-c', 'ma')).toEqual(['max', 'mateo']);
    expect(await complete('generate', '--script', 'hi', '--voice', 'en-us')).toEqual(['en-us-female', 'en-us-male']);
    expect(await complete('generate', '--model', '')).toEqual(expect.arrayContaining(['still', 'talking']));
    expect(await complete('generate', '--aspect', '')).toEqual(['9:16', '16:9', '1:1']);
    expect((await complete('--provider', 'u')).sort()).toEqual(['ugen', 'ultimatecreator', 'unrealugc']);
  });

  it('works in a real bash: the script asks ugc for the candidates', async () => {
    const result = await execa('bash', ['-c', 'source <(ugc completion bash); COMP_WORDS=(ugc creators show l); COMP_CWORD=3; _ugc; printf "%s\\n" "${COMPREPLY[@]}"'], { env: { ...env, PATH: `${shims}:${process.env.PATH}`, HOME: dir.path } });
    expect(result.stdout.split('\n')).toEqual(['leo', 'lucas']);
  });
});

describe('ugc open', () => {
  it("opens a finished job's video with the platform opener, or its folder with --reveal", async () => {
    const made = await run(['generate', '-s', 'Quick one.', '-c', 'leo', '--captions', 'none', '-o', 'open-me.mp4', '--json']);
    expect(made.code).toBe(0);
    const job = JSON.parse(made.stdout) as Job;
    const path = { PATH: `${shims}:${process.env.PATH}` };
    const opened = await run(['open', job.id], path);
    expect(opened.code).toBe(0);
    expect(opened.stderr.trim()).toBe(`opened ${job.output.path}`);
    expect(await run(['open', job.id, '--reveal'], path)).toMatchObject({ code: 0 });
    expect((await readFile(join(dir.path, 'opened.txt'), 'utf8')).trim().split('\n')).toEqual([job.output.path, dir.path]);
    const web = await run(['open', job.id, '--web'], path);
    expect(web.code).toBe(2);
    expect(web.stderr).toContain('has no web address: a local render is only a file');
  });

  it('says what is wrong when there is nothing to open or no opener', async () => {
    const queued = await run(['generate', '-s', 'Later.', '-c', 'mia', '--no-wait']);
    const id = queued.stdout.trim();
    await run(['cancel', id]);
    const cancelled = await run(['open', id], { PATH: `${shims}:${process.env.PATH}` });
    expect(cancelled.code).toBe(2);
    expect(cancelled.stderr).toMatch(new RegExp(`^error: job ${id} is cancelled: there is no video to open`));
    const made = JSON.parse((await run(['jobs', '--json', '--status', 'completed'])).stdout) as Job[];
    const noOpener = await run(['open', made[0]?.id as string], { PATH: '/nonexistent' });
    expect(noOpener.code).toBe(1);
    expect(noOpener.stderr).toContain('cannot open it: xdg-open was not found');
  });
});
