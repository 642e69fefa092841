import { z } from 'zod';
import type { Context } from '../core/context.js';
import { readKey } from '../core/credentials.js';
import { ExitCode, UgcError } from '../core/errors.js';
import { profileName, readProfile } from '../core/profiles.js';
import type { HttpClient } from '../http/client.js';
import type { WordTiming } from '../render/types.js';
import { splitScriptWords } from '../render/timings.js';
import type { SpeechEngine } from './engine.js';
import { probe, speechClient } from './http.js';

/**
 * ElevenLabs (API reference: https://elevenlabs.io/docs/api-reference): "Text to speech with timestamps",
 * `POST /v1/text-to-speech/{voice_id}/with-timestamps` with `text`, `model_id` and `voice_settings.speed`
 * (0.7 to 1.2) answers `{ audio_base64, alignment: { characters, character_start_times_seconds,
 * character_end_times_seconds } }`: exact word times. "List voices" is `GET /v1/voices`, "Get user"
 * `GET /v1/user`. The key goes in the `xi-api-key` header; it comes from ELEVENLABS_API_KEY or from
 * `ugc login --provider elevenlabs`. Errors are `{ detail: { status, message } }` (`invalid_api_key`,
 * `quota_exceeded`, `voice_not_found`, `too_many_concurrent_requests`, `system_busy`).
 */
export const ELEVENLABS = 'elevenlabs';
export const ELEVENLABS_API = 'https://api.elevenlabs.io';
export const ELEVENLABS_KEY_VARIABLE = 'ELEVENLABS_API_KEY';
/** The default output format: MP3 at 44.1 kHz, 128 kbps, which every plan may ask for. */
const OUTPUT_FORMAT = 'mp3_44100_128';

export const ElevenLabsSettingsSchema = z.object({
  voiceId: z.string().min(1),
  model: z.string().min(1),
  /** Another API origin (the EU data-residency one, a proxy); null for the documented one. */
  apiBase: z.string().nullable(),
});
export type ElevenLabsSettings = z.infer<typeof ElevenLabsSettingsSchema>;

/** The key: ELEVENLABS_API_KEY, then the profile's stored one; null when neither is set. */
export async function elevenLabsKey(ctx: Context): Promise<{ key: string; source: 'environment' | 'profile' } | null> {
  const fromEnv = ctx.env[ELEVENLABS_KEY_VARIABLE];
  if (fromEnv) return { key: fromEnv, source: 'environment' };
  const stored = await readKey(ctx.configDir, profileName(ctx), ELEVENLABS);
  return stored ? { key: stored, source: 'profile' } : null;
}

const noKey = () =>
  new UgcError('no ElevenLabs API key', { exitCode: ExitCode.Auth, code: 'no_api_key', hint: `Run \`ugc login --provider elevenlabs\`, or set ${ELEVENLABS_KEY_VARIABLE}.` });

/**
 * An HTTP client for the ElevenLabs API with `key` (default: the resolved one). The origin: `apiBase`
 * (a voice's), else for the elevenlabs provider's own commands --base-url, UGC_BASE_URL or the profile's.
 */
export async function elevenLabsClient(ctx: Context, options: { key?: string; apiBase?: string | null; asProvider?: boolean; maxAttempts?: number; timeoutMs?: number } = {}): Promise<HttpClient> {
  const key = options.key ?? (await elevenLabsKey(ctx))?.key;
  if (!key) throw noKey();
  const providerBase = options.asProvider ? (ctx.global.baseUrl ?? ctx.settings.baseUrl ?? (await readProfile(ctx)).baseUrls?.[ELEVENLABS]) : undefined;
  return speechClient(ctx, {
    provider: ELEVENLABS,
    baseUrl: options.apiBase ?? providerBase ?? ELEVENLABS_API,
    auth: { header: 'xi-api-key', key },
    authHint: `Check the key: \`ugc login --provider elevenlabs\`, or ${ELEVENLABS_KEY_VARIABLE}.`,
    maxAttempts: options.maxAttempts,
    timeoutMs: options.timeoutMs,
  });
}

const AlignmentSchema = z.object({
  characters: z.array(z.string()),
  character_start_times_seconds: z.array(z.number()),
  character_end_times_seconds: z.array(z.number()),
});
const WithTimestampsSchema = z.object({ audio_base64: z.string().min(1), alignment: AlignmentSchema.nullable().optional() });
type Alignment = z.infer<typeof AlignmentSchema>;

/**
 * Word timings from per-character times: a word runs from its first letter's start to its last letter's
 * end (punctuation and spaces, which ElevenLabs times too, are left out). Null when the characters are
 * not the text sent, e.g. a server that normalised it; then the audio is aligned instead.
 */
export function wordsFromCharacters(text: string, alignment: Alignment): WordTiming[] | null {
  const chars = [...text];
  const { characters, character_start_times_seconds: starts, character_end_times_seconds: ends } = alignment;
  if (characters.join('') !== text || starts.length !== characters.length || ends.length !== characters.length) return null;
  // ElevenLabs counts characters as Python does (code points); its arrays index `chars`.
  if (characters.length !== chars.length) return null;
  return splitScriptWords(text).map((word) => {
    const range = [...Array(word.cpEnd - word.cpStart).keys()].map((k) => word.cpStart + k);
    const letters = range.filter((i) => /[\p{L}\p{N}]/u.test(chars[i] ?? ''));
    const timed = letters.length > 0 ? letters : range;
    const start = Math.min(...timed.map((i) => starts[i] ?? 0));
    const end = Math.max(...timed.map((i) => ends[i] ?? 0));
    return { text: word.text, start, end: Math.max(start, end) };
  });
}

/** A voice of the ElevenLabs list, as `ugc voices --engine elevenlabs` shows it. */
export interface ElevenLabsVoice {
  id: string;
  name: string;
  category: string | null;
  gender: 'female' | 'male' | null;
  languages: string[];
  accent: string | null;
  description: string | null;
}

const VoiceSchema = z.looseObject({
  voice_id: z.string(),
  name: z.string().nullish(),
  category: z.string().nullish(),
  description: z.string().nullish(),
  labels: z.record(z.string(), z.string().nullish()).nullish(),
  verified_languages: z.array(z.looseObject({ language: z.string(), locale: z.string().nullish(), accent: z.string().nullish() })).nullish(),
  fine_tuning: z.looseObject({ language: z.string().nullish() }).nullish(),
});

export function toVoice(raw: unknown): ElevenLabsVoice {
  const v = VoiceSchema.parse(raw);
  const verified = (v.verified_languages ?? []).map((l) => l.locale || l.language);
  const labelled = v.labels?.language ?? v.fine_tuning?.language;
  const gender = v.labels?.gender?.toLowerCase();
  return {
    id: v.voice_id,
    name: v.name ?? v.voice_id,
    category: v.category ?? null,
    gender: gender === 'female' || gender === 'male' ? gender : null,
    // The verified locales (en-US), else the language it was made in (en).
    languages: verified.length > 0 ? [...new Set(verified)] : labelled ? [labelled] : [],
    accent: v.labels?.accent ?? v.verified_languages?.[0]?.accent ?? null,
    description: v.description ?? v.labels?.description ?? null,
  };
}

/** `GET /v1/voices`: the voices of the account. */
export async function listElevenLabsVoices(http: HttpClient): Promise<ElevenLabsVoice[]> {
  const { data } = await http.get<unknown>('v1/voices');
  const voices = (data as { voices?: unknown })?.voices;
  if (!Array.isArray(voices)) throw new UgcError('elevenlabs: GET /v1/voices did not answer a voice list', { code: 'bad_response' });
  return voices.map(toVoice);
}

/** `GET /v1/voices/{voice_id}`: one voice (a usage error when there is none). */
export async function getElevenLabsVoice(http: HttpClient, voiceId: string): Promise<ElevenLabsVoice> {
  const { data } = await http.get<unknown>(`v1/voices/${encodeURIComponent(voiceId)}`);
  return toVoice(data);
}

/** An account out of characters answers 401 `quota_exceeded`: that is not a key problem (exit 1, not 4). */
async function withQuotaMapped<T>(request: () => Promise<T>): Promise<T> {
  const { ProviderError } = await import('../http/errors.js');
  try {
    return await request();
  } catch (error) {
    if (error instanceof ProviderError && error.providerCode === 'quota_exceeded') {
      throw new UgcError(`elevenlabs: ${error.message.replace(/^elevenlabs: /, '')}`, { code: 'quota_exceeded', hint: 'The account is out of characters: top up, or use another voice (`ugc voices`).' });
    }
    throw error;
  }
}

export const elevenLabs: SpeechEngine<ElevenLabsSettings> = {
  id: ELEVENLABS,
  description: 'ElevenLabs text to speech with character timestamps (exact word times); billed per character',
  settings: ElevenLabsSettingsSchema,
  speedRange: { min: 0.7, max: 1.2 },
  billed: true,
  identity: (s) => [s.apiBase ?? ELEVENLABS_API, s.voiceId, s.model],
  model: (s) => s.model,
  unusable: async (ctx) => ((await elevenLabsKey(ctx)) ? null : noKey()),
  async availability(ctx, settings) {
    if (!(await elevenLabsKey(ctx))) return { available: false, detail: 'no key (ugc login --provider elevenlabs)' };
    return probe(await elevenLabsClient(ctx, { apiBase: settings.apiBase, maxAttempts: 1, timeoutMs: 5000 }), `v1/voices/${encodeURIComponent(settings.voiceId)}`);
  },
  async synthesize(ctx, settings, request) {
    const http = await elevenLabsClient(ctx, { apiBase: settings.apiBase });
    const body = { text: request.text, model_id: settings.model, ...(request.speed !== 1 ? { voice_settings: { speed: request.speed } } : {}) };
    const { data } = await withQuotaMapped(() =>
      http.post<unknown>(`v1/text-to-speech/${encodeURIComponent(settings.voiceId)}/with-timestamps`, { query: { output_format: OUTPUT_FORMAT }, json: body, signal: request.signal }),
    );
    const parsed = WithTimestampsSchema.safeParse(data);
    if (!parsed.success) throw new UgcError('elevenlabs: the answer had no audio_base64', { code: 'bad_response' });
    const audio = Buffer.from(parsed.data.audio_base64, 'base64');
    const words = parsed.data.alignment ? wordsFromCharacters(request.text, parsed.data.alignment) : null;
    return { audio, extension: 'mp3', ...(words ? { words } : {}) };
  },
  async listVoices(ctx) {
    // Another origin only when this command line names one (--base-url), not a UGC_BASE_URL meant for a video provider.
    const voices = await listElevenLabsVoices(await elevenLabsClient(ctx, { apiBase: ctx.global.baseUrl ?? null }));
    return voices.map((v) => ({ ...v }));
  },
};
