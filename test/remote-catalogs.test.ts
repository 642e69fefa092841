import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from './emulators/kit.js';
import { startUnrealUgcEmulator } from './emulators/unrealugc.js';
import { ffmpegStderr, makeTone, tempDir, ugc } from './support.js';

let emulator: Emulator;
let dir: { path: string; cleanup: () => Promise<void> };
const run = (args: string[], provider = 'unrealugc') =>
  ugc(['--provider', provider, '--base-url', emulator.url, ...args], { cwd: dir.path, env: { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: emulator.apiKey } });

beforeAll(async () => {
  emulator = await startUnrealUgcEmulator();
  dir = await tempDir();
  await ffmpegStderr(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=400x500', '-frames:v', '1', join(dir.path, 'face.png')]);
  await makeTone(join(dir.path, 'sample.wav'), 3, 220);
});
afterAll(async () => {
  await emulator.close();
  await dir.cleanup();
});

describe('remote catalogs (UnrealUGC)', () => {
  it('lists stock creators across cursor pages and shows one by slug', async () => {
    const list = JSON.parse((await run(['creators', '--json'])).stdout) as { id: string; slug: string }[];
    expect(list.length).toBeGreaterThan(85);
    expect(new Set(list.map((c) => c.id)).size).toBe(list.length);
    const shown = await run(['creators', 'show', list[0]?.slug as string, '--json']);
    expect(JSON.parse(shown.stdout).id).toBe(list[0]?.id);
  });

  it('adds a custom creator through the presigned upload, lists it, removes it', async () => {
    const added = await run(['creators', 'add', 'face.png', '--name', 'Founder', '--json']);
    expect(added.code).toBe(0);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const custom = JSON.parse((await run(['creators', '--include', 'custom', '--json'])).stdout) as { id: string }[];
    expect(custom.map((c) => c.id)).toContain(id);
    expect((await run(['creators', 'rm', id])).code).toBe(0);
  });

  it('clones a voice from a sample and lists voices and models', async () => {
    const added = await run(['voices', 'add', 'sample.wav', '--name', 'Founder voice', '--json']);
    expect(added.code).toBe(0);
    const voices = JSON.parse((await run(['voices', '--json'])).stdout) as { id: string }[];
    expect(voices.map((v) => v.id)).toContain((JSON.parse(added.stdout) as { id: string }).id);
    const models = JSON.parse((await run(['models', '--json'])).stdout) as unknown[];
    expect(models.length).toBeGreaterThan(0);
  });

  it('uploads print the storage key; files over the limit are refused before uploading', async () => {
    const upload = await run(['uploads', 'avatar', 'face.png']);
    expect(upload.code).toBe(0);
    expect(upload.stdout.trim()).toMatch(/\S+\.png$/);
    const big = join(dir.path, 'big.png');
    await writeFile(big, '');
    await truncate(big, 6 * 1024 * 1024);
    const before = emulator.stats.byRoute['POST /api/v1/uploads/avatar'] ?? 0;
    const refused = await run(['uploads', 'avatar', 'big.png']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/up to 5 MB/);
    expect(emulator.stats.byRoute['POST /api/v1/uploads/avatar'] ?? 0).toBe(before);
  });

  it('estimates the credit cost of a generate without creating anything', async () => {
    const result = await run(['estimate', '--script', 'An estimate for this script, please.', '--creator', 'tech-savvy-female-30', '--product-name', 'Acme', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ provider: 'unrealugc', credits: expect.any(Number) });
    expect(emulator.stats.jobsCreated).toBe(0);
  });

  it('a command the provider lacks names the provider and exits 1', async () => {
    const voices = await run(['voices'], 'apex');
    expect(voices.code).toBe(1);
    expect(voices.stderr).toMatch(/the apex provider does not support `ugc voices`/);
    const uploads = await run(['uploads', 'avatar', 'face.png'], 'ugen');
    expect(uploads.code).toBe(1);
    expect(uploads.stderr).toMatch(/ugen/);
  });
});
