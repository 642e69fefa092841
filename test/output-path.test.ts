import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOutputPath } from '../src/core/output-path.js';
import { startVidgenEmulator, type VidgenEmulator } from './emulators/vidgen.js';
import { makeTone, tempDir, ugc, ugcProcess } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let vidgen: VidgenEmulator;
let env: Record<string, string>;
const script = ['--script', 'Hello there, this is a test of the output path.', '--creator', 'mia'];
const jobsIn = (configDir: string) => readdir(join(configDir, 'jobs')).catch(() => []);

beforeAll(async () => {
  [dir, vidgen] = await Promise.all([tempDir(), startVidgenEmulator({ jobDurationMs: 60_000 })]);
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
  await copyFile(new URL('fixtures/astronaut.jpg', import.meta.url), join(dir.path, 'face.jpg'));
  await makeTone(join(dir.path, 'vo.wav'), 1, 440);
});
afterAll(async () => {
  await Promise.all([dir.cleanup(), vidgen.close()]);
});

describe('--out is checked before any work (exit 2, nothing written)', () => {
  const bad: [string, string, RegExp][] = [
    ['a directory where no file can be created', '/proc/x.mp4', /cannot write \/proc\/x\.mp4: no file can be created in \/proc/],
    ['another video extension', 'newdir/x.mov', /--out newdir\/x\.mov: ugc writes MP4 video, not mov/],
    ['a file name over the byte limit (multi-byte letters)', `${'é'.repeat(120)}.mp4`, /the file name is 244 bytes; it can be at most 233/],
    ['a directory name over 255 bytes', `${'d'.repeat(256)}/x.mp4`, /is 256 bytes; a name can be at most 255/],
  ];
  it.each(bad)('%s', async (_what, out, message) => {
    const before = await readdir(dir.path);
    const result = await ugcProcess(['generate', ...script, '--out', out], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/ffmpeg|Rendering/);
    expect((await readdir(dir.path)).filter((name) => !before.includes(name) && name !== 'config')).toEqual([]);
    expect(await jobsIn(env.UGC_CONFIG_DIR as string)).toEqual([]);
  });

  it('the .mov message says what to pass instead', async () => {
    const result = await ugc(['generate', ...script, '--out', 'ads/x.mov'], { cwd: dir.path, env });
    expect(result.stderr).toMatch(/Name the file x\.mp4, or give a directory/);
  });

  it('a remote generate checks it before submitting anything', async () => {
    const remoteEnv = { UGC_CONFIG_DIR: join(dir.path, 'remote-config'), UGC_API_KEY: vidgen.apiKey };
    const result = await ugc(['generate', '--provider', 'vidgen', '--base-url', vidgen.url, '--image', 'face.jpg', '--audio', 'vo.wav', '--out', '/proc/x.mp4'], { cwd: dir.path, env: remoteEnv });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no file can be created in \/proc/);
    expect(vidgen.stats.jobsCreated).toBe(0);
    expect(await jobsIn(remoteEnv.UGC_CONFIG_DIR)).toEqual([]);
  });

  it('watch --out too, before polling', async () => {
    const remoteEnv = { UGC_CONFIG_DIR: join(dir.path, 'watch-config'), UGC_API_KEY: vidgen.apiKey };
    const submitted = await ugc(['generate', '--provider', 'vidgen', '--base-url', vidgen.url, '--image', 'face.jpg', '--audio', 'vo.wav', '--no-wait'], { cwd: dir.path, env: remoteEnv });
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    const requests = vidgen.stats.requests;
    for (const out of ['/proc/x.mp4', 'ads/x.webm']) {
      const watched = await ugc(['watch', id, '--base-url', vidgen.url, '--out', out], { cwd: dir.path, env: remoteEnv });
      expect(watched.code).toBe(2);
    }
    expect(vidgen.stats.requests).toBe(requests);
  });
});

describe('what --out names', () => {
  it('a name ending in .mp4 is the file; anything else, or a trailing slash, is a directory', () => {
    expect(resolveOutputPath('ads/glow.mp4', 'job_1', '/w')).toBe('/w/ads/glow.mp4');
    expect(resolveOutputPath('ads', 'job_1', '/w')).toBe('/w/ads/job_1.mp4');
    expect(resolveOutputPath('ads.v2', 'job_1', '/w')).toBe('/w/ads.v2/job_1.mp4');
    expect(resolveOutputPath('odd.mp4/', 'job_1', '/w')).toBe('/w/odd.mp4/job_1.mp4');
    expect(resolveOutputPath('clips.mov/', 'job_1', '/w')).toBe('/w/clips.mov/job_1.mp4');
    expect(resolveOutputPath(undefined, 'job_1', '/w')).toBe('/w/ugc-out/job_1.mp4');
    expect(() => resolveOutputPath('x.MOV', 'job_1', '/w')).toThrow(/not mov/);
  });
});
