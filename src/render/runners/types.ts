import type { FfmpegTools } from '../ffmpeg/locate.js';
import type { Plate } from '../framing.js';
import type { FrameSize, PhonemeTiming, WordTiming } from '../types.js';

/** What a model runner gets: the creator's photo framed for the ad, the voice it must speak, the frame to fill. */
export interface RunnerInput {
  /**
   * The creator photo already framed for the aspect (PNG), slightly larger than `size`; with its talking
   * rig (mouth and eye patches framed the same way) when the creator has one.
   */
  plate: Plate;
  /** The voice track (WAV) as spoken; it starts `voiceOffsetSeconds` into the ad. */
  audioPath: string;
  voiceOffsetSeconds: number;
  /** On the voice's own clock (add `voiceOffsetSeconds` for the ad's timeline). */
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
 * The creator's clip as composition consumes it: the arguments of its ffmpeg inputs (one or more, each
 * ending in `-i <path>`), and a filter graph that reads them as `[0:v]`, `[1:v]`… in that order and ends in
 * one unlabelled output: a `size.width` x `size.height` yuv420p stream at the ad's fps lasting the whole ad.
 * A still runner returns an image plus a crop; the talking runner adds streams of small patches laid over it;
 * a lip-sync model runner returns the video it generated plus a scale/crop filter. Composition never knows which.
 */
export interface CreatorClip {
  inputs: string[][];
  filter: string;
}

export interface ModelRunner {
  readonly id: string;
  readonly description: string;
  /** Whether it can run here (e.g. a GPU model server reachable); `doctor` and `models` show this. */
  available(): Promise<boolean>;
  /** Its live state in words, for runners that have one (a model server's health). */
  health?(): Promise<RunnerHealth>;
  prepare(input: RunnerInput): Promise<CreatorClip>;
}

export interface RunnerHealth {
  available: boolean;
  /** A Cog server's own word (`READY`, `BUSY`, `STARTING`, `SETUP_FAILED`, `DEFUNCT`, `UNHEALTHY`), `UNREACHABLE`; a command's `READY` or `MISSING`. */
  status: string;
  /** Why, when it is not simply ready. */
  detail: string | null;
}

/** What a configured runner reports while it works (waiting for a server, running), shown as the job's stage. */
export interface RunnerHooks {
  onStatus?: (text: string) => void;
}
