import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../src/core/context.js';
import { checkRequest } from '../src/core/request.js';
import { alignToReference } from '../src/render/align/index.js';
import { decodeMono } from '../src/render/ffmpeg/decode.js';
import { LEAD_IN } from '../src/render/pipeline.js';
import { splitScriptWords } from '../src/render/timings.js';
import { synthesizeSpeech } from '../src/render/tts.js';
import type { PhonemeTiming, SpokenScript } from '../src/render/types.js';
import { phonemeVisemes } from '../src/render/visemes.js';
import { findVoice } from '../src/render/voices.js';
import { planVoice, speakerFor } from '../src/speech/speak.js';
import { startElevenLabsEmulator, type ElevenLabsEmulator } from './emulators/elevenlabs.js';
import { startOpenAiSpeechEmulator, type OpenAiSpeechEmulator } from './emulators/openai-speech.js';
import type { SpokenTruth } from './emulators/speech-kit.js';
import { shareWithin, TEST_SCRIPT } from './speech/conditions.js';
import { festivalMissing } from './speech/festival.js';
import { tempDir, tools, ugc } from './support.js';

// The engines' test servers speak with Festival (.ci/run installs it); the skip is for machines without it.
const missing = await festivalMissing();
if (missing) console.warn(`SKIPPED: speech engine tests: ${missing}`);

/** A short line for renders: a few seconds of speech. */
const SHORT = 'Okay, so I did not expect this serum to work, but my skin is calmer and brighter.';
/** A second script for a second voice: other words, other closures. */
const SECOND_SCRIPT = 'My trainer said I would never stick with it. Thirty days later, I am still wearing the band every single day, and my mornings feel completely different. Grab yours from the link below before the bundle sells out.';

function contextFor(configDir: string, env: Record<string, string | undefined>): Context {
  const stream = () => new PassThrough();
  return createContext({ stdout: stream(), stderr: stream(), stdin: stream(), env: { ...env, UGC_CONFIG_DIR: configDir }, cwd: configDir }, { json: false, quiet: true, input: false, color: false, debug: false });
}

/** Speaks `script` with an added voice through the engine seam, as a render does. */
async function speak(ctx: Context, voice: string, script: string, workDir: string, speed?: number): Promise<SpokenScript> {
  const request = checkRequest({ script, voice, voiceSpeed: speed });
  const plan = await planVoice(ctx, request);
  return speakerFor(ctx, plan).speak({ script, workDir, tools: await tools(), signal: new AbortController().signal });
}

/** Mouth closures (p, b, m): the share of the truth's closures that a closed-mouth phoneme starts within `tolerance` of. */
function closureShare(phonemes: PhonemeTiming[], truth: SpokenTruth, tolerance = 0.1): number {
  const closed = phonemes.filter((p) => phonemeVisemes(p.phoneme)[0] === 'closed').map((p) => p.start);
  const closures = truth.segments.filter((s) => ['p', 'b', 'm'].includes(s.text));
  const near = closures.filter((s) => closed.some((t) => Math.abs(t - s.start) <= tolerance));
  return near.length / closures.length;
}

/** The share of the truth's pauses (over 150 ms) in whose middle the mouth rests. */
function restShare(phonemes: PhonemeTiming[], truth: SpokenTruth): number {
  const pauses = truth.segments.filter((s, i) => s.text === 'pau' && i > 0 && i < truth.segments.length - 1 && s.end - s.start > 0.15);
  const resting = pauses.filter((s) => phonemes.find((p) => p.start <= (s.start + s.end) / 2 && p.end > (s.start + s.end) / 2)?.phoneme === '');
  return pauses.length === 0 ? 1 : resting.length / pauses.length;
}

/** Word starts from a WebVTT sidecar (`first <00:00:01.234>second …`), on the ad's timeline. */
function vttWordStarts(text: string): number[] {
  const seconds = (t: string) => {
    const [h, m, s] = t.split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(s);
  };
  const starts: number[] = [];
  for (const block of text.replace(/^WEBVTT\n\n/, '').trim().split('\n\n')) {
    const [timing, payload = ''] = block.split('\n');
    const cueStart = seconds((timing ?? '').split(' --> ')[0] ?? '0');
    payload.split(' ').forEach((token, i) => {
      const tag = /^<([\d:.]+)>/.exec(token);
      starts.push(i === 0 ? cueStart : seconds(tag?.[1] ?? '0'));
    });
  }
  return starts;
}

function expectWellFormed(spoken: SpokenScript, script: string): void {
  expect(spoken.words.map((w) => w.text)).toEqual(splitScriptWords(script).map((w) => w.text));
  expect(spoken.phonemes[0]?.start).toBe(0);
  expect(spoken.phonemes.at(-1)?.end).toBeCloseTo(spoken.durationSeconds, 3);
  spoken.phonemes.forEach((p, i) => {
    expect(p.end).toBeGreaterThan(p.start);
    if (i > 0) expect(p.start).toBeCloseTo(spoken.phonemes[i - 1]?.end ?? 0, 6);
  });
}

const figures: string[] = [];
afterAll(() => {
  if (figures.length > 0) console.log(`speech engines, timing against the truth:\n${figures.map((f) => `  ${f}`).join('\n')}`);
});

describe.skipIf(missing !== null)('OpenAI-compatible speech (a Kokoro-like server without a key, and OpenAI with one)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let kokoro: OpenAiSpeechEmulator;
  let openai: OpenAiSpeechEmulator;
  const env = () => ({ UGC_CONFIG_DIR: join(dir.path, 'config'), OPENAI_API_KEY: openai.apiKey });
  const run = (args: string[], extra: Record<string, string> = {}) => ugc(args, { cwd: dir.path, env: { ...env(), ...extra } });

  beforeAll(async () => {
    dir = await tempDir('ugc-openai-speech-');
    kokoro = await startOpenAiSpeechEmulator({ apiKey: null });
    openai = await startOpenAiSpeechEmulator();
    expect((await run(['voices', 'add', 'bella', '--openai-compatible', kokoro.url, '--model', 'kokoro', '--voice', 'af_bella'])).code).toBe(0);
    expect((await run(['voices', 'add', 'nova', '--openai-compatible', openai.url, '--model', 'gpt-4o-mini-tts', '--voice', 'nova', '--key-env', 'OPENAI_API_KEY'])).code).toBe(0);
  });
  afterAll(async () => {
    await kokoro.close();
    await openai.close();
    await dir.cleanup();
  });

  it('lists added voices with their language, engine, model and availability beside the built-in ones', async () => {
    const voices = JSON.parse((await run(['voices', '--json'])).stdout) as { id: string; engine: string; languages: string[]; gender: string | null; model: string | null; available: boolean; availability: string }[];
    expect(voices.find((v) => v.id === 'en-us-female')).toMatchObject({ engine: 'espeak', available: true });
    expect(voices.find((v) => v.id === 'bella')).toMatchObject({ engine: 'openai-compatible', languages: ['en-US'], gender: 'female', model: 'kokoro', available: true });
    expect(voices.find((v) => v.id === 'nova')).toMatchObject({ engine: 'openai-compatible', model: 'gpt-4o-mini-tts', available: true });
    const withoutKey = JSON.parse((await run(['voices', '--json'], { OPENAI_API_KEY: '' })).stdout) as { id: string; available: boolean; availability: string }[];
    expect(withoutKey.find((v) => v.id === 'nova')).toMatchObject({ available: false, availability: 'OPENAI_API_KEY not set' });
    const table = await run(['voices', '--engine', 'openai-compatible']);
    expect(table.stdout).toMatch(/bella\s+en-US\s+female\s+openai-compatible\s+kokoro\s+yes/);
    expect(table.stdout).not.toMatch(/en-us-female/);
  });

  it('times the returned audio by aligning the script to it: word starts within 100 ms of the truth, mouth closures and rests with them', async () => {
    const ctx = contextFor(join(dir.path, 'config'), env());
    for (const [voice, speed] of [['bella', 1], ['nova', 1.25]] as const) {
      const server = voice === 'bella' ? kokoro : openai;
      const spoken = await speak(ctx, voice, TEST_SCRIPT, dir.path, speed);
      const truth = server.spoken.at(-1) as SpokenTruth;
      expect(server.requests.at(-1)).toMatchObject({ input: TEST_SCRIPT, voice: voice === 'bella' ? 'af_bella' : 'nova', response_format: 'wav', speed });
      expectWellFormed(spoken, TEST_SCRIPT);
      const words = shareWithin(spoken.words.map((w) => w.start), truth.words);
      const closures = closureShare(spoken.phonemes, truth);
      const rests = restShare(spoken.phonemes, truth);
      figures.push(`openai-compatible ${voice} x${speed}: words ${(words * 100).toFixed(0)}%, closures ${(closures * 100).toFixed(0)}%, rests ${(rests * 100).toFixed(0)}%`);
      expect(words).toBeGreaterThanOrEqual(0.9);
      expect(closures).toBeGreaterThanOrEqual(0.7);
      expect(rests).toBeGreaterThanOrEqual(0.8);
    }
  });

  it('renders with an added voice: captions follow the voice, the job records it, and a second render of the script pays nothing', async () => {
    const before = kokoro.spoken.length;
    const first = await run(['generate', '--script', SHORT, '--voice', 'bella', '--resolution', '720p', '--aspect', '1:1', '--subtitles', 'vtt', '--out', 'bella.mp4', '--json']);
    expect(first.stderr).not.toMatch(/warning/);
    expect(first.code).toBe(0);
    const job = JSON.parse(first.stdout) as { request: { voice: string } };
    expect(job.request.voice).toBe('bella');
    expect(kokoro.spoken.length).toBe(before + 1);
    const truth = kokoro.spoken.at(-1) as SpokenTruth;
    const starts = vttWordStarts(await readFile(join(dir.path, 'bella.vtt'), 'utf8')).map((t) => t - LEAD_IN);
    expect(shareWithin(starts, truth.words)).toBeGreaterThanOrEqual(0.9);

    const again = await run(['generate', '--script', SHORT, '--voice', 'bella', '--resolution', '720p', '--aspect', '1:1', '--captions', 'none', '--out', 'again.mp4']);
    expect(again.code).toBe(0);
    expect(kokoro.spoken.length).toBe(before + 1);
    const estimate = JSON.parse((await run(['estimate', '--script', SHORT, '--voice', 'bella', '--json'])).stdout) as { speech: { billedCharacters: number; cached: boolean } };
    expect(estimate.speech).toMatchObject({ billedCharacters: 0, cached: true });
  });

  it('estimate shows the characters a new script would bill', async () => {
    const result = await run(['estimate', '--script', 'A line never spoken before.', '--voice', 'nova', '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ credits: 0, speech: { voice: 'nova', engine: 'openai-compatible', billedCharacters: 27, cached: false } });
  });

  it('a batch bills one request per distinct script, across A/B variants and reruns', async () => {
    const before = kokoro.spoken.length;
    const rows = [
      'name,script,creator,voice,aspect,captions,resolution',
      `ab,"Two creators, one script, one bill.",mia|leo,bella,1:1,none,720p`,
      `solo,"A second script is a second bill.",ava,bella,1:1,none,720p`,
    ].join('\n');
    await writeFile(join(dir.path, 'rows.csv'), rows);
    const first = await run(['batch', 'rows.csv', '--out', 'batch', '--concurrency', '2', '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ total: 3, completed: 3 });
    expect(kokoro.spoken.length - before).toBe(2);
    const rerun = await run(['batch', 'rows.csv', '--out', 'batch2', '--json']);
    expect(rerun.code).toBe(0);
    expect(kokoro.spoken.length - before).toBe(2);
  });

  it('rides out a 429 with Retry-After and a 5xx burst; a refused key is an auth error (exit 4) and never printed, even with --debug', async () => {
    openai.faults.storm429 = 1;
    openai.faults.retryAfterSeconds = 1;
    openai.faults.fail5xx = 2;
    const ctx = contextFor(join(dir.path, 'config'), env());
    const started = Date.now();
    await speak(ctx, 'nova', 'Retries are invisible to the viewer.', dir.path);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(openai.stats.injected429).toBe(1);
    expect(openai.faults.fail5xx).toBe(0);

    const wrong = 'sk-wrong-key-0123456789abcdef';
    const refused = await run(['generate', '--script', 'This key is wrong.', '--voice', 'nova', '--out', 'x.mp4', '--debug'], { OPENAI_API_KEY: wrong });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/Incorrect API key/);
    expect(refused.stderr).toMatch(/Check the key in OPENAI_API_KEY/);
    for (const out of [refused.stdout, refused.stderr]) {
      expect(out).not.toContain(wrong);
      expect(out).not.toContain(openai.apiKey);
    }
    const unset = await run(['generate', '--script', 'No key at all.', '--voice', 'nova', '--out', 'y.mp4'], { OPENAI_API_KEY: '' });
    expect(unset.code).toBe(4);
    expect(unset.stderr).toMatch(/needs a key in OPENAI_API_KEY, which is not set/);
    const files = await readFile(join(dir.path, 'config', 'voices.json'), 'utf8');
    expect(files).not.toContain(openai.apiKey);
  });

  it('refuses what the API refuses before anything is spent: a speed out of range, a key pasted as --key-env', async () => {
    const fast = await run(['estimate', '--script', SHORT, '--voice', 'bella', '--voice-speed', '5']);
    expect(fast.code).toBe(2);
    expect(fast.stderr).toMatch(/--voice-speed must be a speed factor from 0.25 to 4/);
    const pasted = await run(['voices', 'add', 'oops', '--openai-compatible', openai.url, '--model', 'tts-1', '--voice', 'nova', '--key-env', openai.apiKey]);
    expect(pasted.code).toBe(2);
    expect(pasted.stderr).toMatch(/--key-env takes the name of the environment variable/);
    expect(pasted.stderr).not.toContain(openai.apiKey);
    expect((await run(['voices', 'rm', 'en-us-female'])).code).toBe(2);
  });
});

describe.skipIf(missing !== null)('ElevenLabs (with-timestamps, voices, login)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let eleven: ElevenLabsEmulator;
  const run = (args: string[], extra: Record<string, string> = {}, stdin?: string) => ugc(args, { cwd: dir.path, env: { UGC_CONFIG_DIR: join(dir.path, 'config'), ...extra }, stdin });

  beforeAll(async () => {
    dir = await tempDir('ugc-elevenlabs-');
    eleven = await startElevenLabsEmulator();
  });
  afterAll(async () => {
    await eleven.close();
    await dir.cleanup();
  });

  it('login checks the key with ElevenLabs and stores it (a wrong one: exit 4, nothing stored); whoami and the voice list use it; no key is ever printed', async () => {
    const wrong = await run(['login', '--provider', 'elevenlabs', '--base-url', eleven.url, '--with-token'], {}, 'sk_wrong_0000000000000000\n');
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/Invalid API key/);
    expect((await run(['whoami', '--provider', 'elevenlabs', '--base-url', eleven.url])).code).toBe(4);

    const login = await run(['login', '--provider', 'elevenlabs', '--base-url', eleven.url, '--with-token', '--debug'], {}, `${eleven.apiKey}\n`);
    expect(login.code).toBe(0);
    expect(login.stderr).toMatch(/Logged in to elevenlabs as Dana/);
    const whoami = await run(['whoami', '--provider', 'elevenlabs', '--base-url', eleven.url, '--json', '--debug']);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ provider: 'elevenlabs', account: 'Dana', plan: 'creator', keySource: 'profile', characterLimit: 100_000 });
    const voices = await run(['voices', '--engine', 'elevenlabs', '--base-url', eleven.url]);
    expect(voices.stdout).toMatch(/21m00Tcm4TlvDq8EDXUM\s+Rachel\s+en-US\s+female\s+premade/);
    // The default provider stays local: ElevenLabs makes no videos.
    expect((await run(['estimate', '--script', SHORT])).code).toBe(0);
    for (const out of [login, whoami, voices]) for (const text of [out.stdout, out.stderr]) expect(text).not.toContain(eleven.apiKey);
    const fromEnv = await run(['whoami', '--provider', 'elevenlabs', '--base-url', eleven.url], { ELEVENLABS_API_KEY: eleven.apiKey });
    expect(fromEnv.stdout).toMatch(/key from {2}ELEVENLABS_API_KEY/);
  });

  it('adds a voice by id, learning its languages and gender from ElevenLabs; an id it does not have is refused (exit 2)', async () => {
    const added = await run(['voices', 'add', 'rachel', '--elevenlabs', '21m00Tcm4TlvDq8EDXUM', '--model', 'eleven_multilingual_v2', '--api-base', eleven.url, '--json']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'rachel', engine: 'elevenlabs', languages: ['en-US'], gender: 'female', model: 'eleven_multilingual_v2', available: true });
    const unknown = await run(['voices', 'add', 'ghost', '--elevenlabs', 'no-such-voice', '--api-base', eleven.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/voice_not_found/);
    expect((await run(['voices', 'show', 'ghost'])).code).toBe(2);
  });

  it('takes exact word times from the character times; phonemes fitted inside each word close the mouth and rest it with the voice', async () => {
    expect((await run(['voices', 'add', 'adam', '--elevenlabs', 'pNInz6obpgDQGcFmaJgB', '--api-base', eleven.url])).code).toBe(0);
    const ctx = contextFor(join(dir.path, 'config'), {});
    for (const [voice, script] of [['rachel', TEST_SCRIPT], ['adam', SECOND_SCRIPT]] as const) {
      const spoken = await speak(ctx, voice, script, dir.path);
      const truth = eleven.spoken.at(-1) as SpokenTruth;
      expectWellFormed(spoken, script);
      const words = shareWithin(spoken.words.map((w) => w.start), truth.words);
      // The design measured against the alternative: the aligner's phonemes over the whole recording.
      const reference = await synthesizeSpeech({ text: script, voice: await findVoice(voice === 'adam' ? 'en-us-male' : 'en-us-female') });
      const aligned = alignToReference(reference, await decodeMono((await tools()).ffmpeg.path, spoken.path, reference.sampleRate));
      const ours = { near: closureShare(spoken.phonemes, truth), close: closureShare(spoken.phonemes, truth, 0.05), rests: restShare(spoken.phonemes, truth) };
      const theirs = { near: closureShare(aligned.phonemes, truth), close: closureShare(aligned.phonemes, truth, 0.05) };
      const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
      figures.push(`elevenlabs ${voice}: words ${pct(words)}; closures within 100 ms ${pct(ours.near)}, within 50 ms ${pct(ours.close)} (the aligner's phonemes instead: ${pct(theirs.near)}, ${pct(theirs.close)}); rests ${pct(ours.rests)}`);
      expect(words).toBeGreaterThanOrEqual(0.95);
      expect(ours.near).toBeGreaterThanOrEqual(0.85);
      expect(ours.close).toBeGreaterThanOrEqual(theirs.close);
      expect(ours.rests).toBeGreaterThanOrEqual(0.8);
    }
  });

  it('renders with the voice, paying once per script; the speed outside ElevenLabs\' range is refused first', async () => {
    const billed = eleven.charactersUsed;
    const first = await run(['generate', '--script', SHORT, '--voice', 'rachel', '--resolution', '720p', '--aspect', '1:1', '--subtitles', 'vtt', '--out', 'r.mp4']);
    expect(first.code).toBe(0);
    const truth = eleven.spoken.at(-1) as SpokenTruth;
    const starts = vttWordStarts(await readFile(join(dir.path, 'r.vtt'), 'utf8')).map((t) => t - LEAD_IN);
    expect(shareWithin(starts, truth.words)).toBeGreaterThanOrEqual(0.95);
    expect(eleven.charactersUsed - billed).toBe([...SHORT].length);
    expect((await run(['generate', '--script', SHORT, '--voice', 'rachel', '--resolution', '720p', '--aspect', '1:1', '--captions', 'none', '--out', 'r2.mp4'])).code).toBe(0);
    expect(eleven.charactersUsed - billed).toBe([...SHORT].length);
    const slow = await run(['estimate', '--script', SHORT, '--voice', 'rachel', '--voice-speed', '0.5']);
    expect(slow.code).toBe(2);
    expect(slow.stderr).toMatch(/--voice-speed must be from 0.7 to 1.2 for elevenlabs voices/);
  });

  it('rides out system_busy (429, Retry-After) and a 5xx burst; too many at once queue up; a refused key exits 4; quota_exceeded is not a key problem', async () => {
    const ctx = contextFor(join(dir.path, 'config'), {});
    eleven.faults.storm429 = 1;
    eleven.faults.retryAfterSeconds = 1;
    eleven.faults.fail5xx = 2;
    const spoken = await Promise.all(['One of three at once.', 'Two of three at once.', 'Three of three at once.'].map((line) => speak(ctx, 'rachel', line, dir.path)));
    expect(spoken).toHaveLength(3);
    expect(eleven.stats.injected429).toBe(1);

    const refused = await run(['generate', '--script', 'A key from the environment wins.', '--voice', 'rachel', '--out', 'k.mp4', '--debug'], { ELEVENLABS_API_KEY: 'sk_refused_11112222333344445555' });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/Invalid API key/);
    expect(refused.stderr).not.toContain('sk_refused_11112222333344445555');

    const poor = await startElevenLabsEmulator({ characterLimit: 10 });
    try {
      await run(['voices', 'add', 'poor', '--elevenlabs', '21m00Tcm4TlvDq8EDXUM', '--api-base', poor.url], { ELEVENLABS_API_KEY: poor.apiKey });
      const over = await run(['generate', '--script', 'This line is longer than ten characters.', '--voice', 'poor', '--out', 'q2.mp4'], { ELEVENLABS_API_KEY: poor.apiKey });
      expect(over.code).toBe(1);
      expect(over.stderr).toMatch(/quota/);
      expect(over.stderr).toMatch(/out of characters/);
    } finally {
      await poor.close();
    }
  });
});
