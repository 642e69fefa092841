/**
 * Apex's generation kinds against its emulator (issue 11, items 2 and 3): each kind's required fields
 * come from our flags as its document names them, an output's content decides its file extension (and
 * whether a thumbnail is made), and the job record shows the credits Apex charged (its documented price,
 * marked as an estimate, since Apex reports a figure only when it refunds one).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { startApexEmulator, type ApexEmulator } from './emulators/apex.js';
import { tempDir, ugc } from './support.js';

let emulator: ApexEmulator;
let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const run = (args: string[]) => ugc(['--provider', 'apex', '--base-url', emulator.url, ...args], { cwd: dir.path, env });
const exists = (path: string) => stat(path).then(() => true, () => false);
/** The body the emulator received for the newest job. */
const lastRequest = () => [...emulator.jobs.values()].at(-1)?.request;

beforeAll(async () => {
  emulator = await startApexEmulator({ jobDurationMs: 300 });
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: emulator.apiKey, UGC_POLL_INTERVAL: '0.1' };
});
afterAll(async () => {
  await emulator.close();
  await dir.cleanup();
});

describe('apex kinds', () => {
  it('kind=image with only --prompt makes an image: written as .png, not into the .mp4 asked for, no thumbnail, and said so', async () => {
    const out = join(dir.path, 'poster.mp4');
    const result = await run(['generate', '--param', 'kind=image', '--prompt', 'A bottle of serum on marble, morning light', '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: apex made an image, not a video: wrote .*poster\.png/);
    const job = JSON.parse(result.stdout) as Job;
    const png = join(dir.path, 'poster.png');
    expect(job.output).toMatchObject({ path: png, type: 'image', thumbnailPath: null });
    expect((await readFile(png)).subarray(1, 4).toString()).toBe('PNG');
    expect(await exists(out)).toBe(false);
    expect(await exists(join(dir.path, 'poster.jpg'))).toBe(false);
    // The document's image fields: the prompt, and a size for our aspect ratio.
    expect(lastRequest()).toEqual({ prompt: 'A bottle of serum on marble, morning light', width: 1080, height: 1920 });
    // Following it again finds it delivered: nothing is downloaded twice, nothing is copied into the .mp4.
    const watched = await run(['watch', job.id, '--json']);
    expect(watched.code).toBe(0);
    expect(await exists(out)).toBe(false);
    // Asked for elsewhere as an .mp4, the image is copied there as an image.
    const elsewhere = join(dir.path, 'copies', 'poster-2.mp4');
    const copied = await run(['watch', job.id, '--out', elsewhere, '--json']);
    expect(copied.stderr).toMatch(/wrote .*poster-2\.png/);
    expect((await readFile(join(dir.path, 'copies', 'poster-2.png'))).subarray(1, 4).toString()).toBe('PNG');
    expect(await exists(elsewhere)).toBe(false);
  });

  it('kind=voice sends the script as `text` and delivers audio as .wav', async () => {
    const out = join(dir.path, 'vo.mp4');
    const result = await run(['generate', '--param', 'kind=voice', '--script', 'Two weeks in and my skin has never looked better.', '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(lastRequest()).toEqual({ text: 'Two weeks in and my skin has never looked better.' });
    expect(result.stderr).toMatch(/warning: apex made audio, not a video: wrote .*vo\.wav/);
    expect(JSON.parse(result.stdout)).toMatchObject({ output: { path: join(dir.path, 'vo.wav'), type: 'audio', thumbnailPath: null, durationSeconds: 1 } });
    expect((await readFile(join(dir.path, 'vo.wav'))).subarray(0, 4).toString()).toBe('RIFF');
  });

  it('kind=b-roll with only --prompt makes a video with a thumbnail', async () => {
    const out = join(dir.path, 'broll.mp4');
    const result = await run(['generate', '--param', 'kind=b-roll', '--prompt', 'Slow pan over a bathroom shelf', '--duration', '5', '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/warning/);
    expect(lastRequest()).toEqual({ prompt: 'Slow pan over a bathroom shelf', duration: 5 });
    expect(JSON.parse(result.stdout)).toMatchObject({ output: { path: out, type: 'video', thumbnailPath: join(dir.path, 'broll.jpg') } });
    expect(await exists(join(dir.path, 'broll.jpg'))).toBe(true);
  });

  it('names what a kind is missing, and refuses flags a kind has no field for, before anything is sent', async () => {
    const before = emulator.stats.requests;
    const cases: [string[], RegExp][] = [
      [['--param', 'kind=b-roll'], /^error: apex kind=b-roll needs --prompt \(or --script\) \(its prompt field\)/],
      [['--param', 'kind=voice'], /^error: apex kind=voice needs --script \(its text field\)/],
      [['--param', 'kind=clip'], /^error: apex kind=clip needs its sourceVideoUrl field: pass --param sourceVideoUrl=<value>/],
      [['--param', 'kind=voice', '--script', 'Hi.', '--image', 'https://example.com/face.jpg'], /^error: apex kind=voice does not take --image: it makes audio from --script, --voice, --model/],
      [['--script', 'A video with a bed.', '--music', 'https://example.com/bed.mp3'], /^error: apex kind=video does not take --music/],
      [['--param', 'kind=hologram', '--script', 'x'], /^error: --param kind must be one of Apex's generation kinds: video, avatar/],
    ];
    for (const [args, message] of cases) {
      const result = await run(['generate', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect(emulator.stats.requests).toBe(before);
  });

  it('estimate says each kind\'s documented price', async () => {
    const price = async (args: string[]) => (JSON.parse((await run(['estimate', ...args, '--json'])).stdout) as { credits: number }).credits;
    expect(await price(['--script', 'A video.'])).toBe(250);
    expect(await price(['--param', 'kind=image', '--prompt', 'x'])).toBe(10);
    expect(await price(['--param', 'kind=voice', '--script', 'x'])).toBe(80);
  });
});

describe('apex credits in the job record', () => {
  it('a completed job shows the documented price it was charged, marked as an estimate', async () => {
    const before = emulator.account.credits;
    const result = await run(['generate', '--script', 'What did this cost?', '--json', '--out', join(dir.path, 'cost.mp4')]);
    expect(result.code).toBe(0);
    expect(before - emulator.account.credits).toBe(250);
    expect((JSON.parse(result.stdout) as Job).credits).toEqual({ charged: 250, final: 250, estimated: true });
  });

  it('a failed job shows what Apex refunded: charged 250, final 0, as reported', async () => {
    const result = await run(['generate', '--script', 'This one will [[fail]].', '--json', '--out', join(dir.path, 'fail.mp4')]);
    expect(result.code).toBe(5);
    expect((JSON.parse(result.stdout) as Job).credits).toEqual({ charged: 250, final: 0 });
  });
});
