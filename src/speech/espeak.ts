import { synthesizeSpeech, wavBytes } from '../render/tts.js';
import { VoiceSchema, type Voice } from '../render/voices.js';
import type { SpeechEngine } from './engine.js';

/** eSpeak NG rates, words per minute, that it accepts. */
const MIN_RATE = 80;
const MAX_RATE = 450;

/** The built-in engine: eSpeak NG compiled to WebAssembly, offline and free; its voices are templates/voices.json. */
export const espeak: SpeechEngine<Voice> = {
  id: 'espeak',
  description: 'eSpeak NG, built in: offline, free, robotic; exact word and phoneme timings',
  settings: VoiceSchema,
  speedRange: { min: 0.5, max: 2.5 },
  billed: false,
  identity: (voice) => [voice.espeakVoice, voice.rate, voice.pitch],
  model: () => null,
  unusable: async () => null,
  availability: async () => ({ available: true, detail: 'built in' }),
  async synthesize(_ctx, voice, request) {
    const rate = Math.min(MAX_RATE, Math.max(MIN_RATE, Math.round(voice.rate * request.speed)));
    const speech = await synthesizeSpeech({ text: request.text, voice: { ...voice, rate }, signal: request.signal });
    return { audio: wavBytes(speech.samples, speech.sampleRate), extension: 'wav', durationSeconds: speech.durationSeconds, words: speech.words, phonemes: speech.phonemes };
  },
};
