import type { z } from 'zod';
import type { Context } from '../core/context.js';
import type { PhonemeTiming, WordTiming } from '../render/types.js';

/**
 * The speech-engine seam, beside the model-runner one: an engine turns (text, voice, speed) into audio,
 * with word and phoneme timings when it knows them. What an engine leaves out is filled in by
 * `speak.ts`: no timings at all (an OpenAI-compatible server) → the script is aligned to the audio;
 * word timings only (ElevenLabs) → phonemes are placed inside each word. eSpeak, the built-in engine,
 * knows both.
 *
 * A voice is an engine plus that engine's settings for it (`S`): an eSpeak voice name and rate, a server
 * and its voice id, an ElevenLabs voice id and model. Built-in voices come from templates/voices.json;
 * `ugc voices add` stores more in the config dir (voices.ts).
 */
export interface SpeechEngine<S = unknown> {
  /** The engine's name in `ugc voices` and in stored voices (`espeak`, `openai-compatible`, `elevenlabs`). */
  readonly id: string;
  readonly description: string;
  /** What a voice of this engine stores, checked when read. */
  readonly settings: z.ZodType<S>;
  /** Speed factors it accepts (1 = the voice's own pace). */
  readonly speedRange: { readonly min: number; readonly max: number };
  /** The most characters one request may carry, when the API sets a limit below the script's own (5,000). */
  readonly maxCharacters?: number;
  /** Whether each request is paid by its characters (then audio is cached and `estimate` counts them). */
  readonly billed: boolean;
  /** What tells two voices of this engine apart in the audio cache (server, voice, model; never a key). */
  identity(settings: S): readonly unknown[];
  /** The model a voice uses, for listings (null when the engine has none). */
  model(settings: S): string | null;
  /**
   * Why a voice cannot speak now, without spending anything (a key that is not set: an auth error,
   * exit 4), or null. Checked before a render starts.
   */
  unusable(ctx: Context, settings: S): Promise<Error | null>;
  /** Whether the voice answers now, for `ugc voices` (may ask its server; spends nothing). */
  availability(ctx: Context, settings: S): Promise<{ available: boolean; detail: string }>;
  synthesize(ctx: Context, settings: S, request: SpeechRequest): Promise<EngineSpeech>;
  /** `ugc voices --engine <id>`: the voices the engine offers to add (ElevenLabs: the account's). */
  listVoices?(ctx: Context): Promise<Record<string, unknown>[]>;
}

export interface SpeechRequest {
  /** The text as spoken (`textForSpeech(script)`: emoji removed). */
  text: string;
  speed: number;
  signal?: AbortSignal;
}

export interface EngineSpeech {
  /** The audio as the engine returned it, in any format ffmpeg reads, and a file extension for it. */
  audio: Uint8Array;
  extension: string;
  /** The audio's length, when the engine knows it exactly (else ffprobe reads it). */
  durationSeconds?: number;
  /** One per word of `splitScriptWords(text)`, on the audio's clock, when the engine times words. */
  words?: WordTiming[];
  /** Every phoneme spoken, pauses as "", when the engine gives them. */
  phonemes?: PhonemeTiming[];
}
