import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../src/core/context.js';
import { checkRequest, InputError, parseRequest } from '../src/core/request.js';
import { parseRowsFile } from '../src/batch/rows.js';
import { wordsFromCharacters } from '../src/speech/elevenlabs.js';
import { readSpeechError } from '../src/speech/http.js';
import { francAll } from 'franc-min';
import { detectionKey, detectLanguage } from '../src/speech/language.js';
import { planVoice, speakerFor } from '../src/speech/speak.js';
import { makeTone, tempDir, tools, ugc } from './support.js';

const ROOT = new URL('..', import.meta.url).pathname;

function contextFor(configDir: string): Context {
  const stream = () => new PassThrough();
  return createContext({ stdout: stream(), stderr: stream(), stdin: stream(), env: { UGC_CONFIG_DIR: configDir }, cwd: configDir }, { json: false, quiet: true, input: false, color: false, debug: false });
}

describe('detectLanguage', () => {
  it('tells the language of ad lines in six languages without a wrong answer, and abstains on what is too short to tell', async () => {
    const samples = JSON.parse(await readFile(join(ROOT, 'test/fixtures/language-samples.json'), 'utf8')) as Record<string, string[]>;
    let answered = 0;
    let total = 0;
    for (const [language, lines] of Object.entries(samples)) {
      for (const line of lines) {
        total++;
        const found = detectLanguage(line);
        if (found !== null) {
          answered++;
          expect(found, line).toBe(language);
        }
      }
    }
    expect(answered / total).toBeGreaterThanOrEqual(0.85);
    for (const short of ['Link in bio!', 'Shop now', '¡Hola!', '']) expect(detectLanguage(short)).toBeNull();
  });

  it('tells scripts that differ only in digits and ASCII punctuation by one key, on which franc answers exactly as on the script', async () => {
    const samples = JSON.parse(await readFile(join(ROOT, 'test/fixtures/language-samples.json'), 'utf8')) as Record<string, string[]>;
    const lines = [...Object.values(samples).flat(), 'Honestly, product number 12345 surprised me!!', '50% off — 3 days only: "Mia\'s #1 pick" (ends 12/31)', 'x'.repeat(2040) + ' 12,5 €'];
    for (const line of lines) {
      expect(francAll(detectionKey(line), { minLength: 20 }), line).toEqual(francAll(line, { minLength: 20 }));
      expect(detectionKey(line)).toHaveLength(line.length);
    }
    expect(detectionKey('Product 7, now $9.99!')).toBe(detectionKey('Product 12 now $19.9!'));
    expect(detectionKey('Produkt A')).not.toBe(detectionKey('Produkt B'));
  });
});

describe('the voice of a render', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let ctx: Context;
  const plan = (fields: Parameters<typeof checkRequest>[0]) => planVoice(ctx, checkRequest(fields));
  const ENGLISH = 'If you work late, you need this lamp. Warm light, no glare, and it charges your phone.';
  const GERMAN = 'Ehrlich gesagt: Dieses Serum ist der einzige Schritt, den ich nie auslasse.';

  beforeAll(async () => {
    dir = await tempDir('ugc-voice-plan-');
    ctx = contextFor(join(dir.path, 'config'));
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('a creator reads a script in its language with its voice of the same gender in that language, and says so', async () => {
    const max = await plan({ script: ENGLISH, creator: 'max' });
    expect(max.voice.id).toBe('en-us-male');
    expect(max.notices.join('\n')).toMatch(/English: max reads it with en-us-male, not de-male/);
    expect((await plan({ script: ENGLISH, creator: 'sofia' })).voice.id).toBe('en-us-female');
    // Its own language: its own voice, nothing said.
    const own = await plan({ script: 'Si trabajas hasta tarde, necesitas esta lámpara. Luz cálida, sin reflejos y carga tu teléfono.', creator: 'sofia' });
    expect(own.voice.id).toBe('es-female');
    expect(own.notices).toEqual([]);
    // British creators keep their accent in English.
    expect((await plan({ script: ENGLISH, creator: 'ava' })).voice.id).toBe('en-gb-female');
  });

  it('the sample batch file no longer has sofia reading English with a Spanish voice', async () => {
    const rows = await parseRowsFile(join(ROOT, 'templates/batch-sample.csv'));
    const sofia = rows.find((r) => r.fields.creator === 'sofia');
    expect(sofia).toBeDefined();
    const chosen = await plan({ script: String(sofia?.fields.script), creator: 'sofia' });
    expect(chosen.voice.id).toBe('en-us-female');
  });

  it('no voice of the creator in the script\'s language: said as a warning, refused with --strict (naming the flag)', async () => {
    const chloe = await plan({ script: GERMAN, creator: 'chloe' });
    expect(chloe.voice.id).toBe('fr-female');
    expect(chloe.notices.join('\n')).toMatch(/warning: the script looks German, and chloe has no German female voice: fr-female speaks French/);
    const strict = await plan({ script: GERMAN, creator: 'chloe', strict: true }).catch((error: unknown) => error);
    expect(strict).toBeInstanceOf(InputError);
    expect((strict as InputError).message).toMatch(/chloe has no German female voice/);
  });

  it('a --voice in another language than the script is warned about, refused with --strict; a short or undecided script is neither', async () => {
    const warned = await plan({ script: ENGLISH, voice: 'de-male' });
    expect(warned.voice.id).toBe('de-male');
    expect(warned.notices.join('\n')).toMatch(/warning: the script looks English, but voice de-male speaks German/);
    await expect(plan({ script: ENGLISH, voice: 'de-male', strict: true })).rejects.toThrow(/the script looks English, but voice de-male speaks German/);
    expect((await plan({ script: 'Link in bio!', voice: 'de-male', strict: true })).notices).toEqual([]);
    // A voiceover of one's own: the voice only times it, with eSpeak in the script's language; nothing warned.
    const voiceover = join(dir.path, 'vo.wav');
    await makeTone(voiceover, 1, 220);
    const timed = await plan({ script: GERMAN, creator: 'chloe', audio: voiceover, strict: true });
    expect(timed.reference.language).toBe('de-DE');
    expect(timed.notices.join('\n')).not.toMatch(/warning/);
  });

  it('an unknown voice is an input error naming --voice; the speed is checked against the engine', async () => {
    await expect(plan({ script: ENGLISH, voice: 'nobody' })).rejects.toThrow(/unknown voice "nobody"/);
    await expect(plan({ script: ENGLISH, voiceSpeed: 3 })).rejects.toThrow(/--voice-speed must be from 0.5 to 2.5 for espeak voices/);
  });

  it('--voice-speed changes eSpeak\'s pace: twice as fast is about half as long, with timings to match', async () => {
    const speakAt = async (voiceSpeed: number) => {
      const p = await plan({ script: ENGLISH, creator: 'mia', voiceSpeed });
      return speakerFor(ctx, p).speak({ script: ENGLISH, workDir: dir.path, tools: await tools(), signal: new AbortController().signal });
    };
    const normal = await speakAt(1);
    const fast = await speakAt(2);
    expect(fast.durationSeconds / normal.durationSeconds).toBeGreaterThan(0.4);
    expect(fast.durationSeconds / normal.durationSeconds).toBeLessThan(0.65);
    expect(fast.words.at(-1)?.start ?? 0).toBeLessThan(fast.durationSeconds);
  });

  it('records the voice that spoke in the job (request.voice), and the flags reach the job record', async () => {
    const result = await ugc(['generate', '--script', ENGLISH, '--creator', 'max', '--resolution', '720p', '--aspect', '1:1', '--captions', 'none', '--voice-speed', '1.2', '--out', 'max.mp4', '--json'], { cwd: dir.path, env: { UGC_CONFIG_DIR: join(dir.path, 'config') } });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/max reads it with en-us-male/);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completed', request: { creator: 'max', voice: 'en-us-male', voiceSpeed: 1.2, strict: false } });
  });
});

describe('request fields', () => {
  it('--strict is a switch and a batch column of true/false; --voice-speed a bounded number', () => {
    expect(checkRequest({ script: 'x', strict: true }).strict).toBe(true);
    expect(checkRequest({ script: 'x' }).strict).toBe(false);
    expect(checkRequest({ script: 'x', strict: 'yes', voiceSpeed: '1.5' })).toMatchObject({ strict: true, voiceSpeed: 1.5 });
    const { issues } = parseRequest({ script: 'x', strict: 'maybe', voiceSpeed: 'fast' }, { cwd: ROOT });
    expect(issues.map((i) => i.field)).toEqual(['voiceSpeed', 'strict']);
  });

  it('a remote provider refuses --voice-speed before anything is sent', async () => {
    const dir = await tempDir();
    try {
      const result = await ugc(['estimate', '--provider', 'unrealugc', '--script', 'x', '--product-name', 'Acme', '--voice-speed', '1.1'], { cwd: dir.path, env: { UGC_CONFIG_DIR: dir.path, UGC_API_KEY: 'usk_live_x' } });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/unrealugc does not take --voice-speed/);
    } finally {
      await dir.cleanup();
    }
  });
});

describe('ElevenLabs character times', () => {
  const text = 'Hi, you — there.';
  const chars = [...text];
  const alignment = (characters: string[]) => ({ characters, character_start_times_seconds: characters.map((_, i) => i * 0.1), character_end_times_seconds: characters.map((_, i) => i * 0.1 + 0.1) });

  it('a word runs from its first letter to its last, punctuation and spaces left out', () => {
    expect(wordsFromCharacters(text, alignment(chars))).toEqual([
      { text: 'Hi,', start: 0, end: 0.2 },
      { text: 'you', start: 0.4, end: expect.closeTo(0.7, 9) as number },
      { text: '—', start: expect.closeTo(0.8, 9) as number, end: expect.closeTo(0.9, 9) as number },
      { text: 'there.', start: expect.closeTo(1, 9) as number, end: expect.closeTo(1.5, 9) as number },
    ]);
  });

  it('characters that are not the text sent (a normalised text) give no word times: the audio is aligned instead', () => {
    expect(wordsFromCharacters(text, alignment([...'Hi, you there.']))).toBeNull();
  });
});

describe('speech API error bodies', () => {
  it('reads OpenAI\'s, FastAPI\'s and ElevenLabs\' shapes', () => {
    expect(readSpeechError(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } })).toMatchObject({ code: 'invalid_api_key', message: 'Incorrect API key provided' });
    expect(readSpeechError(401, { detail: { status: 'quota_exceeded', message: 'This request exceeds your quota' } })).toMatchObject({ code: 'quota_exceeded', message: 'This request exceeds your quota' });
    expect(readSpeechError(422, { detail: [{ loc: ['body', 'text'], msg: 'Field required', type: 'missing' }] })).toMatchObject({ code: 'validation_error', message: 'Field required (body.text)' });
    expect(readSpeechError(400, { detail: 'Voice not found' })).toMatchObject({ code: 'http_400', message: 'Voice not found' });
    expect(readSpeechError(500, { error: { message: 'boom', type: 'server_error', code: null } })).toMatchObject({ code: 'server_error', message: 'boom' });
    expect(readSpeechError(502, '<html>bad gateway</html>')).toMatchObject({ code: 'http_502' });
  });
});

describe('ugc voices add', () => {
  it('says what to pass when neither an engine nor --name is given; --name and an engine do not mix', async () => {
    const dir = await tempDir();
    try {
      const run = (args: string[]) => ugc(args, { cwd: dir.path, env: { UGC_CONFIG_DIR: dir.path } });
      const bare = await run(['voices', 'add', 'bella']);
      expect(bare.code).toBe(2);
      expect(bare.stderr).toMatch(/--openai-compatible <url> or --elevenlabs <voice-id>/);
      const both = await run(['voices', 'add', 'bella', '--openai-compatible', 'http://127.0.0.1:9/v1', '--model', 'kokoro', '--voice', 'af_bella', '--name', 'Bella']);
      expect(both.code).toBe(2);
      const twice = ['voices', 'add', 'bella', '--openai-compatible', 'http://127.0.0.1:9/v1', '--model', 'kokoro', '--voice', 'af_bella'];
      expect((await run(twice)).code).toBe(0);
      const again = await run(twice);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already added/);
      expect((await run(['voices', 'add', 'en-us-male', '--openai-compatible', 'http://127.0.0.1:9/v1', '--model', 'kokoro', '--voice', 'am_adam'])).code).toBe(2);
      // OpenAI's API takes 4,096 characters a request: a longer script is refused before anything is spent.
      const long = await run(['estimate', '--script', 'So good. '.repeat(500), '--voice', 'bella']);
      expect(long.code).toBe(2);
      expect(long.stderr).toMatch(/--script: the script is 4499 characters; openai-compatible voices take at most 4096|the script is 4499 characters; openai-compatible voices take at most 4096/);
      expect((await run(['voices', 'rm', 'bella'])).code).toBe(0);
      expect((await run(['voices', 'rm', 'bella'])).code).toBe(2);
    } finally {
      await dir.cleanup();
    }
  });
});
