/**
 * Mouth timings for a recording that comes without its script (`ugc serve`: a vidgen job is an image and
 * a voiceover only). With no words to align, the mouth follows the recording's loudness: it rests in its
 * pauses and, while the speaker talks, opens and closes once a syllable, wider when the voice is louder.
 * There are no word timings, so there can be no captions.
 */
import { decodeMono } from '../ffmpeg/decode.js';
import type { FfmpegTools } from '../ffmpeg/locate.js';
import type { PhonemeTiming } from '../types.js';
import type { Alignment } from './index.js';
import { findQuietRuns, MIN_PAUSE_SECONDS } from './pauses.js';

const SAMPLE_RATE = 16_000;
const HOP_SECONDS = 0.01;
const WINDOW_SECONDS = 0.025;
/** A typical syllable: the mouth closes and opens about this often in running speech (4–5 a second). */
const SYLLABLE_SECONDS = 0.2;
/** The share of a syllable its consonant takes; the vowel takes the rest. */
const CONSONANT_SHARE = 0.3;
/** Quieter than this (dB full scale) is silence, whatever the rest of the recording. */
const SILENCE_DB = -60;

// IPA symbols the viseme map knows, from the widest mouth to the narrowest; consonants vary the closures.
const VOWELS_BY_LOUDNESS = [['i', 'ə'], ['ɛ', 'u', 'ə'], ['a', 'o', 'a', 'ɛ']] as const;
const CONSONANTS = ['t', 'm', 's', 'l', 'b', 'f', 'k', 'p'] as const;

export async function timeUnscriptedRecording(options: { audioPath: string; tools: FfmpegTools; signal?: AbortSignal }): Promise<Alignment> {
  const samples = await decodeMono(options.tools.ffmpeg.path, options.audioPath, SAMPLE_RATE, options.signal);
  return mouthFromLoudness(samples, SAMPLE_RATE);
}

/** The timings from decoded mono samples (exported for tests). */
export function mouthFromLoudness(samples: Float32Array, sampleRate: number): Alignment {
  const durationSeconds = samples.length / sampleRate;
  const energyDb = frameEnergies(samples, sampleRate);
  if (energyDb.length === 0) return { words: [], phonemes: durationSeconds > 0 ? [{ phoneme: '', start: 0, end: durationSeconds }] : [], durationSeconds };
  const quiet = new Uint8Array(energyDb.length);
  for (const run of findQuietRuns(energyDb, Math.round(MIN_PAUSE_SECONDS / HOP_SECONDS))) quiet.fill(1, run.first, run.last + 1);
  // Near-silence is a rest even where the recording has no pauses to compare it with (all of it quiet).
  for (let f = 0; f < energyDb.length; f++) if ((energyDb[f] ?? -100) < SILENCE_DB) quiet[f] = 1;
  const sorted = Float32Array.from(energyDb).sort();
  const low = sorted[Math.floor(sorted.length * 0.3)] ?? -100;
  const high = sorted[Math.floor(sorted.length * 0.98)] ?? 0;

  const phonemes: PhonemeTiming[] = [];
  const push = (phoneme: string, start: number, end: number) => {
    if (end <= start) return;
    const previous = phonemes.at(-1);
    if (previous && previous.phoneme === '' && phoneme === '') previous.end = end;
    else phonemes.push({ phoneme, start, end });
  };
  const syllableFrames = Math.round(SYLLABLE_SECONDS / HOP_SECONDS);
  let syllable = 0;
  let frame = 0;
  while (frame < energyDb.length) {
    if (quiet[frame]) {
      push('', frame * HOP_SECONDS, (frame + 1) * HOP_SECONDS);
      frame++;
      continue;
    }
    let end = frame;
    while (end < energyDb.length && !quiet[end] && end - frame < syllableFrames) end++;
    let peak = -Infinity;
    for (let f = frame; f < end; f++) peak = Math.max(peak, energyDb[f] ?? -100);
    const level = Math.min(2, Math.max(0, Math.floor((3 * (peak - low)) / Math.max(1, high - low))));
    const vowels: readonly string[] = VOWELS_BY_LOUDNESS[level] ?? VOWELS_BY_LOUDNESS[0];
    const start = frame * HOP_SECONDS;
    const stop = end * HOP_SECONDS;
    const split = start + (stop - start) * CONSONANT_SHARE;
    push(CONSONANTS[syllable % CONSONANTS.length] as string, start, split);
    push(vowels[syllable % vowels.length] as string, split, stop);
    syllable++;
    frame = end;
  }
  const last = phonemes.at(-1);
  if (last) last.end = Math.max(last.end, durationSeconds);
  return { words: [], phonemes, durationSeconds };
}

/** Each 10 ms frame's energy in dB (full scale = 0); digital silence is about -100. */
function frameEnergies(samples: Float32Array, sampleRate: number): Float32Array {
  const hop = Math.round(sampleRate * HOP_SECONDS);
  const window = Math.round(sampleRate * WINDOW_SECONDS);
  const frames = samples.length < window ? 0 : 1 + Math.floor((samples.length - window) / hop);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let energy = 0;
    for (let n = f * hop; n < f * hop + window; n++) energy += (samples[n] ?? 0) ** 2;
    out[f] = 10 * Math.log10(energy / window + 1e-10);
  }
  return out;
}
