import { writeFileAtomic } from '../core/atomic-write.js';
import { InterruptedError, UgcError, UsageError } from '../core/errors.js';
import { alignWords, splitScriptWords, textForSpeech, type SpeechEvent } from './timings.js';
import type { PhonemeTiming, WordTiming } from './types.js';
import type { Voice } from './voices.js';

/** eSpeak NG always synthesises at this rate. */
const SAMPLE_RATE = 22050;

interface EspeakWorker {
  set_voice(name: string): number;
  set_rate(wordsPerMinute: number): void;
  set_pitch(pitch: number): void;
  set_range(range: number): void;
  /** Synchronous; the callback runs per audio chunk and returning true aborts. */
  synthesize(text: string, callback: (samples: Int16Array | null, events: SpeechEvent[]) => boolean): void;
}

interface EspeakModule {
  eSpeakNGWorker: new () => EspeakWorker;
}

// The package ships no types; a non-literal specifier keeps TypeScript from demanding them and loads the
// (large) engine only when speech is first needed.
const ENGINE_PACKAGE: string = '@echogarden/espeak-ng-emscripten';
let engine: Promise<EspeakWorker> | undefined;

function getEngine(): Promise<EspeakWorker> {
  engine ??= (async () => {
    const { default: init } = (await import(ENGINE_PACKAGE)) as { default: () => Promise<EspeakModule> };
    return new (await init()).eSpeakNGWorker();
  })().catch((error: unknown) => {
    engine = undefined;
    throw new UgcError(`could not start the speech engine: ${String(error)}`, { cause: error });
  });
  return engine;
}

/**
 * The worker parses its input as SSML and treats `[[...]]` as phonemes. Escape markup characters and break
 * up "[[", keeping for each input code point the index of the script code point it came from.
 */
function toEngineInput(text: string): { input: string; source: number[] } {
  let input = '';
  const source: number[] = [];
  let previous = '';
  let index = 0;
  for (const char of text) {
    const out = char === '&' ? '&amp;' : char === '<' ? '&lt;' : char === '>' ? '&gt;' : char === '[' && previous === '[' ? ' [' : char;
    for (const _ of out) source.push(index);
    input += out;
    previous = char;
    index++;
  }
  return { input, source };
}

/** Starts loading the engine (its 24 MB of voice data) now, so it is ready when the first script arrives. */
export function warmUpSpeech(): void {
  getEngine().catch(() => undefined);
}

export interface Speech {
  samples: Int16Array;
  sampleRate: number;
  durationSeconds: number;
  /** One entry per word of `splitScriptWords(text)`. */
  words: WordTiming[];
  /** Every phoneme eSpeak spoke, in order, pauses included (phoneme ""). */
  phonemes: PhonemeTiming[];
}

/** Speaks `text` with eSpeak NG. Synthesis is synchronous (wasm2js build): it blocks the event loop while it runs. */
export async function synthesizeSpeech(options: { text: string; voice: Voice; signal?: AbortSignal }): Promise<Speech> {
  const { voice, signal } = options;
  const text = textForSpeech(options.text);
  const words = splitScriptWords(text);
  if (words.length === 0) throw new UsageError('the script has no words to speak');
  const worker = await getEngine();
  if (signal?.aborted) throw new InterruptedError('speech synthesis was stopped');

  if (worker.set_voice(voice.espeakVoice) !== 0) {
    throw new UgcError(`voice "${voice.id}" names an eSpeak NG voice that does not exist: ${voice.espeakVoice}`);
  }
  worker.set_rate(voice.rate);
  worker.set_pitch(voice.pitch);
  worker.set_range(50);

  const { input, source } = toEngineInput(text);
  const chunks: Int16Array[] = [];
  const events: SpeechEvent[] = [];
  worker.synthesize(input, (samples, chunkEvents) => {
    if (samples && samples.length > 0) chunks.push(samples);
    for (const event of chunkEvents) {
      const cp = source[event.text_position - 1] ?? source.length;
      events.push({ ...event, text_position: cp + 1 });
    }
    return signal?.aborted ?? false;
  });
  if (signal?.aborted) throw new InterruptedError('speech synthesis was stopped');

  const samples = new Int16Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    samples.set(chunk, offset);
    offset += chunk.length;
  }
  if (samples.length === 0) throw new UsageError('the script produced no speech');
  const durationSeconds = samples.length / SAMPLE_RATE;
  return { samples, sampleRate: SAMPLE_RATE, durationSeconds, words: alignWords(words, events, durationSeconds), phonemes: phonemeTimings(events, durationSeconds) };
}

/** Phoneme events as intervals: each lasts until the next one starts (the last until the audio ends). */
export function phonemeTimings(events: SpeechEvent[], totalSeconds: number): PhonemeTiming[] {
  const phonemes = events.filter((e) => e.type === 'phoneme');
  return phonemes.map((event, i) => {
    const start = Math.min(event.audio_position / 1000, totalSeconds);
    const next = phonemes[i + 1];
    const end = next ? Math.min(next.audio_position / 1000, totalSeconds) : totalSeconds;
    return { phoneme: typeof event.id === 'string' ? event.id : '', start, end: Math.max(start, end) };
  });
}

/** Writes 16-bit mono PCM as a WAV file, atomically (temp file beside `path`, then rename). */
export async function writeWav(path: string, samples: Int16Array, sampleRate: number): Promise<void> {
  await writeFileAtomic(path, wavBytes(samples, sampleRate));
}

/** 16-bit mono PCM as the bytes of a WAV file. */
export function wavBytes(samples: Int16Array, sampleRate: number): Buffer {
  const dataBytes = samples.length * 2;
  const buffer = Buffer.alloc(44 + dataBytes);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + dataBytes, 4);
  buffer.write('WAVE', 8, 'ascii');
  buffer.write('fmt ', 12, 'ascii');
  buffer.writeUInt32LE(16, 16); // fmt chunk size
  buffer.writeUInt16LE(1, 20); // PCM
  buffer.writeUInt16LE(1, 22); // mono
  buffer.writeUInt32LE(sampleRate, 24);
  buffer.writeUInt32LE(sampleRate * 2, 28); // byte rate
  buffer.writeUInt16LE(2, 32); // block align
  buffer.writeUInt16LE(16, 34); // bits per sample
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) buffer.writeInt16LE(samples[i] ?? 0, 44 + i * 2);
  return buffer;
}
