/**
 * Forced alignment of a script to a recording of it. eSpeak speaks the script, which gives a reference
 * recording whose word and phoneme times are known; both recordings become MFCC-like features, dynamic
 * time warping pairs their frames, and the reference's times are carried over along that pairing. Pauses
 * are found in the recording's energy and kept as pauses, so the mouth rests where the speaker does.
 */
import { decodeMono } from '../ffmpeg/decode.js';
import type { FfmpegTools } from '../ffmpeg/locate.js';
import { synthesizeSpeech } from '../tts.js';
import type { PhonemeTiming, WordTiming } from '../types.js';
import type { Voice } from '../voices.js';
import { warp } from './dtw.js';
import { CEPSTRA, extractFeatures, HOP_SECONDS, normalisedRows, type Features } from './features.js';
import { findQuietRuns, MIN_PAUSE_SECONDS, restInPauses, type FrameRun } from './pauses.js';

/** A pause is shortened to this many frames before warping, so a long one costs the warp nothing. */
const PAUSE_FRAMES_KEPT = 10;
/** The warp may stray this far from the straight line (at least a second): tempo that drifts, words added or skipped. */
const BAND_FRACTION = 0.2;
const MIN_BAND_FRAMES = 100;
/**
 * What a step off the diagonal costs, in units of the distance between two normalised frames (typically
 * 3-5): chosen on Festival voices (2 and 3 did best on two scripts, 1 and 5 worse; 0 lost a slow male voice).
 */
const STEP_PENALTY = 3;

export interface Alignment {
  /** One per word of the script (as `splitScriptWords` splits it), on the recording's clock. */
  words: WordTiming[];
  /** Phonemes from 0 to the end of the recording without gaps; pauses (the recording's silences included) are "". */
  phonemes: PhonemeTiming[];
  durationSeconds: number;
}

/** A recording with known timings: what eSpeak returns for the script. */
export interface TimedSpeech {
  samples: Int16Array | Float32Array;
  sampleRate: number;
  words: WordTiming[];
  phonemes: PhonemeTiming[];
}

/**
 * Word and phoneme timings for the script as spoken in the audio file at `audioPath` (any format ffmpeg
 * reads). `voice` is the eSpeak voice that speaks the reference: one of the script's language.
 */
export async function alignScriptToRecording(options: { script: string; audioPath: string; voice: Voice; tools: FfmpegTools; signal?: AbortSignal }): Promise<Alignment> {
  const reference = await synthesizeSpeech({ text: options.script, voice: options.voice, signal: options.signal });
  const recording = await decodeMono(options.tools.ffmpeg.path, options.audioPath, reference.sampleRate, options.signal);
  return alignToReference(reference, recording);
}

/** The alignment itself, on samples already decoded at the reference's sample rate. */
export function alignToReference(reference: TimedSpeech, recording: Float32Array): Alignment {
  const { sampleRate } = reference;
  const durationSeconds = recording.length / sampleRate;
  const refSamples = reference.samples instanceof Float32Array ? reference.samples : Float32Array.from(reference.samples, (s) => s / 32768);
  const ref = prepare(extractFeatures(refSamples, sampleRate));
  const rec = prepare(extractFeatures(recording, sampleRate));
  if (ref.rows.length === 0 || rec.rows.length === 0) {
    // Shorter than one analysis window (23 ms): nothing to hear, so all of it is a rest.
    return { words: reference.words.map((w) => ({ text: w.text, start: 0, end: durationSeconds })), phonemes: durationSeconds > 0 ? [{ phoneme: '', start: 0, end: durationSeconds }] : [], durationSeconds };
  }

  const band = Math.max(MIN_BAND_FRAMES, Math.round(BAND_FRACTION * Math.max(ref.rows.length, rec.rows.length)));
  const path = warp(ref.vectors, ref.rows.length, rec.vectors, rec.rows.length, CEPSTRA, band, STEP_PENALTY);

  // Reference time → reference frame → warped row → recording row → recording frame → recording time.
  const refRowOf = rowOfFrame(ref.rows, ref.features.frames);
  const toRecording = (seconds: number): number => {
    const refFrame = (seconds - ref.features.offsetSeconds) / HOP_SECONDS;
    const row = interpolate(refRowOf, refFrame);
    const recRow = interpolate(path.first, row);
    const recFrame = interpolate(rec.rows, recRow);
    return Math.min(durationSeconds, Math.max(0, rec.features.offsetSeconds + recFrame * HOP_SECONDS));
  };
  const words = reference.words.map((w) => ({ text: w.text, start: toRecording(w.start), end: toRecording(w.end) }));
  const phonemes = reference.phonemes.map((p) => ({ phoneme: p.phoneme, start: toRecording(p.start), end: toRecording(p.end) }));
  const pauses = rec.pauses.map((run) => ({
    start: Math.max(0, rec.features.offsetSeconds + (run.first - 0.5) * HOP_SECONDS),
    end: Math.min(durationSeconds, rec.features.offsetSeconds + (run.last + 0.5) * HOP_SECONDS),
  }));
  return { ...restInPauses(words, phonemes, pauses, durationSeconds), durationSeconds };
}

interface Prepared {
  features: Features;
  pauses: FrameRun[];
  /** The frames that take part in the warp, in order: every frame but the middle of long pauses. */
  rows: Int32Array;
  vectors: Float32Array;
}

function prepare(features: Features): Prepared {
  const pauses = findQuietRuns(features.energyDb, Math.round(MIN_PAUSE_SECONDS / HOP_SECONDS));
  const inPause = new Uint8Array(features.frames);
  const dropped = new Uint8Array(features.frames);
  for (const run of pauses) {
    inPause.fill(1, run.first, run.last + 1);
    dropped.fill(1, run.first + PAUSE_FRAMES_KEPT, run.last + 1);
  }
  const rows: number[] = [];
  const speech: number[] = [];
  for (let f = 0; f < features.frames; f++) {
    if (!dropped[f]) rows.push(f);
    if (!inPause[f]) speech.push(f);
  }
  const rowArray = Int32Array.from(rows);
  return { features, pauses, rows: rowArray, vectors: normalisedRows(features, rowArray, Int32Array.from(speech)) };
}

/** For every frame, the row it has in the warp (a dropped frame takes the row of the next frame kept). */
function rowOfFrame(rows: Int32Array, frames: number): Int32Array {
  const out = new Int32Array(frames);
  let row = rows.length - 1;
  for (let f = frames - 1; f >= 0; f--) {
    while (row > 0 && (rows[row - 1] ?? 0) >= f) row--;
    out[f] = (rows[row] ?? 0) >= f ? row : rows.length - 1;
  }
  return out;
}

/** `values` read at a fractional index, linearly, clamped to the ends. */
function interpolate(values: Int32Array, index: number): number {
  if (values.length === 0) return 0;
  const i = Math.min(values.length - 1, Math.max(0, index));
  const low = Math.floor(i);
  const high = Math.min(values.length - 1, low + 1);
  return (values[low] ?? 0) + (i - low) * ((values[high] ?? 0) - (values[low] ?? 0));
}
