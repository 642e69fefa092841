import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobStore } from '../src/core/job-store.js';
import { newJob, type Job } from '../src/core/job.js';
import type { Emulator } from './emulators/kit.js';
import { writeFile } from 'node:fs/promises';
import { startApexEmulator } from './emulators/apex.js';
import { startUGenEmulator } from './emulators/ugen.js';
import { startUltimateCreatorEmulator } from './emulators/ultimatecreator.js';
import { startUnrealUgcEmulator } from './emulators/unrealugc.js';
import { startVidgenEmulator } from './emulators/vidgen.js';
import { ffmpegStderr, makeTone, tempDir, ugc } from './support.js';

/** A real PNG photo and WAV voiceover for the providers that take media. */
async function media(dir: string): Promise<{ image: string; audio: string }> {
  const image = join(dir, 'face.png');
  const audio = join(dir, 'voice.wav');
  await ffmpegStderr(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x480', '-frames:v', '1', image]);
  await makeTone(audio, 2, 330);
  return { image, audio };
}

interface ProviderCase {
  name: string;
  start: () => Promise<Emulator>;
  /** generate flags this provider needs besides --script. */
  args: (dir: string) => Promise<string[]>;
  /** generate flags the provider itself refuses (HTTP 400/422), after our own checks pass. */
  invalid: (dir: string) => Promise<string[]>;
}

const cases: ProviderCase[] = [
  {
    name: 'unrealugc',
    start: () => startUnrealUgcEmulator({ jobDurationMs: 400 }),
    args: async () => ['--creator', 'tech-savvy-female-30', '--product-name', 'Acme Blender'],
    invalid: async () => ['--creator', 'tech-savvy-female-30', '--product-name', 'Acme Blender', '--param', 'durationSeconds=9999'],
  },
  {
    name: 'ugen',
    start: () => startUGenEmulator({ jobDurationMs: 400 }),
    args: async () => ['--product-name', 'Acme Blender', '--product-image', 'https://example.com/blender.jpg'],
    invalid: async () => ['--product-name', 'Acme Blender', '--product-image', 'https://example.com/blender.jpg', '--param', 'segment_count=99'],
  },
  {
    name: 'apex',
    start: () => startApexEmulator({ jobDurationMs: 400 }),
    args: async () => [],
    invalid: async () => ['--param', 'duration=999'],
  },
  {
    name: 'vidgen',
    start: () => startVidgenEmulator({ jobDurationMs: 400 }),
    args: async (dir) => {
      const { image, audio } = await media(dir);
      return ['--image', image, '--audio', audio];
    },
    invalid: async (dir) => {
      const { audio } = await media(dir);
      await writeFile(join(dir, 'not-really.png'), 'this is text, not a PNG');
      return ['--image', join(dir, 'not-really.png'), '--audio', audio];
    },
  },
  {
    name: 'ultimatecreator',
    start: () => startUltimateCreatorEmulator({ jobDurationMs: 400 }),
    args: async () => ['--creator', 'avt_abc123'],
    invalid: async () => ['--creator', 'avt_abc123', '--param', 'duration_seconds=9999'],
  },
];

describe.each(cases)('$name against its emulator', (spec) => {
  let emulator: Emulator;
  let dir: { path: string; cleanup: () => Promise<void> };
  let env: Record<string, string>;
  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    ugc(['--provider', spec.name, '--base-url', emulator.url, ...args], { cwd: dir.path, env: { ...env, ...extraEnv } });

  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => dir.cleanup());
  beforeEach(async () => {
    emulator = await spec.start();
    env = { UGC_CONFIG_DIR: join(dir.path, `config-${Math.random().toString(36).slice(2)}`), UGC_API_KEY: emulator.apiKey, UGC_POLL_INTERVAL: '0.1' };
  });
  afterEach(() => emulator.close());

  it('generate --no-wait, then watch follows it and downloads the video with a thumbnail', async () => {
    const started = await run(['generate', '--script', 'This blender changed my mornings.', ...(await spec.args(dir.path)), '--no-wait', '--json']);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const submitted = JSON.parse(started.stdout) as Job;
    expect(submitted).toMatchObject({ provider: spec.name, status: expect.stringMatching(/queued|processing/) });
    expect(submitted.remoteId).toBeTruthy();
    const out = join(dir.path, `${spec.name}-watched.mp4`);
    const watched = await run(['watch', submitted.id, '--json', '--out', out]);
    expect(watched.code).toBe(0);
    const final = JSON.parse(watched.stdout.trim().split('\n').at(-1) as string) as Job;
    expect(final).toMatchObject({ status: 'completed', progress: 100, output: { path: out, thumbnailPath: out.replace(/\.mp4$/, '.jpg') } });
    expect((await readFile(out)).subarray(4, 8).toString()).toBe('ftyp');
    expect((await readFile(out.replace(/\.mp4$/, '.jpg'))).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('a connection dropped after the provider committed the job yields exactly one job', async () => {
    emulator.faults.dropAfterCommit = 1;
    const result = await run(['generate', '--script', 'One job only, please.', ...(await spec.args(dir.path)), '--json', '--out', join(dir.path, `${spec.name}-once.mp4`)]);
    expect(result.code).toBe(0);
    expect(emulator.stats.jobsCreated).toBe(1);
    expect((JSON.parse(result.stdout) as Job).status).toBe('completed');
  });

  it('a create lost on its way in (the provider made nothing) is sent again: exactly one job', async () => {
    emulator.faults.dropBeforeCommit = 1;
    const result = await run(['generate', '--script', 'Lost once, made once.', ...(await spec.args(dir.path)), '--json', '--out', join(dir.path, `${spec.name}-resent.mp4`)]);
    expect(result.code).toBe(0);
    expect(emulator.stats.jobsCreated).toBe(1);
    expect((JSON.parse(result.stdout) as Job).status).toBe('completed');
  });

  it('rides out a 429 storm by honouring Retry-After', async () => {
    emulator.faults.storm429 = 3;
    emulator.faults.retryAfterSeconds = 1;
    const started = Date.now();
    const result = await run(['generate', '--script', 'Patience pays off when the provider is busy.', ...(await spec.args(dir.path)), '--json', '--out', join(dir.path, `${spec.name}-storm.mp4`)]);
    expect(result.code).toBe(0);
    expect(emulator.stats.injected429).toBe(3);
    expect(emulator.stats.jobsCreated).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  });

  it('a bad key exits 4 with a clear message, and the key never appears in any output', async () => {
    const badKey = `${emulator.apiKey}-WRONG-a8f3`;
    for (const extra of [[], ['--debug']]) {
      const result = await run(['generate', '--script', 'This key will not be accepted by anyone.', ...(await spec.args(dir.path)), ...extra], { UGC_API_KEY: badKey });
      expect(result.code).toBe(4);
      expect(result.stderr).toMatch(/ugc login|UGC_API_KEY/);
      expect(result.stdout + result.stderr).not.toContain(badKey);
      expect(result.stdout + result.stderr).not.toContain(emulator.apiKey);
    }
    const configDir = env.UGC_CONFIG_DIR as string;
    // Neither the job records nor the idempotency index hold the key.
    const files = (await readdir(join(configDir, 'jobs'), { recursive: true, withFileTypes: true }).catch(() => [])).filter((f) => f.isFile());
    for (const file of files) expect(await readFile(join(file.parentPath, file.name), 'utf8')).not.toContain(badKey);
  });

  it('a request the provider refuses as invalid exits 2', async () => {
    const result = await run(['generate', '--script', 'The provider will refuse this request.', ...(await spec.invalid(dir.path))]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: /);
    expect(emulator.stats.jobsCreated).toBe(0);
  });
});

describe('provider-specific behaviour', () => {
  it('ugen: --webhook-url configures the account webhook with the CLI\'s ugen secret', async () => {
    const emulator = await startUGenEmulator({ jobDurationMs: 300 });
    const dir = await tempDir();
    try {
      const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: emulator.apiKey, UGC_POLL_INTERVAL: '0.1' };
      const result = await ugc(
        ['--provider', 'ugen', '--base-url', emulator.url, 'generate', '--script', 'Account webhook please.', '--product-name', 'Acme', '--product-image', 'https://example.com/p.jpg', '--webhook-url', 'http://127.0.0.1:9/hooks', '--json', '--out', join(dir.path, 'u.mp4')],
        { cwd: dir.path, env },
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/one webhook URL per account/);
      const secret = (await ugc(['webhooks', 'secret', '--provider', 'ugen'], { cwd: dir.path, env })).stdout.trim();
      expect((emulator as unknown as { webhook: { url: string; secret: string } }).webhook).toEqual({ url: 'http://127.0.0.1:9/hooks', secret });
    } finally {
      await emulator.close();
      await dir.cleanup();
    }
  });

  it('ugen: estimate and generate send the same priced fields, explicitly; --music turns music on in both', async () => {
    const emulator = await startUGenEmulator({ jobDurationMs: 300 });
    const dir = await tempDir();
    try {
      const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: emulator.apiKey, UGC_POLL_INTERVAL: '0.1' };
      const bed = join(dir.path, 'bed.wav');
      await makeTone(bed, 2, 220);
      const request = ['--provider', 'ugen', '--base-url', emulator.url, '--script', 'Priced the same both ways.', '--product-name', 'Acme', '--product-image', 'https://example.com/p.jpg', '--duration', '16'];
      const priced = (body: Record<string, unknown> | undefined) => ({ segment_count: body?.segment_count, model: body?.model_id ?? body?.video_model, music_enabled: body?.music_enabled });
      for (const music of [[], ['--music', bed]]) {
        emulator.bodies.length = 0;
        const estimate = await ugc(['estimate', ...request, ...music, '--json'], { cwd: dir.path, env });
        const generate = await ugc(['generate', ...request, ...music, '--json', '--out', join(dir.path, `u${music.length}.mp4`)], { cwd: dir.path, env });
        expect(generate.code).toBe(0);
        const estimateBody = emulator.bodies.find((b) => b.route === 'POST /credits/estimate')?.body;
        const jobBody = emulator.bodies.find((b) => b.route === 'POST /jobs')?.body;
        expect(priced(estimateBody)).toEqual({ segment_count: 2, model: 'veo3_fast', music_enabled: music.length > 0 });
        expect(priced(jobBody)).toEqual(priced(estimateBody));
        // So the estimate is what the job reserves.
        const reserved = emulator.jobs.get((JSON.parse(generate.stdout) as Job).remoteId as string)?.credits;
        expect((JSON.parse(estimate.stdout) as { credits: number }).credits).toBe(reserved);
        expect(generate.stderr.includes('ugen adds music of its own choosing')).toBe(music.length > 0);
      }
    } finally {
      await emulator.close();
      await dir.cleanup();
    }
  });

  it('ugen: --captions karaoke is its tiktok_karaoke style; styles it does not have are refused before anything is sent', async () => {
    const emulator = await startUGenEmulator({ jobDurationMs: 300 });
    const dir = await tempDir();
    try {
      const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: emulator.apiKey, UGC_POLL_INTERVAL: '0.1' };
      const request = ['--provider', 'ugen', '--base-url', emulator.url, '--script', 'Captions, honestly.', '--product-name', 'Acme', '--product-image', 'https://example.com/p.jpg', '--no-wait'];
      expect((await ugc(['generate', ...request], { cwd: dir.path, env })).code).toBe(0);
      expect(emulator.bodies.at(-1)?.body.caption_style).toBe('tiktok_karaoke');
      for (const style of ['none', 'clean']) {
        const refused = await ugc(['generate', ...request, '--captions', style], { cwd: dir.path, env });
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(/^error: ugen cannot make .*: its document names one caption style, tiktok_karaoke \(--captions karaoke\)/);
      }
      expect(emulator.stats.jobsCreated).toBe(1);
      // A style of its own, named with --param, goes through as given.
      expect((await ugc(['generate', ...request, '--captions', 'none', '--param', 'caption_style=bold_pop'], { cwd: dir.path, env })).code).toBe(0);
      expect(emulator.bodies.at(-1)?.body.caption_style).toBe('bold_pop');
    } finally {
      await emulator.close();
      await dir.cleanup();
    }
  });

  it('vidgen: a job whose create answer never arrived (the process died) is recovered without a second submission', async () => {
    const emulator = await startVidgenEmulator({ jobDurationMs: 300 });
    const dir = await tempDir();
    try {
      const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: emulator.apiKey, UGC_BASE_URL: emulator.url };
      const { image, audio } = await media(dir.path);
      const store = new JobStore(env.UGC_CONFIG_DIR);
      const request = { script: 'x', image, audio, idempotencyKey: 'k-1', out: join(dir.path, 'v.mp4') };
      // The record is written first, then the create is sent; here the process "dies" before the answer.
      const orphan = await store.create(newJob({ provider: 'vidgen', request }));
      const form = new FormData();
      form.set('image', new Blob([await readFile(image)]), 'face.png');
      form.set('audio', new Blob([await readFile(audio)]), 'voice.wav');
      expect((await fetch(`${emulator.url}/api/jobs`, { method: 'POST', body: form, headers: { 'x-api-key': emulator.apiKey } })).status).toBe(201);

      const status = await ugc(['status', orphan.id, '--json'], { cwd: dir.path, env });
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as Job).remoteId).toBeTruthy();
      expect(emulator.stats.jobsCreated).toBe(1);

      // A record whose create never reached the provider is reported as not submitted, not resent.
      const lost = await store.create(newJob({ provider: 'vidgen', request: { ...request, idempotencyKey: 'k-2' }, now: new Date(Date.now() + 60_000) }));
      const lostStatus = JSON.parse((await ugc(['status', lost.id, '--json'], { cwd: dir.path, env })).stdout) as Job;
      expect(lostStatus).toMatchObject({ status: 'failed', providerStatus: 'not_submitted' });
      expect(emulator.stats.jobsCreated).toBe(1);
    } finally {
      await emulator.close();
      await dir.cleanup();
    }
  });

  it('vidgen: a photo and a voiceover are enough, with no script, as its document says', async () => {
    const emulator = await startVidgenEmulator({ jobDurationMs: 300 });
    const dir = await tempDir();
    try {
      const { image, audio } = await media(dir.path);
      const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: emulator.apiKey, UGC_POLL_INTERVAL: '0.1' };
      const out = join(dir.path, 'talking.mp4');
      const result = await ugc(['generate', '--provider', 'vidgen', '--base-url', emulator.url, '--image', image, '--audio', audio, '--json', '--out', out], { cwd: dir.path, env });
      expect(result.stderr).not.toMatch(/error/);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout) as Job).toMatchObject({ provider: 'vidgen', status: 'completed', request: { script: '' }, output: { path: out } });
      expect(emulator.stats.jobsCreated).toBe(1);
      // Without the voiceover it says what vidgen needs, before anything is sent.
      const missing = await ugc(['generate', '--provider', 'vidgen', '--base-url', emulator.url, '--image', image], { cwd: dir.path, env });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/vidgen needs --audio/);
      expect(emulator.stats.jobsCreated).toBe(1);
    } finally {
      await emulator.close();
      await dir.cleanup();
    }
  });

  // Every provider that uploads local files checks them by content first: nothing is uploaded, no job is made.
  it.each([
    { provider: 'vidgen', what: 'a text file named .png as --image', start: () => startVidgenEmulator(), upload: 'POST /api/jobs', args: (fake: string, audio: string) => ['--image', fake, '--audio', audio] },
    { provider: 'vidgen', what: 'a PNG as --audio', start: () => startVidgenEmulator(), upload: 'POST /api/jobs', args: (_fake: string, _audio: string, image: string) => ['--image', image, '--audio', image] },
    { provider: 'unrealugc', what: 'a text file named .png as --image', start: () => startUnrealUgcEmulator(), upload: 'POST /api/v1/uploads/avatar', args: (fake: string) => ['--script', 'A photo that is not one.', '--image', fake, '--product-name', 'Acme'] },
  ])('$provider: $what is refused before anything is uploaded', async ({ provider, start, upload, args }) => {
    const emulator = await start();
    const dir = await tempDir();
    try {
      const { image, audio } = await media(dir.path);
      const fake = join(dir.path, 'not-really.png');
      await writeFile(fake, 'this is text, not a PNG');
      const env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_API_KEY: emulator.apiKey };
      const result = await ugc(['generate', '--provider', provider, '--base-url', emulator.url, ...args(fake, audio, image)], { cwd: dir.path, env });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^error: --(image|audio): .* is not an? (image|audio file)/);
      expect(emulator.stats.byRoute[upload] ?? 0).toBe(0);
      expect(emulator.stats.jobsCreated).toBe(0);
    } finally {
      await emulator.close();
      await dir.cleanup();
    }
  });

  it('vidgen: whoami checks the server\'s health and the key', async () => {
    const emulator = await startVidgenEmulator();
    const dir = await tempDir();
    try {
      const result = await ugc(['--provider', 'vidgen', '--base-url', emulator.url, 'whoami', '--json'], { cwd: dir.path, env: { UGC_CONFIG_DIR: join(dir.path, 'c'), UGC_API_KEY: emulator.apiKey } });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ server: 'ok', keySource: 'environment' });
      expect(emulator.stats.byRoute['GET /api/health']).toBe(1);
    } finally {
      await emulator.close();
      await dir.cleanup();
    }
  });
});
