import { z } from 'zod';
import type { Context } from '../core/context.js';
import { ExitCode, UgcError } from '../core/errors.js';
import type { SpeechEngine } from './engine.js';
import { probe, speechClient } from './http.js';

/**
 * OpenAI's speech API, which OpenAI, Kokoro-FastAPI, LocalAI and openedai-speech all serve (OpenAI API
 * reference, "Create speech": https://platform.openai.com/docs/api-reference/audio/createSpeech):
 * `POST {base}/audio/speech` with `model`, `input` (at most 4096 characters), `voice`, `response_format`
 * and `speed` (0.25 to 4), answered with the audio bytes and no timings. A key, when the server needs
 * one, is a Bearer token read from the variable the voice names (`--key-env`); it is never stored.
 */
export const OpenAiSettingsSchema = z.object({
  /** The API root that `/audio/speech` is under, e.g. http://localhost:8880/v1. */
  baseUrl: z.string(),
  model: z.string().min(1),
  voice: z.string().min(1),
  /** The environment variable holding the key, or null for a server that needs none. */
  keyEnv: z.string().nullable(),
});
export type OpenAiSettings = z.infer<typeof OpenAiSettingsSchema>;

/** The API's documented limit on `input`. */
export const OPENAI_MAX_INPUT = 4096;

/** WAV: lossless, so the aligner hears exactly what plays; every server named above can send it. */
const FORMAT = 'wav';

function keyOf(ctx: Context, settings: OpenAiSettings): string | null {
  return settings.keyEnv ? ctx.env[settings.keyEnv] || null : null;
}

async function client(ctx: Context, settings: OpenAiSettings, options: { maxAttempts?: number; timeoutMs?: number } = {}) {
  const key = keyOf(ctx, settings);
  return speechClient(ctx, {
    provider: `speech server ${new URL(settings.baseUrl).host}`,
    baseUrl: settings.baseUrl,
    auth: key ? { header: 'authorization', key } : null,
    authHint: settings.keyEnv ? `Check the key in ${settings.keyEnv} (the voice's --key-env).` : 'The server wants a key: add the voice again with --key-env <VARIABLE>.',
    ...options,
  });
}

export const openAiCompatible: SpeechEngine<OpenAiSettings> = {
  id: 'openai-compatible',
  description: 'any server of the OpenAI speech API (OpenAI, Kokoro-FastAPI, LocalAI, openedai-speech); timed by aligning the script to its audio',
  settings: OpenAiSettingsSchema,
  speedRange: { min: 0.25, max: 4 },
  maxCharacters: OPENAI_MAX_INPUT,
  billed: true,
  identity: (s) => [s.baseUrl.replace(/\/+$/, ''), s.model, s.voice],
  model: (s) => s.model,
  async unusable(ctx, settings) {
    if (!settings.keyEnv || keyOf(ctx, settings)) return null;
    return new UgcError(`the speech server at ${settings.baseUrl} needs a key in ${settings.keyEnv}, which is not set`, { exitCode: ExitCode.Auth, code: 'no_api_key', hint: `Set ${settings.keyEnv} (the voice's --key-env).` });
  },
  async availability(ctx, settings) {
    const problem = await this.unusable(ctx, settings);
    if (problem) return { available: false, detail: `${settings.keyEnv} not set` };
    return probe(await client(ctx, settings, { maxAttempts: 1, timeoutMs: 3000 }), 'models');
  },
  async synthesize(ctx, settings, request) {
    const http = await client(ctx, settings);
    const body = { model: settings.model, input: request.text, voice: settings.voice, response_format: FORMAT, speed: request.speed };
    const response = await http.post<Buffer>('audio/speech', { json: body, bytes: true, headers: { accept: 'audio/wav, audio/*' }, signal: request.signal });
    const type = response.headers.get('content-type') ?? '';
    if (response.data.length < 64 || /json|text\//.test(type)) {
      throw new UgcError(`the speech server at ${settings.baseUrl} answered without audio (${type || 'no content type'}, ${response.data.length} bytes)`, { code: 'no_audio' });
    }
    return { audio: response.data, extension: /mpeg|mp3/.test(type) ? 'mp3' : FORMAT };
  },
};
