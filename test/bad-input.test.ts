import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTone, tempDir, ugc } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
  await writeFile(join(dir.path, 'notes.txt'), 'just text, not an image');
  await writeFile(join(dir.path, 'fake.png'), 'PNG? no');
  await writeFile(join(dir.path, 'a-file'), 'x');
  await makeTone(join(dir.path, 'tone.wav'), 1, 440);
  await writeFile(join(dir.path, 'secret.png'), 'x');
  await chmod(join(dir.path, 'secret.png'), 0o000);
});
afterAll(() => dir.cleanup());

const script = ['--script', 'Hello there, this is a test.'];

const cases: [string, string[], RegExp][] = [
  ['empty script', ['--script', '   '], /script is empty/],
  ['no script at all', [], /script is empty/],
  ['over-long script', ['--script', 'word '.repeat(1100)], /limit is 5000/],
  ['unknown creator', [...script, '--creator', 'nobody'], /unknown creator "nobody"/],
  ['unknown voice', [...script, '--voice', 'robot-9000'], /robot-9000/],
  ['missing image', [...script, '--image', 'missing.png'], /--image: no such file/],
  ['text file as image', [...script, '--image', 'notes.txt'], /--image: .* is not an image/],
  ['renamed text as png', [...script, '--image', 'fake.png'], /--image: .* is not an image/],
  ['image as audio', [...script, '--audio', 'notes.txt'], /--audio: .* is not an audio file/],
  ['audio as music dir', [...script, '--music', '.'], /--music: .* is not a file/],
  ['audio file as product image', [...script, '--product-image', 'tone.wav'], /--product-image: .* is not an image/],
  ['unknown aspect', [...script, '--aspect', '4:3'], /--aspect must be one of 9:16, 16:9, 1:1/],
  ['unknown caption style', [...script, '--captions', 'fancy'], /--captions must be one of karaoke, clean, none/],
  ['unknown resolution', [...script, '--resolution', '4k'], /--resolution must be one of/],
  ['creator and image', [...script, '--creator', 'mia', '--image', 'tone.wav'], /either --creator or --image/],
  ['output under a file', [...script, '--out', 'a-file/out.mp4'], /is not a directory/],
  ['bad duration', [...script, '--duration', 'soon'], /--duration must be a number/],
  ['bad param', [...script, '--param', 'novalue'], /--param must be key=value/],
  ['unknown flag', [...script, '--colour', 'red'], /unknown option/],
];

describe('bad input is refused before any work, with exit 2 and one clear line', () => {
  it.each(cases)('%s', async (_name, args, message) => {
    const before = await readdir(dir.path);
    const result = await ugc(['generate', ...args], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stdout).toBe('');
    // Nothing left behind: no output dir, no job record.
    expect((await readdir(dir.path)).filter((n) => !before.includes(n) && n !== 'config')).toEqual([]);
    expect(await readdir(join(dir.path, 'config', 'jobs')).catch(() => [])).toEqual([]);
  });

  it('an unreadable file is refused (unless running as root, which can read anything)', async () => {
    const result = await ugc(['generate', ...script, '--image', 'secret.png'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(process.getuid?.() === 0 ? /is not an image/ : /permission denied/);
  });

  it('an output path that is an existing directory is refused', async () => {
    await mkdir(join(dir.path, 'taken.mp4'), { recursive: true });
    const result = await ugc(['generate', ...script, '--out', 'taken.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/it is a directory/);
  });
});
