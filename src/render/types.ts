/** Shapes shared by the local render pipeline's modules. Times are in seconds. */
import { ASPECT_VALUES, CAPTION_VALUES } from '../core/request.js';
import type { FfmpegTools } from './ffmpeg/locate.js';

/** The request's lists (core/request.ts), under the names the pipeline uses. */
export const ASPECTS = ASPECT_VALUES;
export type Aspect = (typeof ASPECTS)[number];

export const CAPTION_STYLES = CAPTION_VALUES;
export type CaptionStyle = (typeof CAPTION_STYLES)[number];

export interface FrameSize {
  width: number;
  height: number;
}

export const FRAME_SIZES: Record<Aspect, FrameSize> = {
  '9:16': { width: 1080, height: 1920 },
  '16:9': { width: 1920, height: 1080 },
  '1:1': { width: 1080, height: 1080 },
};

/** One word of the script as spoken: `text` is the word as written in the script (punctuation kept). */
export interface WordTiming {
  text: string;
  start: number;
  end: number;
}

/** One phoneme as spoken (eSpeak's IPA name, stress marks kept); a pause has the phoneme "". Times in seconds. */
export interface PhonemeTiming {
  phoneme: string;
  start: number;
  end: number;
}

/** A script spoken: the audio file and, on its clock, one timing per script word and every phoneme (pauses ""). */
export interface SpokenScript {
  path: string;
  durationSeconds: number;
  words: WordTiming[];
  /** From 0 to the end of the audio without gaps. */
  phonemes: PhonemeTiming[];
}

/**
 * Whatever speaks the script in a render: a speech engine with one of its voices (src/speech/ builds
 * them). It writes into `workDir` or hands back a file it keeps (a cache); the render only reads it.
 */
export interface Speaker {
  speak(options: { script: string; workDir: string; tools: FfmpegTools; signal: AbortSignal }): Promise<SpokenScript>;
}
