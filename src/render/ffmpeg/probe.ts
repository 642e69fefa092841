import { runTool } from './tool.js';

export interface ProbeStream {
  index: number;
  codec_type: 'video' | 'audio' | 'subtitle' | 'data' | string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
  nb_frames?: string;
}

export interface ProbeResult {
  streams: ProbeStream[];
  format: { format_name?: string; duration?: string; size?: string };
}

/**
 * Why `file` cannot be decoded to the end (ffmpeg's last error line), or null when it decodes cleanly: a
 * header that probes fine says nothing about truncated data. An image's first frame, or the whole first
 * audio track, is decoded and thrown away.
 */
export async function decodeProblem(ffmpegPath: string, file: string, kind: 'image' | 'audio'): Promise<string | null> {
  const what = kind === 'image' ? ['-map', '0:v:0', '-frames:v', '1'] : ['-map', '0:a:0'];
  const result = await runTool(ffmpegPath, ['-hide_banner', '-nostdin', '-v', 'error', '-xerror', '-i', file, ...what, '-f', 'null', '-'], { reject: false, timeout: 120_000 });
  if (result.exitCode === 0) return null;
  const lines = String(result.stderr).trim().split('\n').filter(Boolean);
  return (lines[0] ?? `ffmpeg exit code ${result.exitCode ?? result.signal}`).replace(/^\[[^\]]+\]\s*/, '');
}

/** ffprobe's JSON for a file, or null when ffprobe cannot read it as media. */
export async function probe(ffprobePath: string, file: string): Promise<ProbeResult | null> {
  const result = await runTool(ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { reject: false, timeout: 30_000 });
  if (result.exitCode !== 0) return null;
  try {
    return JSON.parse(result.stdout) as ProbeResult;
  } catch {
    return null;
  }
}

export const firstStream = (result: ProbeResult, type: 'video' | 'audio'): ProbeStream | undefined =>
  result.streams.find((s) => s.codec_type === type);

/** Image codecs a creator or product image may use (a still, not a video). */
const IMAGE_CODECS = new Set(['png', 'mjpeg', 'jpeg2000', 'webp', 'bmp', 'tiff', 'gif']);
const IMAGE_FORMATS = /image2|_pipe|png|jpeg|webp|bmp|tiff|gif/;

export function isStillImage(result: ProbeResult): boolean {
  const video = firstStream(result, 'video');
  // A file with an image extension but garbage inside still probes as png/mjpeg, with no dimensions.
  const decodable = Boolean(video?.width && video.height);
  return Boolean(decodable && video?.codec_name && IMAGE_CODECS.has(video.codec_name) && IMAGE_FORMATS.test(result.format.format_name ?? '') && !firstStream(result, 'audio'));
}

/** What a media file is by its content, and the file extension that says so. */
export function mediaTypeOf(result: ProbeResult): { type: 'video' | 'image' | 'audio'; extension: string } | null {
  const format = result.format.format_name ?? '';
  if (isStillImage(result)) {
    const codec = firstStream(result, 'video')?.codec_name ?? '';
    return { type: 'image', extension: ({ mjpeg: 'jpg', jpeg2000: 'jp2', tiff: 'tif' } as Record<string, string>)[codec] ?? codec };
  }
  if (firstStream(result, 'video')) return { type: 'video', extension: /webm|matroska/.test(format) ? 'webm' : 'mp4' };
  if (firstStream(result, 'audio')) {
    const extension = /^wav/.test(format) ? 'wav' : /^mp3/.test(format) ? 'mp3' : /^ogg/.test(format) ? 'ogg' : /^flac/.test(format) ? 'flac' : /mp4|m4a/.test(format) ? 'm4a' : /webm|matroska/.test(format) ? 'webm' : (format.split(',')[0] ?? 'audio');
    return { type: 'audio', extension };
  }
  return null;
}

export function durationOf(result: ProbeResult, type?: 'video' | 'audio'): number {
  const raw = type ? firstStream(result, type)?.duration : result.format.duration;
  const value = Number(raw ?? result.format.duration);
  return Number.isFinite(value) ? value : 0;
}
