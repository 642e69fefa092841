import { join } from 'node:path';
import { runTool } from './ffmpeg/tool.js';
import { UgcError } from '../core/errors.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import { runFfmpeg } from './ffmpeg/run.js';

/** Upload targets of TikTok, Reels and Shorts: -14 LUFS integrated, true peak at most -1.5 dBTP. */
export const LOUDNESS_TARGET = { integrated: -14, truePeak: -1.5 } as const;
/** Margin under the true-peak target for AAC's overshoot and the limiter's own inter-sample peaks. */
const PEAK_CEILING_DB = -2.5;
const SAMPLE_RATE = 48_000;
/** Music sits this far under the voice before ducking. */
const MUSIC_GAIN_DB = -10;

export interface AudioPlan {
  voicePath: string;
  /** Where the voice starts on the ad's timeline. */
  voiceOffsetSeconds: number;
  musicPath: string | null;
  durationSeconds: number;
}

/** ffmpeg input arguments for the mix: the voice, then the music looped for as long as needed. */
export function audioInputArgs(plan: AudioPlan): string[] {
  return ['-i', plan.voicePath, ...(plan.musicPath ? ['-stream_loop', '-1', '-i', plan.musicPath] : [])];
}

/**
 * The mix graph over the inputs of `audioInputArgs`: the voice on the timeline, the music ducked under it
 * by a sidechain compressor keyed on the voice and faded out at the end, ending in `[mix]`. Stereo 48 kHz.
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
    // amix halves each input; the loudness gain that follows restores the level.
    `[voice][ducked]amix=inputs=2:duration=first:dropout_transition=0,afade=t=out:st=${fadeStart}:d=1.5[mix]`,
  ].join(';');
}

export interface Loudness {
  integrated: number;
  truePeak: number;
}

/** Measures a track with ffmpeg's EBU R128 meter (true peak included). Audio only: a fraction of a second. */
export async function measureLoudness(path: string, tools: FfmpegTools, signal: AbortSignal): Promise<Loudness> {
  const result = await runTool(tools.ffmpeg.path, ['-hide_banner', '-nostdin', '-nostats', '-i', path, '-af', 'ebur128=peak=true', '-f', 'null', '-'], {
    cancelSignal: signal,
    reject: false,
  });
  const summary = String(result.stderr).slice(String(result.stderr).lastIndexOf('Summary:'));
  const integrated = Number(/I:\s+(-?[\d.]+|-inf) LUFS/.exec(summary)?.[1]);
  const truePeak = Number(/True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS/.exec(summary)?.[1]);
  if (result.exitCode !== 0 || Number.isNaN(integrated) || Number.isNaN(truePeak)) {
    throw new UgcError('ffmpeg failed while measuring loudness', { code: 'render_failed' });
  }
  if (!Number.isFinite(integrated)) throw new UgcError('the voice track is silent', { code: 'silent_audio' });
  return { integrated, truePeak };
}

/**
 * The filter that brings a measured mix to the target: a linear gain (exact, and the cheapest possible),
 * plus a lookahead limiter only when that gain would push peaks over the ceiling.
 */
export function loudnessFilter(measured: Loudness): string {
  const gain = LOUDNESS_TARGET.integrated - measured.integrated;
  const volume = `volume=${gain.toFixed(2)}dB`;
  if (measured.truePeak + gain <= PEAK_CEILING_DB) return volume;
  const limit = 10 ** (PEAK_CEILING_DB / 20);
  return `${volume},alimiter=limit=${limit.toFixed(4)}:attack=5:release=50:level=false`;
}

export const AUDIO_CODEC_ARGS = ['-c:a', 'aac', '-b:a', '192k', '-ar', String(SAMPLE_RATE), '-ac', '2'];

/**
 * The finished audio track (AAC in .m4a): mix once to a float WAV, measure it, then apply the gain while
 * encoding. Audio only, so it runs beside the video encode in its own processes.
 */
export async function renderAudioTrack(plan: AudioPlan, workDir: string, tools: FfmpegTools, signal: AbortSignal): Promise<string> {
  const mixPath = join(workDir, 'mix.wav');
  const outPath = join(workDir, 'audio.m4a');
  await runFfmpeg(tools.ffmpeg.path, [...audioInputArgs(plan), '-filter_complex', mixFilter(plan), '-map', '[mix]', '-c:a', 'pcm_f32le', mixPath], { what: 'mixing the audio', signal });
  const measured = await measureLoudness(mixPath, tools, signal);
  await runFfmpeg(tools.ffmpeg.path, ['-i', mixPath, '-af', loudnessFilter(measured), ...AUDIO_CODEC_ARGS, '-f', 'mp4', outPath], { what: 'encoding the audio', signal });
  return outPath;
}
