import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowResult } from '../src/batch/execute.js';
import { Manifest, type ManifestFile } from '../src/batch/manifest.js';
import { OWNER_FILE } from '../src/batch/out-lock.js';
import { junitReport } from '../src/batch/report.js';
import { validateRows } from '../src/batch/rows.js';
import { redactUrl } from '../src/core/redact-url.js';
import { BIN, tempDir, ugc } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir('ugc-batch-hardening-');
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(() => dir.cleanup());

const row = (name: string, extra: Record<string, unknown> = {}) => ({ row: 1, fields: { name, script: 'A short script.', creator: 'mia', ...extra } });

describe('row names', () => {
  it('are limited by bytes, not characters: a 200-letter name in a two-byte script is refused up front', () => {
    const long = 'é'.repeat(200);
    const { jobs, errors } = validateRows([row(long)], { cwd: dir.path });
    expect(jobs).toEqual([]);
    expect(errors).toEqual([expect.objectContaining({ row: 1, field: 'name', message: expect.stringMatching(/^the name is 400 bytes long; a file name takes at most 200 bytes/) })]);
    expect(validateRows([row('é'.repeat(100))], { cwd: dir.path }).errors).toEqual([]);
    // The matrix suffix counts too: 198 bytes, then "-mia" and "-leo".
    const matrix = validateRows([row('é'.repeat(99), { creator: 'mia|leo' })], { cwd: dir.path });
    expect(matrix.errors).toEqual([expect.objectContaining({ field: 'name', message: expect.stringMatching(/^the name is 202 bytes long/) })]);
  });

  it('a 200-letter multibyte name ends as exit 2 naming the row, before anything is rendered', async () => {
    await writeFile(join(dir.path, 'long.jsonl'), `${JSON.stringify({ name: '日'.repeat(200), script: 'Short.', creator: 'mia' })}\n`);
    const result = await ugc(['batch', 'long.jsonl', '--out', 'out-long'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/row 1, name: the name is 600 bytes long/);
    expect(await stat(join(dir.path, 'out-long')).catch(() => null)).toBeNull();
  });

  it('control characters in a name are refused and shown escaped, never sent to the terminal', async () => {
    await writeFile(join(dir.path, 'esc.jsonl'), `${JSON.stringify({ name: 'red\u001b[31mtext\u009b2J', script: 'Short.', creator: 'mia' })}\n`);
    const result = await ugc(['batch', 'esc.jsonl', '--out', 'out-esc'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('row 1, name: "red\\u001b[31mtext\\u009b2J" cannot be a file name');
    // eslint-disable-next-line no-control-regex
    expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe('JUnit report', () => {
  it('stays well-formed XML with U+FFFE, ESC and lone surrogates in names and messages', () => {
    const results: RowResult[] = [
      { key: 'a', row: 1, name: 'odd\ufffename', provider: 'local', status: 'completed', jobId: 'j1', outputPath: '/out/odd\ufffename.mp4', error: null, seconds: 1, skipped: false },
      { key: 'b', row: 2, name: 'b', provider: 'local', status: 'failed', jobId: null, outputPath: null, error: 'bad \u001b[31m answer \ud800 \uffff', seconds: 0, skipped: false },
    ];
    const xml = junitReport(results, 'rows \ufffe.csv');
    const parser = new SaxesParser();
    const names: string[] = [];
    const failures: string[] = [];
    parser.on('error', (error) => {
      throw error;
    });
    parser.on('opentag', (tag) => {
      const attributes = tag.attributes as Record<string, string>;
      if (tag.name === 'testcase') names.push(attributes.name ?? '');
      if (tag.name === 'failure') failures.push(attributes.message ?? '');
    });
    parser.write(xml).close();
    expect(names).toEqual(['row 1: oddname', 'row 2: b']);
    expect(failures).toEqual(['bad [31m answer  ']);
  });
});

describe('printed URLs', () => {
  it('redactUrl hides user-info and credential query values', () => {
    expect(redactUrl('redis://default:SuperSecret@127.0.0.1:6379/0')).toBe('redis://***@127.0.0.1:6379/0');
    expect(redactUrl('rediss://:SuperSecret@redis.example:6380')).toBe('rediss://***@redis.example:6380');
    expect(redactUrl('https://api.example/v1?api_key=abc&page=2')).toBe('https://api.example/v1?api_key=***&page=2');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('ftp://x')).toBe('ftp://x'); // nothing to hide: printed as given, not normalised to ftp://x/
    expect(redactUrl('not a url //user:pw@host')).toBe('not a url //***@host');
  });

  it('an unreachable Redis with a password in its URL is reported without the password (batch and worker)', async () => {
    await writeFile(join(dir.path, 'one.csv'), 'name,script,creator\none,"Short.",mia\n');
    const url = 'redis://default:SuperSecret@127.0.0.1:1';
    for (const args of [['worker', '--queue', url], ['batch', 'one.csv', '--out', 'out-redis', '--queue', url], ['worker', '--queue', 'http://default:SuperSecret@host']]) {
      const result = await ugc(args, { cwd: dir.path, env });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/redis:\/\/\*\*\*@127\.0\.0\.1:1|http:\/\/\*\*\*@host/);
      expect(result.stderr + result.stdout).not.toContain('SuperSecret');
    }
  });
});

describe('one ugc batch per output directory', () => {
  const rows = 'name,script,creator,captions\nown1,"First row of the owned batch.",mia,none\nown2,"Second row of the owned batch.",leo,none\n';

  it('a second run on the same --out says who holds it and exits 2; with --wait it waits, then renders nothing twice', async () => {
    await writeFile(join(dir.path, 'own.csv'), rows);
    const first = execa(process.execPath, [BIN, 'batch', 'own.csv', '--out', 'owned', '--concurrency', '1'], { cwd: dir.path, env: { ...env, CI: 'true' }, reject: false });
    const owner = join(dir.path, 'owned', OWNER_FILE);
    for (let i = 0; i < 300 && !(await stat(owner).catch(() => null)); i++) await sleep(50);
    const held = JSON.parse(await readFile(owner, 'utf8')) as { pid: number; host: string };
    expect(held).toMatchObject({ pid: first.pid, host: hostname() });

    const second = await ugc(['batch', 'own.csv', '--out', 'owned'], { cwd: dir.path, env });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`^error: .*owned is in use by another ugc batch \\(pid ${first.pid} on ${hostname()}, since .*\\)\\n.*--wait`));

    const waited = await ugc(['batch', 'own.csv', '--out', 'owned', '--wait', '--json'], { cwd: dir.path, env });
    expect((await first).exitCode).toBe(0);
    expect(waited.code).toBe(0);
    expect(waited.stderr).toMatch(new RegExp(`waiting for the ugc batch using .*owned \\(pid ${first.pid} on`));
    expect(JSON.parse(waited.stdout)).toMatchObject({ total: 2, completed: 2, skipped: 2 });
    const entries = Object.values(((await Manifest.load(join(dir.path, 'owned'))) as ManifestFile).entries);
    expect(entries.map((e) => e.attempts)).toEqual([1, 1]);
    expect(await stat(owner).catch(() => null)).toBeNull();
  });

  it('takes over an owner file left by a run that died', async () => {
    await writeFile(join(dir.path, 'stale.csv'), 'name,script,creator,captions\nstale1,"A row after a crash.",ava,none\n');
    const dead = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await mkdir(join(dir.path, 'stale-out'), { recursive: true });
    await writeFile(join(dir.path, 'stale-out', OWNER_FILE), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), startedAt: new Date().toISOString() }));
    const result = await ugc(['batch', 'stale.csv', '--out', 'stale-out', '--json'], { cwd: dir.path, env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ total: 1, completed: 1 });
  });
});
