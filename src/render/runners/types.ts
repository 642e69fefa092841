import type { FfmpegTools } from '../ffmpeg/locate.js';
import type { FrameSize, PhonemeTiming, WordTiming } from '../types.js';

/** What a model runner gets: the creator's photo framed for the ad, the voice it must speak, the frame to fill. */
export interface RunnerInput {
  /** The creator photo already framed for the aspect (PNG), slightly larger than `size` so the camera can move. */
  plate: { path: string; width: number; height: number };
  /** The voice track (WAV), already placed on the ad's timeline (lead-in silence included). */
  audioPath: string;
  words: WordTiming[];
  /** The voice's phonemes (empty when no timings are known), on the same clock as `words`. */
  phonemes: PhonemeTiming[];
  durationSeconds: number;
  size: FrameSize;
  fps: number;
  workDir: string;
  tools: FfmpegTools;
  signal: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/**
 * The creator's clip as composition consumes it: the arguments of exactly one ffmpeg input, and a filter chain that
 * turns that input into a `size.width` x `size.height` stream at the ad's fps lasting the whole ad.
 * A still runner returns an image plus a motion filter (no intermediate encode); a lip-sync runner
 * returns the video it generated plus a scale/crop filter. Composition never knows which.
 */
export interface CreatorClip {
  inputArgs: string[];
  filter: string;
}

export interface ModelRunner {
  readonly id: string;
  readonly description: string;
  /** Whether it can run here (e.g. a GPU model server reachable); `doctor` and `models` show this. */
  available(): Promise<boolean>;
  prepare(input: RunnerInput): Promise<CreatorClip>;
}
