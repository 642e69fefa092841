import { join } from 'node:path';
import { execa } from 'execa';
import { UgcError } from '../core/errors.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import { runFfmpeg } from './ffmpeg/run.js';

/** Upload targets of TikTok, Reels and Shorts: -14 LUFS integrated, true peak at most -1.5 dBTP. */
export const LOUDNESS_TARGET = { integrated: -14, truePeak: -1.5, range: 11 } as const;
/** AAC encoding can lift inter-sample peaks a few tenths of a dB, so normalise to a lower ceiling. */
const TRUE_PEAK_CEILING = -2.3;
const SAMPLE_RATE = 48_000;
/** Music sits this far under the voice before ducking. */
const MUSIC_GAIN_DB = -10;

export interface AudioPlan {
  voicePath: string;
  /** Where the voice starts on the ad's timeline. */
  voiceOffsetSeconds: number;
  musicPath: string | null;
  durationSeconds: number;
  workDir: string;
}

interface LoudnessMeasurement {
  input_i: string;
  input_tp: string;
  input_lra: string;
  input_thresh: string;
  target_offset: string;
}

/**
 * The mix: the voice on the timeline, the music looped under it and ducked by a sidechain compressor
 * keyed on the voice, faded out at the end. Stereo 48 kHz.
 */
export function mixFilter(plan: AudioPlan): string {
  const delayMs = Math.round(plan.voiceOffsetSeconds * 1000);
  const d = plan.durationSeconds.toFixed(3);
  const voice = `[0:a]aresample=${SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,adelay=${delayMs}|${delayMs},apad,atrim=0:${d}`;
  if (!plan.musicPath) return `${voice}[mix]`;
  const fadeStart = Math.max(0, plan.durationSeconds - 1.5).toFixed(3);
  return [
    `${voice},asplit=2[voice][key]`,
    `[1:a]aresample=${SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=0:${d},volume=${MUSIC_GAIN_DB}dB[music]`,
    `[music][key]sidechaincompress=threshold=0.015:ratio=10:attack=15:release=350:makeup=1[ducked]`,
    // amix halves each input; the loudness pass that follows restores the level.
    `[voice][ducked]amix=inputs=2:duration=first:dropout_transition=0,afade=t=out:st=${fadeStart}:d=1.5[mix]`,
  ].join(';');
}

/**
 * Two passes, both audio-only and fast: mix and measure, then normalise linearly to the target and
 * encode AAC. Returns the path of the finished audio track (.m4a) for the video encode to copy.
 */
export async function renderAudio(plan: AudioPlan, tools: FfmpegTools, signal: AbortSignal): Promise<string> {
  const mixPath = join(plan.workDir, 'mix.wav');
  const inputs = ['-i', plan.voicePath, ...(plan.musicPath ? ['-stream_loop', '-1', '-i', plan.musicPath] : [])];
  await runFfmpeg(tools.ffmpeg.path, [...inputs, '-filter_complex', mixFilter(plan), '-map', '[mix]', '-c:a', 'pcm_f32le', mixPath], { what: 'mixing audio', signal });
  const measured = await measureLoudness(tools, mixPath, signal);
  const outPath = join(plan.workDir, 'audio.m4a');
  const { integrated, range } = LOUDNESS_TARGET;
  const normalise =
    `loudnorm=I=${integrated}:TP=${TRUE_PEAK_CEILING}:LRA=${range}:measured_I=${measured.input_i}:measured_TP=${measured.input_tp}` +
    `:measured_LRA=${measured.input_lra}:measured_thresh=${measured.input_thresh}:offset=${measured.target_offset}:linear=true,aresample=${SAMPLE_RATE}`;
  await runFfmpeg(tools.ffmpeg.path, ['-i', mixPath, '-af', normalise, '-c:a', 'aac', '-b:a', '192k', '-ar', String(SAMPLE_RATE), '-ac', '2', outPath], { what: 'normalising loudness', signal });
  return outPath;
}

async function measureLoudness(tools: FfmpegTools, path: string, signal: AbortSignal): Promise<LoudnessMeasurement> {
  const { integrated, range } = LOUDNESS_TARGET;
  const result = await execa(
    tools.ffmpeg.path,
    ['-hide_banner', '-nostdin', '-i', path, '-af', `loudnorm=I=${integrated}:TP=${TRUE_PEAK_CEILING}:LRA=${range}:print_format=json`, '-f', 'null', '-'],
    { cancelSignal: signal, reject: false },
  );
  const json = /\{[^{}]*"input_i"[^{}]*\}/.exec(String(result.stderr))?.[0];
  if (result.exitCode !== 0 || !json) throw new UgcError('ffmpeg failed while measuring loudness', { code: 'render_failed' });
  const measured = JSON.parse(json) as LoudnessMeasurement;
  // A silent track measures -inf; loudnorm cannot use that, and there is nothing to normalise anyway.
  if (!Number.isFinite(Number(measured.input_i))) throw new UgcError('the voice track is silent', { code: 'silent_audio' });
  return measured;
}
