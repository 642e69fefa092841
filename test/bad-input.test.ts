import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTone, tempDir, tools, ugc } from './support.js';

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
  const { ffmpeg } = await tools();
  // A PNG whose header (and so ffprobe) is fine but whose data stops half way.
  await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', join(dir.path, 'whole.png')]);
  const png = await readFile(join(dir.path, 'whole.png'));
  await writeFile(join(dir.path, 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  // A voiceover one second over the 600 s cap (8 kHz keeps the file small).
  await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=220:duration=601:sample_rate=8000', join(dir.path, 'long.wav')]);
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
  ['unknown caption style', [...script, '--captions', 'fancy'], /--captions must be one of karaoke, box, pop, clean, none/],
  ['unknown resolution', [...script, '--resolution', '4k'], /--resolution must be one of/],
  ['creator and image', [...script, '--creator', 'mia', '--image', 'tone.wav'], /either --creator or --image/],
  ['output under a file', [...script, '--out', 'a-file/out.mp4'], /is not a directory/],
  ['bad duration', [...script, '--duration', 'soon'], /--duration must be a number/],
  ['duration under a second', [...script, '--duration', '0.5'], /--duration must be a number of seconds between 1 and 600/],
  ['voiceover over 600 s', [...script, '--audio', 'long.wav'], /--audio: the voiceover .*long\.wav is 601 s long; the limit is 600 s/],
  ['png with truncated data', [...script, '--image', 'truncated.png'], /--image: .*truncated\.png is damaged and cannot be decoded/],
  ['emoji-only script', ['--script', '🔥🔥 😍 ✨!!'], /the script has no words to speak/],
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

  it('`creators add` refuses a photo whose data is truncated, and stores nothing', async () => {
    const result = await ugc(['creators', 'add', 'truncated.png', '--name', 'Half'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/truncated\.png is damaged and cannot be decoded/);
    const list = await ugc(['creators', '--json'], { cwd: dir.path, env });
    expect(list.stdout).not.toMatch(/Half/);
  });

  it('an output path that is an existing directory is refused', async () => {
    await mkdir(join(dir.path, 'taken.mp4'), { recursive: true });
    const result = await ugc(['generate', ...script, '--out', 'taken.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/it is a directory/);
  });
});
