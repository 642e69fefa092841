import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowErrorFor } from '../src/batch/rows.js';
import { UsageError } from '../src/core/errors.js';
import { closest } from '../src/core/suggest.js';
import { startUnrealUgcEmulator } from './emulators/unrealugc.js';
import type { Emulator } from './emulators/kit.js';
import { inPty, plain, ugcLine } from './pty.js';
import { tempDir, ugc } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
let emulator: Emulator;

beforeAll(async () => {
  dir = await tempDir('ugc-errors-');
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
  emulator = await startUnrealUgcEmulator();
});
afterAll(async () => {
  await emulator.close();
  await dir.cleanup();
});

const run = (args: string[], extra: Record<string, string> = {}) => ugc(args, { cwd: dir.path, env: { ...env, ...extra } });

describe('did you mean', () => {
  it('suggests the nearest creator and voice ids, and nothing when nothing is near', async () => {
    const creator = await run(['generate', '--script', 'Hello there.', '--creator', 'maxx']);
    expect(creator.code).toBe(2);
    expect(creator.stderr.split('\n')[0]).toBe('error: unknown creator "maxx" (did you mean "max"?)');
    const voice = await run(['generate', '--script', 'Hello there.', '--creator', 'mia', '--voice', 'en-us-femal']);
    expect(voice.code).toBe(2);
    expect(voice.stderr.split('\n')[0]).toBe('error: unknown voice "en-us-femal" (did you mean "en-us-female"?)');
    expect(closest('zzzzzz', ['max', 'mia'])).toEqual([]);
    expect(closest('mai', ['max', 'mia', 'leo'])).toEqual(['max', 'mia']);
  });

  it('a batch row error names the column the problem is in, with the suggestion', async () => {
    const rows = join(dir.path, 'rows.csv');
    await writeFile(rows, 'name,script,creator\ngood,Hello there.,mia\nbad,Hello again.,maxx\n');
    const result = await run(['batch', rows, '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('row 2, creator: unknown creator "maxx" (did you mean "max"?)');
    // A problem found later, when the row runs, names its field too.
    const later = rowErrorFor({ row: 2 }, new UsageError('unknown creator "maxx"', undefined, { field: 'creator' }));
    expect(later).toMatchObject({ row: 2, field: 'creator' });
  });
});

describe('one error style', () => {
  it('with --json an error is a JSON object on stdout as well as the line on stderr', async () => {
    const result = await run(['status', 'job_nope', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('error: no job "job_nope" on this machine');
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: expect.any(String), message: 'no job "job_nope" on this machine', hint: expect.any(String) } });
    expect(result.stdout.trim().split('\n'), 'one line, so it can end a JSON Lines stream too').toHaveLength(1);
    const usage = await run(['jobs', '--bogus', '--json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^error: unknown option '--bogus'/);
    expect(JSON.parse(usage.stdout)).toMatchObject({ error: { code: 'invalid_input', message: "unknown option '--bogus'" } });
  });

  it('is red on a terminal, plain elsewhere and with NO_COLOR', async () => {
    const tty = await inPty(ugcLine(['status', 'job_nope']), { cwd: dir.path, env });
    expect(tty.screen).toContain('\x1b[31merror:\x1b[39m no job "job_nope"');
    const flag = await inPty(ugcLine(['jobs', '--bogus']), { cwd: dir.path, env });
    expect(flag.screen).toContain("\x1b[31merror:\x1b[39m unknown option '--bogus'");
    const noColor = await inPty(ugcLine(['status', 'job_nope']), { cwd: dir.path, env: { ...env, NO_COLOR: '1' } });
    expect(noColor.screen).not.toContain('\x1b[31m');
    expect(plain(noColor.screen)).toContain('error: no job "job_nope"');
  });
});

describe('remote providers', () => {
  it('a refused key says which key: UGC_API_KEY or the stored one', async () => {
    const fromEnv = await run(['whoami', '--provider', 'unrealugc', '--base-url', emulator.url], { UGC_API_KEY: 'usk_live_wrong' });
    expect(fromEnv.code).toBe(4);
    expect(fromEnv.stderr).toContain('refused the key in UGC_API_KEY');
    // A key stored by login (checked at one server) that another server refuses.
    const login = await ugc(['login', '--provider', 'unrealugc', '--base-url', emulator.url, '--with-token'], { cwd: dir.path, env, stdin: `${emulator.apiKey}\n` });
    expect(login.code).toBe(0);
    const other = await startUnrealUgcEmulator();
    try {
      const stored = await run(['whoami', '--provider', 'unrealugc', '--base-url', other.url]);
      expect(stored.code).toBe(4);
      expect(stored.stderr).toContain('refused the key stored for profile "default"');
    } finally {
      await other.close();
    }
  });

  it('says it is retrying, and why, instead of waiting in silence', async () => {
    const port = await closedPort();
    const result = await run(['whoami', '--provider', 'unrealugc', '--base-url', `http://127.0.0.1:${port}`], { UGC_API_KEY: 'usk_live_x' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^retrying in \d+\.\d s \(connection refused\)$/m);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
