/**
 * Emulator of the OpenAI speech API as OpenAI documents it (API reference, "Create speech",
 * https://platform.openai.com/docs/api-reference/audio/createSpeech) and as Kokoro-FastAPI, LocalAI and
 * openedai-speech serve it:
 *
 *   POST {base}/audio/speech   { model, input (≤ 4096 characters), voice, response_format = mp3 | opus |
 *                              aac | flac | wav | pcm (default mp3), speed 0.25–4 (default 1) } → the audio
 *                              bytes (audio/mpeg, audio/wav, …), no timings
 *   GET  {base}/models         { object: "list", data: [{ id, object: "model", … }] }
 *
 * Auth (OpenAI; off for a Kokoro-like server): `Authorization: Bearer <key>`; a missing or wrong key is
 * 401 with OpenAI's envelope `{ error: { message, type, param, code } }` (`invalid_api_key`; the message
 * masks the key as OpenAI does). Bad values are 400 `invalid_request_error`, an unknown model 404
 * `model_not_found`. Every answer carries `x-ratelimit-*` headers; over the limit, or when a storm is
 * injected, 429 `rate_limit_exceeded` with `Retry-After`; injected 5xx answer OpenAI's `server_error`.
 * The speech is real: Festival speaks the input (test/emulators/speech-kit.ts), and `spoken` keeps the
 * truth of every answer.
 */
import { festivalAudio, type AudioFormat, type SpokenTruth } from './speech-kit.js';
import { applyFaults, bearer, countRequest, FixedWindowLimiter, newFaults, newStats, readJson, sendJson, startHttpServer, type Emulator, type Route } from './kit.js';

const MODELS = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'kokoro'];
/** OpenAI's voices and a few of Kokoro's, each spoken by one of Festival's voices. */
const VOICES: Record<string, 'slt' | 'kal'> = {
  alloy: 'slt', ash: 'kal', ballad: 'kal', coral: 'slt', echo: 'kal', fable: 'kal', onyx: 'kal', nova: 'slt', sage: 'slt', shimmer: 'slt', verse: 'kal',
  af_bella: 'slt', af_sky: 'slt', am_adam: 'kal', bm_george: 'kal',
};
const FORMATS: Record<AudioFormat, string> = { mp3: 'audio/mpeg', opus: 'audio/opus', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };
const MAX_INPUT = 4096;

export interface OpenAiSpeechEmulator extends Emulator {
  /** The truth of every speech answered, in order (one per billed request). */
  spoken: SpokenTruth[];
  /** The bodies of every speech request that reached the handler. */
  requests: Record<string, unknown>[];
}

const invalid = (message: string, param: string | null, code: string | null = 'invalid_value') => ({ error: { message, type: 'invalid_request_error', param, code } });
const mask = (key: string) => (key.length > 8 ? `${key.slice(0, 3)}***${key.slice(-4)}` : '***');

/** Starts the emulator; `apiKey: null` is a server that asks for no key (Kokoro-FastAPI). */
export async function startOpenAiSpeechEmulator(options: { apiKey?: string | null; requestsPerMinute?: number } = {}): Promise<OpenAiSpeechEmulator> {
  const apiKey = options.apiKey === undefined ? 'sk-test-openai-9f8e7d6c5b4a' : options.apiKey;
  const faults = newFaults();
  const stats = newStats();
  const limiter = new FixedWindowLimiter(options.requestsPerMinute ?? 500, 60_000);
  const spoken: SpokenTruth[] = [];
  const requests: Record<string, unknown>[] = [];

  async function handle(route: Route): Promise<void> {
    countRequest(route, stats);
    const { res } = route;
    if (apiKey !== null) {
      const given = bearer(route.req);
      if (!given) return sendJson(res, 401, invalid("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", null, null));
      if (given !== apiKey) return sendJson(res, 401, invalid(`Incorrect API key provided: ${mask(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`, null, 'invalid_api_key'));
    }
    const limit = limiter.take(apiKey ?? 'anonymous');
    const limitHeaders = { 'x-ratelimit-limit-requests': String(limit.limit), 'x-ratelimit-remaining-requests': String(limit.remaining), 'x-ratelimit-reset-requests': `${limit.retryAfterSeconds}s` };
    if (!limit.allowed) {
      stats.rateLimited++;
      return sendJson(res, 429, { error: { message: `Rate limit reached for requests. Please try again in ${limit.retryAfterSeconds}s.`, type: 'requests', param: null, code: 'rate_limit_exceeded' } }, { ...limitHeaders, 'retry-after': String(limit.retryAfterSeconds) });
    }
    const errorBody = (status: number) =>
      status === 429
        ? { error: { message: 'Rate limit reached for requests. Please try again in 1s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } }
        : { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } };
    if (await applyFaults(route, { faults, stats }, errorBody)) return;

    const path = route.path.replace(/^\/v1/, '');
    if (route.method === 'GET' && path === '/models') {
      return sendJson(res, 200, { object: 'list', data: MODELS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' })) }, limitHeaders);
    }
    if (route.method !== 'POST' || path !== '/audio/speech') return sendJson(res, 404, invalid(`Invalid URL (${route.method} ${route.path})`, null, null));

    let body: Record<string, unknown>;
    try {
      body = ((await readJson(route.req)) ?? {}) as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, invalid('We could not parse the JSON body of your request.', null, null));
    }
    requests.push(body);
    const { model, input, voice } = body;
    const format = (body.response_format ?? 'mp3') as AudioFormat;
    const speed = body.speed === undefined ? 1 : Number(body.speed);
    if (typeof model !== 'string') return sendJson(res, 400, invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter'));
    if (!MODELS.includes(model)) return sendJson(res, 404, invalid(`The model \`${model}\` does not exist or you do not have access to it.`, null, 'model_not_found'));
    if (typeof input !== 'string' || input.length === 0) return sendJson(res, 400, invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter'));
    if (input.length > MAX_INPUT) return sendJson(res, 400, invalid(`Invalid 'input': string too long. Expected a string with maximum length ${MAX_INPUT}, but got a string with length ${input.length} instead.`, 'input', 'string_above_max_length'));
    if (typeof voice !== 'string' || !VOICES[voice]) return sendJson(res, 400, invalid(`Invalid value for 'voice': '${String(voice)}'.`, 'voice'));
    if (!(format in FORMATS)) return sendJson(res, 400, invalid(`Invalid value for 'response_format': '${String(format)}'.`, 'response_format'));
    if (!(speed >= 0.25 && speed <= 4)) return sendJson(res, 400, invalid(`Invalid 'speed': ${String(body.speed)}. Expected a value between 0.25 and 4.0.`, 'speed'));

    const { audio, truth } = await festivalAudio(input, { voice: VOICES[voice], speed, format, sampleRate: 24_000 });
    spoken.push(truth);
    res.writeHead(200, { 'content-type': FORMATS[format], 'content-length': audio.length, ...limitHeaders });
    res.end(audio);
  }

  const server = await startHttpServer(handle);
  return { url: `${server.origin}/v1`, origin: server.origin, faults, stats, apiKey: apiKey ?? '', spoken, requests, close: server.close };
}
