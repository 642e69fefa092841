/**
 * Emulator of the ElevenLabs API as its reference documents it (https://elevenlabs.io/docs/api-reference):
 *
 *   POST /v1/text-to-speech/{voice_id}/with-timestamps?output_format=mp3_44100_128
 *        { text, model_id = eleven_multilingual_v2, voice_settings?: { speed 0.7–1.2, … } }
 *        → { audio_base64, alignment: { characters, character_start_times_seconds,
 *            character_end_times_seconds }, normalized_alignment }
 *   GET  /v1/voices            { voices: [VoiceResponseModel] }
 *   GET  /v1/voices/{voice_id} VoiceResponseModel
 *   GET  /v1/user              { user_id, first_name, subscription: { tier, character_count, character_limit, … }, xi_api_key }
 *
 * Auth: the `xi-api-key` header; none → 401 `needs_authorization`, a wrong one → 401 `invalid_api_key`.
 * Errors are `{ detail: { status, message } }`: 400 `voice_not_found`, 401 `quota_exceeded` when the
 * characters left do not cover the text, 429 `too_many_concurrent_requests` past the plan's concurrency
 * and injected 429 `system_busy` (with `Retry-After`), 5xx bursts; a bad body is FastAPI's 422
 * `{ detail: [{ loc, msg, type }] }`. The speech is real (Festival), and the character times follow the
 * spoken words exactly (test/emulators/speech-kit.ts); `spoken` keeps the truth of every answer.
 */
import { characterTimes, festivalAudio, type AudioFormat, type SpokenTruth } from './speech-kit.js';
import { applyFaults, countRequest, newFaults, newStats, readJson, sendJson, startHttpServer, type Emulator, type Route } from './kit.js';

const MODELS = ['eleven_multilingual_v2', 'eleven_flash_v2_5', 'eleven_turbo_v2_5', 'eleven_v3'];

interface EmulatedVoice {
  voice_id: string;
  name: string;
  festival: 'slt' | 'kal';
  gender: 'female' | 'male';
  accent: string;
  locale: string;
}
const VOICES: EmulatedVoice[] = [
  { voice_id: '21m00Tcm4TlvDq8EDXUM', name: 'Rachel', festival: 'slt', gender: 'female', accent: 'american', locale: 'en-US' },
  { voice_id: 'pNInz6obpgDQGcFmaJgB', name: 'Adam', festival: 'kal', gender: 'male', accent: 'american', locale: 'en-US' },
];

const voiceResponse = (v: EmulatedVoice) => ({
  voice_id: v.voice_id,
  name: v.name,
  category: 'premade',
  fine_tuning: { is_allowed_to_fine_tune: false, state: {}, verification_failures: [], verification_attempts_count: 0, manual_verification_requested: false, language: 'en' },
  labels: { accent: v.accent, gender: v.gender, age: 'young', use_case: 'social media', description: 'expressive' },
  description: `${v.name}, an emulated voice spoken by Festival`,
  preview_url: null,
  available_for_tiers: [],
  settings: null,
  high_quality_base_model_ids: MODELS,
  verified_languages: [{ language: 'en', model_id: 'eleven_multilingual_v2', accent: v.accent, locale: v.locale, preview_url: null }],
  is_owner: false,
  is_legacy: false,
});

export interface ElevenLabsEmulator extends Emulator {
  spoken: SpokenTruth[];
  requests: Record<string, unknown>[];
  /** Characters billed so far (the plan's character_count). */
  charactersUsed: number;
}

const detail = (status: string, message: string) => ({ detail: { status, message } });

export async function startElevenLabsEmulator(options: { apiKey?: string; characterLimit?: number; concurrency?: number } = {}): Promise<ElevenLabsEmulator> {
  const apiKey = options.apiKey ?? 'sk_test_eleven_4c3b2a1908f7e6d5';
  const characterLimit = options.characterLimit ?? 100_000;
  const concurrency = options.concurrency ?? 2;
  const faults = newFaults();
  const stats = newStats();
  let active = 0;
  const emulator: ElevenLabsEmulator = { url: '', origin: '', faults, stats, apiKey, spoken: [], requests: [], charactersUsed: 0, close: async () => undefined };

  async function speak(route: Route, voice: EmulatedVoice): Promise<void> {
    const { res } = route;
    let body: Record<string, unknown>;
    try {
      body = ((await readJson(route.req)) ?? {}) as Record<string, unknown>;
    } catch {
      return sendJson(res, 422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
    }
    emulator.requests.push(body);
    const text = body.text;
    const model = body.model_id ?? 'eleven_multilingual_v2';
    const speed = Number((body.voice_settings as { speed?: unknown } | undefined)?.speed ?? 1);
    if (typeof text !== 'string' || text.length === 0) return sendJson(res, 422, { detail: [{ loc: ['body', 'text'], msg: 'Field required', type: 'missing' }] });
    if (typeof model !== 'string' || !MODELS.includes(model)) return sendJson(res, 400, detail('model_not_found', `A model with model ID ${String(model)} does not exist.`));
    if (!(speed >= 0.7 && speed <= 1.2)) return sendJson(res, 422, { detail: [{ loc: ['body', 'voice_settings', 'speed'], msg: 'Input should be less than or equal to 1.2', type: 'less_than_equal' }] });
    const outputFormat = route.query.get('output_format') ?? 'mp3_44100_128';
    const match = /^(mp3|pcm|wav)_(\d+)(?:_\d+)?$/.exec(outputFormat);
    if (!match) return sendJson(res, 422, { detail: [{ loc: ['query', 'output_format'], msg: `Input should be a valid output format (got ${outputFormat})`, type: 'enum' }] });
    const characters = [...text].length;
    if (emulator.charactersUsed + characters > characterLimit) {
      const left = characterLimit - emulator.charactersUsed;
      return sendJson(res, 401, detail('quota_exceeded', `This request exceeds your quota of ${characterLimit}. You have ${left} credits remaining, while ${characters} credits are required for this request.`));
    }
    if (active >= concurrency) {
      return sendJson(res, 429, detail('too_many_concurrent_requests', `Too many concurrent requests. Your current subscription is associated with a maximum of ${concurrency} concurrent requests.`));
    }
    active++;
    try {
      const { audio, truth } = await festivalAudio(text, { voice: voice.festival, speed, format: match[1] as AudioFormat, sampleRate: Number(match[2]) });
      const times = characterTimes(text, truth.words, truth.durationSeconds);
      if (!times) return sendJson(res, 500, detail('internal_server_error', 'the emulator could not pair the written and spoken words'));
      emulator.charactersUsed += characters;
      emulator.spoken.push(truth);
      const alignment = { characters: times.characters, character_start_times_seconds: times.starts, character_end_times_seconds: times.ends };
      sendJson(res, 200, { audio_base64: audio.toString('base64'), alignment, normalized_alignment: alignment });
    } finally {
      active--;
    }
  }

  async function handle(route: Route): Promise<void> {
    countRequest(route, stats);
    const { res } = route;
    const given = route.req.headers['xi-api-key'];
    if (!given) return sendJson(res, 401, detail('needs_authorization', 'Neither authorization header nor xi-api-key received, please provide one.'));
    if (given !== apiKey) return sendJson(res, 401, detail('invalid_api_key', 'Invalid API key'));
    if (await applyFaults(route, { faults, stats }, (status) => (status === 429 ? detail('system_busy', 'Our services are experiencing high levels of traffic and your request could not be processed.') : detail('internal_server_error', 'An internal server error occurred.')))) return;

    if (route.method === 'GET' && route.path === '/v1/user') {
      return sendJson(res, 200, {
        user_id: 'u_emulated_01',
        first_name: 'Dana',
        subscription: { tier: 'creator', character_count: emulator.charactersUsed, character_limit: characterLimit, status: 'active', next_character_count_reset_unix: 1_900_000_000 },
        is_new_user: false,
        xi_api_key: apiKey,
      });
    }
    if (route.method === 'GET' && route.path === '/v1/voices') return sendJson(res, 200, { voices: VOICES.map(voiceResponse) });
    const one = /^\/v1\/voices\/([^/]+)$/.exec(route.path);
    const tts = /^\/v1\/text-to-speech\/([^/]+)\/with-timestamps$/.exec(route.path);
    const id = decodeURIComponent((one ?? tts)?.[1] ?? '');
    const voice = VOICES.find((v) => v.voice_id === id);
    if ((one && route.method === 'GET') || (tts && route.method === 'POST')) {
      if (!voice) return sendJson(res, 400, detail('voice_not_found', `A voice with the voice_id ${id} was not found.`));
      return one ? sendJson(res, 200, voiceResponse(voice)) : speak(route, voice);
    }
    sendJson(res, 404, { detail: 'Not Found' });
  }

  const server = await startHttpServer(handle);
  return Object.assign(emulator, { url: server.origin, origin: server.origin, close: server.close });
}
