import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from './emulators/kit.js';
import { startApexEmulator } from './emulators/apex.js';
import { startUGenEmulator } from './emulators/ugen.js';
import { startUltimateCreatorEmulator } from './emulators/ultimatecreator.js';
import { startUnrealUgcEmulator, type UnrealUgcEmulator } from './emulators/unrealugc.js';
import { startVidgenEmulator, type VidgenEmulator } from './emulators/vidgen.js';
import { tempDir, ugc, ugcProcess } from './support.js';

let unrealugc: UnrealUgcEmulator;
let vidgen: VidgenEmulator;
let okServer: Server;
let okUrl: string;
let dir: { path: string; cleanup: () => Promise<void> };

/** A fresh config dir per test: what one test stores never decides another. */
let n = 0;
const freshEnv = () => ({ UGC_CONFIG_DIR: join(dir.path, `config-${++n}`) });

beforeAll(async () => {
  [unrealugc, vidgen, dir] = await Promise.all([startUnrealUgcEmulator(), startVidgenEmulator(), tempDir()]);
  // Something else at the base URL: a server that answers every request `200 ok` in plain text.
  okServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  await new Promise<void>((resolve) => okServer.listen(0, '127.0.0.1', resolve));
  okUrl = `http://127.0.0.1:${(okServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all([unrealugc.close(), vidgen.close(), new Promise((resolve) => okServer.close(resolve)), dir.cleanup()]);
});

describe('login keeps the default provider', () => {
  it('login stores the key but the default stays local, and says how to change it; logout leaves nothing behind', async () => {
    const env = freshEnv();
    const login = await ugc(['login', '--provider', 'unrealugc', '--base-url', unrealugc.url, '--with-token'], { cwd: dir.path, env, stdin: unrealugc.apiKey });
    expect(login.code).toBe(0);
    expect(login.stderr).toMatch(/default provider is local \(default\): pass --provider unrealugc, or run `ugc config set provider unrealugc`/);
    expect((await ugc(['config', 'get', 'provider'], { cwd: dir.path, env })).stdout).toBe('local\n');
    // The README's quick start still renders locally (validated without rendering: `estimate` is free and local).
    const estimate = await ugc(['estimate', '--script', 'Hello there, this works.', '--creator', 'mia', '--json'], { cwd: dir.path, env });
    expect(estimate.code).toBe(0);
    expect(JSON.parse(estimate.stdout)).toMatchObject({ provider: 'local' });
    expect((await ugc(['logout', '--provider', 'unrealugc'], { cwd: dir.path, env })).code).toBe(0);
    expect((await ugc(['config', 'get', 'provider', '--json'], { cwd: dir.path, env })).stdout).toContain('"source": "default"');
  });

  it('--set-default makes it the default; config unset provider undoes it', async () => {
    const env = freshEnv();
    const login = await ugc(['login', '--provider', 'unrealugc', '--base-url', unrealugc.url, '--with-token', '--set-default', '--json'], { cwd: dir.path, env, stdin: unrealugc.apiKey });
    expect(login.code).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({ provider: 'unrealugc', defaultProvider: 'unrealugc', baseUrl: unrealugc.url });
    // No --provider, no --base-url: both come from the profile, and whoami says so.
    const whoami = await ugc(['whoami'], { cwd: dir.path, env });
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toContain('provider  unrealugc (profile "default")');
    expect(whoami.stdout).toContain(`base URL  ${unrealugc.url} (profile "default")`);
    expect((await ugc(['config', 'unset', 'provider'], { cwd: dir.path, env })).stderr).toMatch(/now local \(default\)/);
    expect((await ugc(['whoami'], { cwd: dir.path, env })).code).toBe(2);
  });

  it('a provider that makes no videos cannot become the default', async () => {
    const env = freshEnv();
    const result = await ugc(['login', '--provider', 'elevenlabs', '--with-token', '--set-default'], { cwd: dir.path, env, stdin: 'sk_whatever' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/elevenlabs provider makes no videos/);
    expect(await stat(join(env.UGC_CONFIG_DIR, 'credentials.json')).catch(() => null)).toBeNull();
  });

  it('--base-url at login is stored with the key: a self-hosted vidgen needs it once', async () => {
    const env = freshEnv();
    expect((await ugc(['login', '--provider', 'vidgen', '--base-url', vidgen.url, '--with-token'], { cwd: dir.path, env, stdin: vidgen.apiKey })).code).toBe(0);
    const whoami = await ugc(['whoami', '--provider', 'vidgen', '--json'], { cwd: dir.path, env });
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ provider: 'vidgen', providerSource: 'flag', baseUrl: vidgen.url, baseUrlSource: 'profile', keySource: 'profile' });
    expect((await ugc(['config', 'get', 'base-url.vidgen'], { cwd: dir.path, env })).stdout).toBe(`${vidgen.url}\n`);
    // UGC_BASE_URL wins over the stored one, and is named as the source.
    const env2 = { ...env, UGC_BASE_URL: okUrl };
    expect(JSON.parse((await ugc(['config', 'get', 'base-url.vidgen', '--json'], { cwd: dir.path, env: env2 })).stdout)).toEqual({ key: 'base-url.vidgen', value: okUrl, source: 'environment' });
  });
});

describe('ugc config', () => {
  it('set, get, list and unset, per profile, with each value source', async () => {
    const env = freshEnv();
    const run = (args: string[], extra: Record<string, string> = {}) => ugc(['config', ...args], { cwd: dir.path, env: { ...env, ...extra } });
    expect((await run(['set', 'provider', 'vidgen'])).code).toBe(0);
    expect((await run(['set', 'base-url.vidgen', 'http://render-box:8080'])).code).toBe(0);
    expect((await run(['set', 'provider', 'apex', '--profile', 'work'])).code).toBe(0);
    const listed = JSON.parse((await run(['list', '--json'])).stdout) as { profile: string; settings: { key: string; value: string | null; source: string }[] };
    expect(listed.profile).toBe('default');
    expect(listed.settings).toEqual(
      expect.arrayContaining([
        { key: 'provider', value: 'vidgen', source: 'profile' },
        { key: 'base-url.vidgen', value: 'http://render-box:8080', source: 'profile' },
        { key: 'base-url.unrealugc', value: 'https://unrealugc.com/api/v1', source: 'default' },
      ]),
    );
    expect((await run(['get', 'provider', '--profile', 'work'])).stdout).toBe('apex\n');
    expect((await run(['get', 'provider'], { UGC_PROVIDER: 'ugen' })).stdout).toBe('ugen\n');
    expect(JSON.parse((await run(['get', 'provider', '--provider', 'local', '--json'])).stdout)).toEqual({ key: 'provider', value: 'local', source: 'flag' });
    const table = await run(['list']);
    expect(table.stdout).toMatch(/provider\s+vidgen\s+profile "default"/);
    expect((await run(['unset', 'base-url.vidgen'])).code).toBe(0);
    // No value and no default: prints nothing, exit 1.
    const none = await run(['get', 'base-url.vidgen']);
    expect(none).toMatchObject({ code: 1, stdout: '' });
    const stored = JSON.parse(await readFile(join(env.UGC_CONFIG_DIR, 'config.json'), 'utf8')) as unknown;
    expect(stored).toEqual({ profiles: { default: { provider: 'vidgen' }, work: { provider: 'apex' } } });
  });

  it('refuses unknown keys, providers and URLs (exit 2), storing nothing', async () => {
    const env = freshEnv();
    const cases: [string[], RegExp][] = [
      [['set', 'colour', 'red'], /unknown config key "colour"/],
      [['set', 'provider', 'nope'], /unknown provider "nope"/],
      [['set', 'base-url', 'http://x'], /base-url\.<provider>/],
      [['set', 'base-url.local', 'http://x'], /local provider has no API/],
      [['set', 'base-url.vidgen', 'render-box:8080'], /must be an http\(s\) URL/],
      [['get', 'provider.apex'], /one value for the profile/],
    ];
    for (const [args, message] of cases) {
      const result = await ugc(['config', ...args], { cwd: dir.path, env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await stat(join(env.UGC_CONFIG_DIR, 'config.json')).catch(() => null)).toBeNull();
  });

  it('doctor shows the provider in use and where stored settings come from', async () => {
    const env = freshEnv();
    await ugc(['config', 'set', 'base-url.vidgen', 'http://render-box:8080'], { cwd: dir.path, env });
    const doctor = await ugcProcess(['doctor'], { cwd: dir.path, env: { ...env, UGC_PROVIDER: 'ugen' } });
    expect(doctor.stdout).toMatch(/provider\s+ugen \(UGC_PROVIDER\)/);
    expect(doctor.stdout).toMatch(/base-url\.vidgen http:\/\/render-box:8080 \(profile "default"\)/);
    const json = await ugcProcess(['doctor', '--json'], { cwd: dir.path, env });
    expect(JSON.parse(json.stdout)).toMatchObject({ profile: 'default', settings: expect.arrayContaining([{ key: 'provider', value: 'local', source: 'default' }]) });
  });
});

describe('an answer that is not the account', () => {
  it.each(['unrealugc', 'ultimatecreator', 'ugen', 'apex', 'vidgen', 'elevenlabs'])('%s: login against a server answering "ok" fails (exit 1), saying what came back, storing nothing', async (provider) => {
    const env = freshEnv();
    const result = await ugc(['login', '--provider', provider, '--base-url', okUrl, '--with-token'], { cwd: dir.path, env, stdin: 'sk_live_secret-key-123' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: ${provider}: GET \\S+ did not answer .+; it answered the text "ok"`, 'm'));
    expect(result.stderr).toContain(okUrl);
    expect(result.stderr).not.toContain('sk_live_secret-key-123');
    expect(await stat(join(env.UGC_CONFIG_DIR, 'credentials.json')).catch(() => null)).toBeNull();
  });

  const emulators: [string, () => Promise<Emulator>][] = [
    ['unrealugc', () => startUnrealUgcEmulator()],
    ['ultimatecreator', () => startUltimateCreatorEmulator()],
    ['ugen', () => startUGenEmulator()],
    ['apex', () => startApexEmulator()],
    ['vidgen', () => startVidgenEmulator()],
  ];
  it.each(emulators)('%s: the documented account answer still passes', async (provider, start) => {
    const emulator = await start();
    try {
      const result = await ugc(['whoami', '--provider', provider, '--base-url', emulator.url, '--json'], { cwd: dir.path, env: { ...freshEnv(), UGC_API_KEY: emulator.apiKey } });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ provider, account: expect.stringMatching(/\S/) });
    } finally {
      await emulator.close();
    }
  });

  it('whoami too, as a real process', async () => {
    const result = await ugcProcess(['whoami', '--provider', 'unrealugc', '--base-url', okUrl], { cwd: dir.path, env: { ...freshEnv(), UGC_API_KEY: 'usk_live_abc' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unrealugc: GET \/me did not answer an account; it answered the text "ok"/);
  });
});
