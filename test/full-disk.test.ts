/**
 * A full disk (issue 10 item 16): ffmpeg exits 0 having written a truncated video or an empty thumbnail
 * when its disk fills. The render says so (exit 1) and leaves nothing beside the output: no temp file,
 * no partial video. The disk is a real one: a 200 KB tmpfs, which needs root to mount (skipped otherwise).
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, ugcProcess } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let disk: string;
let mounted = false;

beforeAll(async () => {
  dir = await tempDir();
  disk = join(dir.path, 'small-disk');
  await mkdir(disk);
  mounted = (await execa('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', disk], { reject: false })).exitCode === 0;
});
afterAll(async () => {
  if (mounted) await execa('umount', [disk], { reject: false });
  await dir.cleanup();
});

describe('rendering onto a full disk', () => {
  it('fails with a clear line (exit 1) and leaves no temp or partial file beside the output', async (context) => {
    if (!mounted) context.skip();
    const env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
    const result = await ugcProcess(['generate', '--script', 'This ad will not fit on that disk at all.', '--creator', 'mia', '--out', join(disk, 'ad.mp4')], { cwd: dir.path, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*no space left/m);
    expect(await readdir(disk)).toEqual([]);
  }, 120_000);
});
