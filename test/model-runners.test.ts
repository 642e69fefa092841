import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { startCogEmulator, STAND_IN_MODEL, type CogEmulator } from './emulators/cog.js';
import { BIN, grayFrame, tempDir, tools, ugc, type CliResult } from './support.js';

/**
 * Lip-sync models as runners: a Cog server (test/emulators/cog.ts, running the stand-in model
 * test/fixtures/lipsync-model.mjs) and the same model as a command line. The stand-in's picture is the
 * creator hue-shifted, squared, over a strip with a volume bar driven by the voice: measurable in the ad.
 */

const SCRIPT = 'Hi there. This serum changed my skin in a week.';
const FRAME = { width: 720, height: 1280 };
const PHOTO = new URL('./fixtures/astronaut.jpg', import.meta.url).pathname;

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const emulators: CogEmulator[] = [];

beforeAll(async () => {
  dir = await tempDir('ugc-models-');
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(() => dir.cleanup());
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()));
});

async function cog(options: Parameters<typeof startCogEmulator>[0] = {}): Promise<CogEmulator> {
  const emulator = await startCogEmulator(options);
  emulators.push(emulator);
  return emulator;
}

const run = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => ugc(args, { cwd: dir.path, env: { ...env, ...extra } });

async function addModel(name: string, args: string[]): Promise<void> {
  const result = await run(['models', 'add', name, ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

async function generate(args: string[]): Promise<CliResult & { job: Job | null }> {
  const result = await run(['generate', '--script', SCRIPT, '--image', PHOTO, '--captions', 'none', '--resolution', '720p', '--json', ...args]);
  let job: Job | null = null;
  try {
    job = JSON.parse(result.stdout) as Job;
  } catch {
    job = null;
  }
  return { ...result, job };
}

/** Mean absolute difference of two gray frames. */
function meanDifference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

/** The model's own frame at `t`, as the ad must show it: scaled to cover 720x1280 and cropped to it, gray. */
async function expectedFrame(modelVideo: string, t: number): Promise<Buffer> {
  const { ffmpeg } = await tools();
  const result = await execa(ffmpeg.path, ['-v', 'error', '-ss', String(t), '-i', modelVideo, '-vf', `scale=${FRAME.width}:${FRAME.height}:force_original_aspect_ratio=increase,crop=${FRAME.width}:${FRAME.height}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer' });
  return Buffer.from(result.stdout);
}

/** Mean luma of rows [top, bottom) in a gray frame 720 wide. */
function bandLuma(frame: Buffer, top: number, bottom: number, left = 0, right = FRAME.width): number {
  let sum = 0;
  let n = 0;
  for (let y = top; y < bottom; y++) for (let x = left; x < right; x++, n++) sum += frame[y * FRAME.width + x] ?? 0;
  return sum / n;
}

describe('ugc models add | show | rm', () => {
  it('stores a Cog runner, checks its input names against the model, shows it with live health, and removes it', async () => {
    const server = await cog({ files: { image: 'source_image', audio: 'driven_audio' }, options: { preprocess: { type: 'string', choices: ['crop', 'resize', 'full'], default: 'full' }, still: { type: 'boolean', default: true } } });
    const wrong = await run(['models', 'add', 'sadtalker', '--cog', server.url, '--input', 'image=source_img', '--input', 'audio=driven_audio']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/no input "source_img" for our image.*its inputs: source_image, driven_audio, preprocess, still/);
    const added = await run(['models', 'add', 'sadtalker', '--cog', `${server.url}/`, '--input', 'image=source_image', '--input', 'audio=driven_audio', '--param', 'preprocess=full', '--param', 'still=true', '--json']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'sadtalker', kind: 'cog', url: server.url, inputs: { image: 'source_image', audio: 'driven_audio' }, params: { preprocess: 'full', still: true }, slots: 1, timeoutSeconds: 1800, status: 'READY', available: true });
    const again = await run(['models', 'add', 'sadtalker', '--cog', server.url]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already configured/);

    const shown = JSON.parse((await run(['models', 'show', 'sadtalker', '--json'])).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: 'sadtalker', status: 'READY', modelInputs: { source_image: { type: 'file', required: true }, driven_audio: { type: 'file' }, still: { type: 'boolean' } }, problems: [] });
    const listed = JSON.parse((await run(['models', '--json'])).stdout) as { id: string; kind: string; available: boolean; status: string }[];
    expect(listed.map((m) => [m.id, m.kind, m.status])).toEqual([
      ['still', 'built-in', 'READY'],
      ['talking', 'built-in', 'READY'],
      ['sadtalker', 'cog', 'READY'],
    ]);
    const table = await run(['models']);
    expect(table.stdout).toMatch(/sadtalker\s+cog\s+yes\s+READY/);

    const removed = await run(['models', 'rm', 'sadtalker', '--json']);
    expect(JSON.parse(removed.stdout)).toEqual({ id: 'sadtalker', removed: true });
    expect((await run(['models', 'rm', 'sadtalker'])).code).toBe(2);
    expect((await run(['models', 'rm', 'talking'])).code).toBe(2);
  });

  it('refuses bad settings with a usage error naming the flag, and stores nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['x'], /either --cog <url> or --exec/],
      [['x', '--cog', 'http://h:5000', '--exec', 'a {audio} {image} {out}'], /either --cog <url> or --exec/],
      [['x', '--cog', 'ftp://h'], /--cog must be an http\(s\) URL/],
      [['x', '--cog', 'http://h:5000', '--input', 'face=img'], /--input must name one of image, audio, video/],
      [['x', '--cog', 'http://h:5000', '--input', 'image=my-img'], /Python identifier/],
      [['x', '--cog', 'http://h:5000', '--param', 'steps'], /--param must be key=value/],
      [['x', '--cog', 'http://h:5000', '--callback', 'http://10.0.0.5'], /--callback needs the port/],
      [['x', '--exec', 'python run.py {image} {out}'], /must name \{audio\}/],
      [['x', '--exec', 'python run.py {image} {audio}'], /must name \{out\}/],
      [['x', '--exec', 'python run.py {face} {audio} {out}'], /unknown placeholder \{face\}/],
      [['x', '--exec', 'python run.py "{image} {audio} {out}'], /unbalanced double quote/],
      [['x', '--exec', 'python run.py {image} {audio} {out} > log.txt'], /unquoted ">" needs a shell/],
      [['x', '--exec', 'run {image} {audio} {out}', '--input', 'image=face'], /--input is for --cog runners/],
      [['Bad Name', '--exec', 'run {image} {audio} {out}'], /model name must be/],
      [['talking', '--exec', 'run {image} {audio} {out}'], /built-in runner/],
      [['x', '--exec', 'run {image} {audio} {out}', '--timeout', '0'], /--timeout must be a number of seconds/],
      [['x', '--exec', 'run {image} {audio} {out}', '--slots', '0'], /--slots must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const result = await run(['models', 'add', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect(JSON.parse((await run(['models', '--json'])).stdout).map((m: { id: string }) => m.id)).toEqual(['still', 'talking']);
  });
});

describe('generate --model <cog runner>', () => {
  it("renders the ad from the model's video: its picture where the creator goes, its bar moving with the voice, one prediction", async () => {
    const server = await cog({ files: { image: 'source_image', audio: 'driven_audio' }, options: { preprocess: { type: 'string', choices: ['crop', 'full'], default: 'crop' } } });
    await addModel('sadtalker', ['--cog', server.url, '--input', 'image=source_image', '--input', 'audio=driven_audio', '--param', 'preprocess=full']);
    const result = await generate(['--model', 'sadtalker', '--out', 'cog.mp4']);
    expect(result.code, result.stderr).toBe(0);
    const job = result.job as Job;
    expect(job.status).toBe('completed');
    expect(server.stats.predictions).toHaveLength(1);
    const [prediction] = server.stats.predictions;
    expect(prediction?.id).toMatch(/^[a-z2-7]{26}$/);
    expect(prediction?.status).toBe('succeeded');
    // Our names, typed params, files as data: URLs (image JPEG, audio WAV).
    expect(Object.keys(prediction?.input ?? {}).sort()).toEqual(['driven_audio', 'preprocess', 'source_image']);
    expect(prediction?.input.preprocess).toBe('full');
    expect(String(prediction?.input.source_image)).toMatch(/^data:image\/jpeg;base64,/);
    expect(String(prediction?.input.driven_audio)).toMatch(/^data:audio\/wav;base64,/);

    const ad = job.output.path as string;
    const model = prediction?.outputPath as string;
    const picture = (frame: Buffer) => frame.subarray(0, FRAME.width * 1000);
    for (const t of [0.5, 1.5, 2.5]) {
      const [shown, expected] = await Promise.all([grayFrame(ad, t, FRAME.width, FRAME.height), expectedFrame(model, t)]);
      expect(meanDifference(picture(shown), picture(expected)), `t=${t}`).toBeLessThan(4);
    }
    // The still runner's picture of the same photo is not what the ad shows (the comparison can fail).
    const still = await generate(['--model', 'still', '--out', 'still.mp4']);
    const stillFrame = await grayFrame(still.job?.output.path as string, 1.5, FRAME.width, FRAME.height);
    expect(meanDifference(picture(stillFrame), picture(await grayFrame(ad, 1.5, FRAME.width, FRAME.height)))).toBeGreaterThan(10);

    // The bar (the strip at the bottom of the model's square, scaled into the ad's last ~210 rows) is dark in the
    // silence after the last word and lit while the voice speaks: the model heard the voice where the ad plays it.
    const barAt = async (t: number) => bandLuma(await grayFrame(ad, t, FRAME.width, FRAME.height), 1100, 1240, 0, 600);
    expect(await barAt((job.output.durationSeconds as number) - 0.15)).toBeLessThan(25);
    const speaking = await Promise.all([0.8, 1.2, 1.6, 2.0].map(barAt));
    expect(Math.max(...speaking)).toBeGreaterThan(60);
  });
});

describe('the Cog runner under faults', () => {
  const sadtalker = async (server: CogEmulator, extra: string[] = []) => {
    await run(['models', 'rm', 'sadtalker']);
    await addModel('sadtalker', ['--cog', server.url, ...extra]);
  };

  it('waits while the server starts (STARTING) and while another client holds every slot (409), then runs once', async () => {
    const server = await cog({ setupMs: 8000 });
    await sadtalker(server);
    expect(JSON.parse((await run(['models', 'show', 'sadtalker', '--json'])).stdout)).toMatchObject({ status: 'STARTING', available: true });
    const starting = await generate(['--model', 'sadtalker', '--out', 'starting.mp4']);
    expect(starting.code, starting.stderr).toBe(0);
    expect(starting.stderr).toMatch(/sadtalker: waiting for the model server to start/);
    expect(server.stats.notReady).toBe(0);
    expect(server.stats.predictions.map((p) => p.status)).toEqual(['succeeded']);

    server.faults.holdOnNextPutMs = 3000;
    const busy = await generate(['--model', 'sadtalker', '--out', 'busy.mp4']);
    expect(busy.code, busy.stderr).toBe(0);
    expect(busy.stderr).toMatch(/every slot of the model server is busy/);
    expect(server.stats.conflicts).toBeGreaterThan(0);
    expect(server.stats.predictions.map((p) => p.status)).toEqual(['succeeded', 'succeeded']);
    expect(new Set(server.stats.predictions.map((p) => p.id)).size).toBe(2);
  });

  it('a connection dropped after the server took a synchronous prediction: Cog cancels it, and it runs again under the same id', async () => {
    const server = await cog();
    await sadtalker(server);
    server.faults.dropAfterCommit = 1;
    const result = await generate(['--model', 'sadtalker', '--out', 'dropped-sync.mp4']);
    expect(result.code, result.stderr).toBe(0);
    const [first, second] = server.stats.predictions;
    expect(second?.id).toBe(first?.id);
    expect(server.stats.predictions.map((p) => p.status)).toEqual(['canceled', 'succeeded']);
    expect(result.stderr).toMatch(/connection to the model server lost/);
  });

  it('with --callback a dropped answer attaches to the same prediction: exactly one run, files served as URLs, the result by webhook', async () => {
    const server = await cog({ files: { video: 'video', audio: 'audio' }, output: 'url' });
    await sadtalker(server, ['--input', 'video=video', '--callback', 'http://127.0.0.1:0']);
    server.faults.dropAfterCommit = 1;
    const result = await generate(['--model', 'sadtalker', '--out', 'dropped-async.mp4']);
    expect(result.code, result.stderr).toBe(0);
    expect(server.stats.predictions.map((p) => p.status)).toEqual(['succeeded']);
    expect(server.stats.attached).toBe(1);
    const [prediction] = server.stats.predictions;
    expect(String(prediction?.input.video)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ugc\/[0-9a-f]{32}\/files\/\d+-model-video\.mp4$/);
    expect(String(prediction?.input.audio)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ugc\/[0-9a-f]{32}\/files\/\d+-model-audio\.wav$/);
    expect(result.job?.status).toBe('completed');
  });

  it("a failed prediction fails the job with the model's own words on one line, exit 1, nothing at the output path", async () => {
    const server = await cog();
    await sadtalker(server);
    server.faults.failNext = 'CUDA out of memory. Tried to allocate 2.00 GiB';
    const result = await generate(['--model', 'sadtalker', '--out', 'failed.mp4']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: sadtalker: the model failed: RuntimeError: CUDA out of memory\. Tried to allocate 2\.00 GiB$/m);
    expect(await stat(join(dir.path, 'failed.mp4')).catch(() => null)).toBeNull();
    const jobs = JSON.parse((await run(['jobs', '--json'])).stdout) as Job[];
    expect(jobs.find((j) => String(j.request.out).endsWith('failed.mp4'))).toMatchObject({ status: 'failed', error: { code: 'model_failed' } });
  });

  it('an input the model refuses (422) says which and how to fix it', async () => {
    const server = await cog({ options: { preprocess: { type: 'string', choices: ['crop', 'full'], default: 'crop' } } });
    await sadtalker(server, ['--param', 'preprocess=extfull']);
    const result = await generate(['--model', 'sadtalker', '--out', 'refused.mp4']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/sadtalker refused the input: input\.preprocess: Input should be 'crop' or 'full'/);
    expect(result.stderr).toMatch(/ugc models show sadtalker/);
  });

  it('unavailable at the start: exit 1 with a hint before any work, or --fallback renders with a built-in runner and says so', async () => {
    const server = await cog();
    await sadtalker(server);
    await server.close();
    const before = (JSON.parse((await run(['jobs', '--json'])).stdout) as Job[]).length;
    const down = await generate(['--model', 'sadtalker', '--out', 'down.mp4']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: sadtalker is unavailable \(UNREACHABLE: .*\); nothing was rendered$/m);
    expect(down.stderr).toMatch(/ugc models show sadtalker/);
    expect((JSON.parse((await run(['jobs', '--json'])).stdout) as Job[]).length).toBe(before);

    const fallback = await generate(['--model', 'sadtalker', '--fallback', 'talking', '--out', 'fallback.mp4']);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(fallback.stderr).toMatch(/sadtalker is unavailable \(UNREACHABLE.*rendering with the built-in talking runner instead \(--fallback\)/);
    expect(fallback.job).toMatchObject({ status: 'completed', runner: 'talking', request: { model: 'sadtalker', fallback: 'talking' } });
    expect((await run(['generate', '--script', 'x', '--model', 'sadtalker', '--fallback', 'gpu2'])).stderr).toMatch(/--fallback must be a built-in runner/);

    const failed = await cog({ setupError: 'torch.cuda.OutOfMemoryError: CUDA out of memory' });
    await run(['models', 'rm', 'sadtalker']);
    const added = await run(['models', 'add', 'sadtalker', '--cog', failed.url]);
    expect(added.code).toBe(0);
    expect(added.stderr).toMatch(/^sadtalker was added, but it is not available now \(SETUP_FAILED: .*CUDA out of memory\)\.$/m);
    const setup = await generate(['--model', 'sadtalker', '--out', 'setup.mp4']);
    expect(setup.code).toBe(1);
    expect(setup.stderr).toMatch(/sadtalker is unavailable \(SETUP_FAILED: the model's setup\(\) failed: torch\.cuda\.OutOfMemoryError: CUDA out of memory\)/);
  });
});

describe('cancelling a prediction', () => {
  /** Waits until the server has a prediction in flight. */
  async function predictionStarted(server: CogEmulator, seconds = 90): Promise<void> {
    for (let i = 0; i < seconds * 10 && !server.stats.predictions.some((p) => p.endedAt === null); i++) await sleep(100);
    expect(server.stats.predictions.some((p) => p.endedAt === null)).toBe(true);
  }

  it('Ctrl-C during the prediction cancels it on the server, exits 130 and leaves no file', async () => {
    const server = await cog({ modelMs: 60_000 });
    await run(['models', 'rm', 'slow']);
    await addModel('slow', ['--cog', server.url]);
    const child = execa(process.execPath, [BIN, 'generate', '--script', SCRIPT, '--image', PHOTO, '--model', 'slow', '--resolution', '720p', '--out', 'interrupted.mp4'], { cwd: dir.path, env: { ...env, CI: 'true' }, reject: false });
    await predictionStarted(server);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(server.stats.cancelRequests).toBeGreaterThanOrEqual(1);
    await sleep(300);
    expect(server.stats.predictions.map((p) => p.status)).toEqual(['canceled']);
    expect((await readdir(dir.path)).filter((n) => n.startsWith('interrupted') || n.includes('.tmp'))).toEqual([]);
  });

  it('ugc cancel stops a --no-wait render and its prediction', async () => {
    const server = await cog({ modelMs: 60_000, files: { image: 'image', audio: 'audio' } });
    await run(['models', 'rm', 'slow']);
    await addModel('slow', ['--cog', server.url, '--callback', 'http://127.0.0.1:0']);
    const started = await ugc(['generate', '--script', SCRIPT, '--image', PHOTO, '--model', 'slow', '--resolution', '720p', '--no-wait', '--json', '--out', 'cancelled.mp4'], { cwd: dir.path, env });
    expect(started.code, started.stderr).toBe(0);
    const id = (JSON.parse(started.stdout) as Job).id;
    await predictionStarted(server);
    let stage = '';
    for (let i = 0; i < 50 && stage !== 'slow: running'; i++, await sleep(100)) stage = String((JSON.parse((await run(['status', id, '--json'])).stdout) as Job).stage);
    expect(stage).toBe('slow: running');
    const cancelled = await run(['cancel', id, '--json']);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ status: 'cancelled' });
    for (let i = 0; i < 100 && server.stats.predictions[0]?.status !== 'canceled'; i++) await sleep(100);
    expect(server.stats.predictions.map((p) => p.status)).toEqual(['canceled']);
    expect(server.stats.cancelRequests).toBeGreaterThanOrEqual(1);
    expect((await readdir(dir.path)).filter((n) => n.startsWith('cancelled'))).toEqual([]);
  });
});

describe('generate --model <command runner>', () => {
  const model = (extra = '') => `${process.execPath} ${STAND_IN_MODEL} --face {image} --audio {audio} --out {out}${extra}`;

  it('runs the command without a shell, words intact, and composes the video it writes', async () => {
    const log = join(dir.path, 'argv.json');
    await addModel('wav2lip', ['--exec', `${model()} --argv-log ${log} --note "a b; \\$(touch pwned)" '{fps}x{width}x{height}'`, '--timeout', '120']);
    const shown = JSON.parse((await run(['models', 'show', 'wav2lip', '--json'])).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: 'wav2lip', kind: 'exec', status: 'READY', cwd: dir.path, timeoutSeconds: 120 });
    const result = await generate(['--model', 'wav2lip', '--out', 'exec.mp4']);
    expect(result.code, result.stderr).toBe(0);
    const argv = JSON.parse(await readFile(log, 'utf8')) as string[];
    expect(argv.slice(argv.indexOf('--note'), argv.indexOf('--note') + 3)).toEqual(['--note', 'a b; $(touch pwned)', '30x720x1280']);
    expect(argv[argv.indexOf('--face') + 1]).toMatch(/model-image\.jpg$/);
    expect(await stat(join(dir.path, 'pwned')).catch(() => null)).toBeNull();
    // The lit bar while speaking, dark in the silence after the last word: the command's video is what the ad shows.
    const bar = async (t: number) => bandLuma(await grayFrame(result.job?.output.path as string, t, FRAME.width, FRAME.height), 1100, 1240, 0, 600);
    expect(await bar((result.job?.output.durationSeconds as number) - 0.15)).toBeLessThan(25);
    expect(Math.max(...(await Promise.all([0.8, 1.2, 1.6, 2.0].map(bar))))).toBeGreaterThan(60);
  });

  it('a failing command fails the job with its last stderr lines; one that runs too long is stopped', async () => {
    await addModel('broken', ['--exec', `${model()} --fail "CUDA error: no kernel image is available"`]);
    const failed = await generate(['--model', 'broken', '--out', 'broken.mp4']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error: broken: the command failed \(exit code 1\): .*line 42, in <module> \| RuntimeError: CUDA error: no kernel image is available$/m);
    await addModel('sleepy', ['--exec', `${model()} --sleep 60000`, '--timeout', '2']);
    const started = Date.now();
    const slow = await generate(['--model', 'sleepy', '--out', 'sleepy.mp4']);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toMatch(/sleepy: the command did not finish within 2 s \(--timeout\) and was stopped/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await stat(join(dir.path, 'sleepy.mp4')).catch(() => null)).toBeNull();
    const added = await run(['models', 'add', 'gone', '--exec', 'no-such-lipsync-program {image} {audio} {out}']);
    expect(added.code).toBe(0);
    expect(added.stderr).toMatch(/gone was added, but it is not available now \(MISSING: no-such-lipsync-program is not on PATH\)/);
    const missing = await generate(['--model', 'gone', '--out', 'gone.mp4']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/gone is unavailable \(MISSING: no-such-lipsync-program is not on PATH\)/);
  });
});

describe('batch and doctor', () => {
  it('a runner with one slot takes one batch row at a time, whatever --concurrency asks', async () => {
    const server = await cog();
    await run(['models', 'rm', 'gpu']);
    await addModel('gpu', ['--cog', server.url]);
    await import('node:fs/promises').then((fs) => fs.writeFile(join(dir.path, 'rows.csv'), `name,script,image,model,captions,resolution\none,Hello from row one.,${PHOTO},gpu,none,720p\ntwo,And row two says hi.,${PHOTO},gpu,none,720p\n`));
    const plan = JSON.parse((await run(['batch', 'rows.csv', '--dry-run', '--json', '--concurrency', '4'])).stdout) as { concurrency: number };
    expect(plan.concurrency).toBe(1);
    const result = await run(['batch', 'rows.csv', '--out', 'batch-out', '--concurrency', '4', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ completed: 2, failed: 0 });
    expect(server.stats.conflicts).toBe(0);
    expect(server.stats.maxInFlight).toBe(1);
    expect(server.stats.predictions.map((p) => p.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('doctor lists every runner with its health; an unreachable one is a problem', async () => {
    const server = await cog();
    await run(['models', 'rm', 'gpu']);
    await addModel('gpu', ['--cog', server.url]);
    const ok = JSON.parse((await run(['doctor', '--json'])).stdout) as { models: { id: string; status: string }[]; problems: string[] };
    expect(ok.models.find((m) => m.id === 'gpu')).toMatchObject({ status: 'READY', available: true });
    await server.close();
    const down = await run(['doctor', '--json']);
    expect(down.code).toBe(1);
    expect((JSON.parse(down.stdout) as { problems: string[] }).problems.join('\n')).toMatch(/model gpu: UNREACHABLE .*ugc models show gpu/);
  });

  it('estimate --model checks the name (exit 2 naming the flag) but not the server: a local render costs nothing', async () => {
    const unknown = await run(['estimate', '--script', 'Hi.', '--model', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: --model: unknown model "nope" for the local provider$/m);
    await run(['models', 'rm', 'offline']);
    await run(['models', 'add', 'offline', '--cog', 'http://127.0.0.1:9']);
    const offline = await run(['estimate', '--script', 'Hi.', '--model', 'offline', '--json']);
    expect(offline.code, offline.stderr).toBe(0);
    // Since speech engines (issue 15) the local estimate also names the voice and the characters it bills.
    expect(JSON.parse(offline.stdout)).toMatchObject({ provider: 'local', credits: 0, speech: { engine: 'espeak', billedCharacters: 0 } });
    await import('node:fs/promises').then((fs) => fs.writeFile(join(dir.path, 'bad-rows.csv'), 'name,script,model,fallback\na,Hi.,nope,\nb,Hi.,offline,gpu\n'));
    const rows = await run(['batch', 'bad-rows.csv', '--dry-run']);
    expect(rows.code).toBe(2);
    expect(rows.stderr).toMatch(/row 1, model: unknown model "nope"/);
    expect(rows.stderr).toMatch(/row 2, fallback: must be a built-in runner \(talking or still\), used when model's is unavailable \(got "gpu"\)/);
  });

  it('worker --model must name a runner known on this machine', async () => {
    const result = await run(['worker', '--queue', 'redis://127.0.0.1:1', '--model', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown model "nope"/);
  });
});

describe('the Cog runner when the server restarts mid-prediction', () => {
  it('with --callback it notices (setup.started_at changed), sends the prediction again and finishes', async () => {
    const server = await cog({ modelMs: 4000 });
    await run(['models', 'rm', 'sadtalker']);
    await addModel('sadtalker', ['--cog', server.url, '--callback', 'http://127.0.0.1:0']);
    const pending = generate(['--model', 'sadtalker', '--out', 'restarted.mp4']);
    for (let i = 0; i < 600 && server.stats.predictions.length === 0; i++) await sleep(100);
    await sleep(500);
    server.restart();
    const result = await pending;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/the model server restarted and lost the prediction: sending it again/);
    expect(server.stats.predictions.map((p) => p.status)).toEqual(['canceled', 'succeeded']);
  });
});
