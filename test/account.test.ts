import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUnrealUgcEmulator } from './emulators/unrealugc.js';
import type { Emulator } from './emulators/kit.js';
import { tempDir, ugc } from './support.js';

let emulator: Emulator;
let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const run = (args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) =>
  ugc(['--base-url', emulator.url, ...args], { cwd: dir.path, env: { ...env, ...options.env }, stdin: options.stdin });

beforeAll(async () => {
  emulator = await startUnrealUgcEmulator();
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(async () => {
  await emulator.close();
  await dir.cleanup();
});

describe('login, whoami, logout', () => {
  it('without a terminal, login asks for --with-token instead of prompting', async () => {
    const result = await run(['login', '--provider', 'unrealugc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--with-token/);
  });

  it('a key the provider refuses is not stored (exit 4)', async () => {
    const result = await run(['login', '--provider', 'unrealugc', '--with-token'], { stdin: 'usk_live_not-a-real-key\n' });
    expect(result.code).toBe(4);
    expect(result.stdout + result.stderr).not.toContain('usk_live_not-a-real-key');
    expect(await stat(join(env.UGC_CONFIG_DIR as string, 'credentials.json')).catch(() => null)).toBeNull();
  });

  it('stores a verified key owner-only, never printing it, and whoami says where it came from', async () => {
    const login = await run(['login', '--provider', 'unrealugc', '--with-token'], { stdin: `${emulator.apiKey}\n` });
    expect(login.code).toBe(0);
    expect(login.stdout + login.stderr).not.toContain(emulator.apiKey);
    const file = join(env.UGC_CONFIG_DIR as string, 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain(emulator.apiKey);

    // Logging in does not change the default provider (still local): --provider names it.
    expect((await run(['whoami', '--json'])).code).toBe(2);
    const whoami = await run(['whoami', '--provider', 'unrealugc', '--json']);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ provider: 'unrealugc', keySource: 'profile', credits: expect.any(Number) });
    expect(whoami.stdout).not.toContain(emulator.apiKey);
  });

  it('UGC_API_KEY wins over the stored key', async () => {
    const result = await run(['whoami', '--provider', 'unrealugc', '--json'], { env: { UGC_API_KEY: 'usk_live_env-key-that-is-wrong' } });
    expect(result.code).toBe(4);
    const ok = await run(['whoami', '--provider', 'unrealugc', '--json'], { env: { UGC_API_KEY: emulator.apiKey } });
    expect(JSON.parse(ok.stdout).keySource).toBe('environment');
  });

  it('keys are per profile', async () => {
    const other = await run(['whoami', '--profile', 'work', '--provider', 'unrealugc']);
    expect(other.code).toBe(4);
    expect(other.stderr).toMatch(/no API key for unrealugc/);
  });

  it('logout removes the key', async () => {
    expect((await run(['logout', '--provider', 'unrealugc'])).code).toBe(0);
    const after = await run(['whoami', '--provider', 'unrealugc']);
    expect(after.code).toBe(4);
    expect(after.stderr).toMatch(/ugc login --provider unrealugc/);
  });

  it('account commands are for remote providers', async () => {
    const result = await run(['whoami', '--provider', 'local']);
    expect(result.code).toBe(2);
  });
});
