import { join } from 'node:path';
import { InterruptedError, UgcError } from '../../core/errors.js';
import type { FfmpegTools } from '../ffmpeg/locate.js';
import { durationOf, firstStream, isStillImage, probe } from '../ffmpeg/probe.js';
import { runFfmpeg } from '../ffmpeg/run.js';
import { frameCropFilter } from '../framing.js';
import type { FrameSize } from '../types.js';
import type { CreatorClip, RunnerInput } from './types.js';

/**
 * What a lip-sync model (a Cog server or a command) gets, and how its answer becomes the creator's clip.
 * The model sees the ad's own timeline: the voice is sent with the ad's lead-in silence before it and
 * silence after it up to the ad's end, so the mouth it draws is where the ad's voice is, frame for frame.
 */

/** Lip-sync models resample to 16 kHz mono (SadTalker, Wav2Lip, LatentSync's Whisper): sending that keeps data URLs small. */
const MODEL_AUDIO_RATE = 16_000;
/** The still video for models that dub a video (LatentSync, MuseTalk) runs at their native 25 fps. */
const MODEL_VIDEO_FPS = 25;

export interface ModelFiles {
  /** The creator picture framed for the ad, as a JPEG the size of the ad's frame. */
  image: string;
  /** The voice on the ad's timeline: a 16 kHz mono WAV as long as the ad. */
  audio: string;
  /** The picture as a still H.264 video as long as the ad (with the audio), for models that take a video; null unless asked for. */
  video: string | null;
}

export async function prepareModelFiles(input: RunnerInput, options: { video: boolean }): Promise<ModelFiles> {
  const { tools, signal, workDir, durationSeconds } = input;
  const image = join(workDir, 'model-image.jpg');
  const audio = join(workDir, 'model-audio.wav');
  const seconds = durationSeconds.toFixed(3);
  const delayMs = Math.round(input.voiceOffsetSeconds * 1000);
  await Promise.all([
    runFfmpeg(tools.ffmpeg.path, ['-i', input.plate.path, '-vf', frameCropFilter(input.size, input.plate), '-frames:v', '1', '-q:v', '2', image], { what: 'preparing the picture for the model', signal }),
    runFfmpeg(tools.ffmpeg.path, ['-i', input.audioPath, '-af', `aformat=channel_layouts=mono,adelay=${delayMs},apad`, '-ar', String(MODEL_AUDIO_RATE), '-t', seconds, '-c:a', 'pcm_s16le', audio], { what: 'preparing the voice for the model', signal }),
  ]);
  if (!options.video) return { image, audio, video: null };
  const video = join(workDir, 'model-video.mp4');
  await runFfmpeg(
    tools.ffmpeg.path,
    ['-loop', '1', '-framerate', String(MODEL_VIDEO_FPS), '-i', image, '-i', audio, '-map', '0:v', '-map', '1:a', '-t', seconds, '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'stillimage', '-crf', '18', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart', video],
    { what: 'preparing the still video for the model', signal, durationSeconds },
  );
  return { image, audio, video };
}

export interface ModelVideo {
  width: number;
  height: number;
  durationSeconds: number;
}

/** The model's answer must be a video with frames (any size, any frame rate); anything else fails the job with what it was. */
export async function checkModelVideo(path: string, tools: FfmpegTools, who: string): Promise<ModelVideo> {
  const result = await probe(tools.ffprobe.path, path);
  const video = result ? firstStream(result, 'video') : undefined;
  if (!result || !video) throw new UgcError(`${who} returned a file that is not a video${result ? ` (${result.format.format_name ?? 'unknown format'}, no video stream)` : ''}`, { code: 'model_output_invalid' });
  if (isStillImage(result)) throw new UgcError(`${who} returned a still image (${video.codec_name}), not a video`, { code: 'model_output_invalid' });
  const durationSeconds = durationOf(result, 'video');
  const frames = Number(video.nb_frames ?? 0);
  if (!video.width || !video.height || !(durationSeconds > 0 || frames > 1)) throw new UgcError(`${who} returned a video with no frames`, { code: 'model_output_invalid' });
  return { width: video.width, height: video.height, durationSeconds };
}

/**
 * The model's video as the creator clip: scaled to cover the frame and cropped to it (models return the
 * whole picture, or a square around the face), at the ad's frame rate, its last frame held if it ends early.
 */
export function modelClip(path: string, size: FrameSize, fps: number, durationSeconds: number): CreatorClip {
  const { width, height } = size;
  return {
    inputs: [['-i', path]],
    filter: `[0:v]setpts=PTS-STARTPTS,scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1,fps=${fps},format=yuv420p,tpad=stop_mode=clone:stop_duration=${durationSeconds.toFixed(3)}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Slots: a runner that runs N predictions at once gets at most N from this process

const gates = new Map<string, { active: number; waiting: (() => void)[] }>();

/** Runs `fn` once one of `slots` places for `key` is free; `onWait` is called if it has to wait. */
export async function withSlot<T>(key: string, slots: number, signal: AbortSignal, onWait: () => void, fn: () => Promise<T>): Promise<T> {
  let gate = gates.get(key);
  if (!gate) gates.set(key, (gate = { active: 0, waiting: [] }));
  const held = gate;
  signal.throwIfAborted();
  if (held.active >= slots) {
    onWait();
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', stop);
        resolve();
      };
      const stop = () => {
        held.waiting.splice(held.waiting.indexOf(go), 1);
        reject(new InterruptedError('stopped while waiting for a free slot'));
      };
      held.waiting.push(go);
      signal.addEventListener('abort', stop, { once: true });
    });
  } else held.active++;
  try {
    return await fn();
  } finally {
    const next = held.waiting.shift();
    if (next) next();
    else held.active--;
  }
}
