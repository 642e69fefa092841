import { access, constants, stat } from 'node:fs/promises';
import { runTool } from './ffmpeg/tool.js';
import { UsageError } from '../core/errors.js';
import { IDEAL_ASPECT, UPLOAD_LOUDNESS, type Bounds, type Choice, type UploadSpec } from '../core/platforms.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import { isStillImage, probe, type ProbeResult, type ProbeStream } from './ffmpeg/probe.js';
import { isFaststart, readMp4Layout } from './mp4-boxes.js';

/**
 * Preflight of any video file against a platform's upload spec (`core/platforms.ts`): what the file is
 * (`inspectVideo`, by ffprobe, its MP4 boxes and ffmpeg's EBU R128 meter), then one verdict per rule
 * (`checkUpload`, pure).
 */

export interface VideoFacts {
  bytes: number;
  seconds: number;
  /** `mp4`, `mov` or `3gp` for ISO files (by brand), else ffprobe's first format name. */
  container: string;
  brand: string | null;
  /** moov before mdat; null when the file is not an ISO file with a `moov`. */
  faststart: boolean | null;
  video: { codec: string; profile: string | null; pixFmt: string | null; width: number; height: number; aspect: number; fps: number; kbps: number | null };
  audio: { codec: string; profile: string | null; sampleRate: number; channels: number } | null;
  /** Of the first audio track; null when there is none or ffmpeg could not decode it. -Infinity when silent. */
  loudness: { integrated: number; truePeak: number } | null;
}

export const CHECK_IDS = ['container', 'video-codec', 'audio-codec', 'frame-rate', 'resolution', 'aspect', 'length', 'bitrate', 'file-size', 'faststart', 'loudness', 'true-peak'] as const;
export type CheckId = (typeof CHECK_IDS)[number];
/** `skip`: the rule does not apply to this file (loudness without audio, fast start outside MP4/MOV). */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** The measured value, raw: a number in the unit of `measured`, a name, or null when there is none. */
  value: number | string | null;
  measured: string;
  limit: string;
}

// ---- inspecting a file -------------------------------------------------------------------------

type Stream = ProbeStream & { bit_rate?: string; sample_aspect_ratio?: string; disposition?: { attached_pic?: number }; tags?: { rotate?: string }; side_data_list?: { rotation?: number }[] };

/** Everything `checkUpload` needs about a file (`shown` is its name in errors). A file that is missing, unreadable or not a video is a UsageError (exit 2). */
export async function inspectVideo(file: string, tools: FfmpegTools, shown = file): Promise<VideoFacts> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new UsageError(`no such file: ${shown}`);
  if (!info.isFile()) throw new UsageError(`${shown} is not a file`);
  await access(file, constants.R_OK).catch(() => {
    throw new UsageError(`cannot read ${shown}: permission denied`);
  });
  const probed = await probe(tools.ffprobe.path, file);
  const notVideo = (why: string) => new UsageError(`${shown} ${why}`);
  if (!probed || probed.format.format_name === 'tty') throw notVideo('is not a video: ffprobe cannot read it as media');
  if (isStillImage(probed)) throw notVideo('is an image, not a video');
  const streams = probed.streams as Stream[];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video?.width || !video.height) throw notVideo('has no video track');
  const audio = streams.find((s) => s.codec_type === 'audio');

  const iso = /mp4|mov/.test(probed.format.format_name ?? '');
  const layout = iso ? await readMp4Layout(file) : null;
  // A phone's portrait video is often stored landscape with a rotation for the player: judge what is shown.
  const rotated = Math.abs(rotationOf(video)) % 180 === 90;
  const [width, height] = rotated ? [video.height, video.width] : [video.width, video.height];
  const storedAspect = (video.width * sampleAspect(video.sample_aspect_ratio)) / video.height;
  const format = probed.format as ProbeResult['format'] & { bit_rate?: string };
  const kbps = Number(video.bit_rate ?? format.bit_rate) / 1000;
  return {
    bytes: info.size,
    seconds: Number(probed.format.duration ?? video.duration) || 0,
    container: containerName(probed.format.format_name ?? 'unknown', layout?.brand ?? null, iso),
    brand: layout?.brand ?? null,
    faststart: layout ? isFaststart(layout) : null,
    video: {
      codec: video.codec_name ?? 'unknown',
      profile: video.profile ?? null,
      pixFmt: video.pix_fmt ?? null,
      width,
      height,
      aspect: rotated ? 1 / storedAspect : storedAspect,
      fps: frameRate(video.avg_frame_rate) || frameRate(video.r_frame_rate),
      kbps: Number.isFinite(kbps) && kbps > 0 ? kbps : null,
    },
    audio: audio ? { codec: audio.codec_name ?? 'unknown', profile: audio.profile ?? null, sampleRate: Number(audio.sample_rate) || 0, channels: audio.channels ?? 0 } : null,
    loudness: audio ? await measureLoudness(tools.ffmpeg.path, file) : null,
  };
}

function containerName(formatName: string, brand: string | null, iso: boolean): string {
  if (!iso) return formatName.split(',')[0] ?? formatName;
  if (!brand || brand === 'qt  ') return 'mov';
  return brand.startsWith('3g') ? '3gp' : 'mp4';
}

function rotationOf(stream: Stream): number {
  const fromSideData = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  return fromSideData ?? (Number(stream.tags?.rotate) || 0);
}

function sampleAspect(raw: string | undefined): number {
  const [n, d] = (raw ?? '1:1').split(':').map(Number);
  return n && d ? n / d : 1;
}

function frameRate(raw: string | undefined): number {
  const [n, d] = (raw ?? '0/0').split('/').map(Number);
  return n && d ? n / d : 0;
}

/** Integrated loudness and true peak of the first audio track, by ffmpeg's EBU R128 meter, decoding the audio only. */
async function measureLoudness(ffmpeg: string, file: string): Promise<VideoFacts['loudness']> {
  const result = await runTool(ffmpeg, ['-hide_banner', '-nostdin', '-nostats', '-i', file, '-map', '0:a:0', '-af', 'ebur128=peak=true', '-f', 'null', '-'], { reject: false });
  const stderr = String(result.stderr);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const level = (pattern: RegExp) => {
    const raw = pattern.exec(summary)?.[1];
    return raw === '-inf' ? -Infinity : Number(raw);
  };
  const integrated = level(/I:\s+(-?[\d.]+|-inf) LUFS/);
  const truePeak = level(/True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS/);
  if (result.exitCode !== 0 || Number.isNaN(integrated) || Number.isNaN(truePeak)) return null;
  return { integrated, truePeak };
}

// ---- checking a file against a spec ------------------------------------------------------------

const RANK: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, fail: 3 };
const worst = (...statuses: CheckStatus[]): CheckStatus => statuses.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'pass');
/** A ratio or a rate is "the same" within 1%: 1080x1918 is 9:16, 29.97 fps is not 30. */
const near = (a: number, b: number, tolerance = 0.01) => Math.abs(a - b) <= tolerance * Math.abs(b);
const within = (value: number, bounds: Bounds, tolerance = 0) => (bounds.min === undefined || value >= bounds.min * (1 - tolerance)) && (bounds.max === undefined || value <= bounds.max * (1 + tolerance));

/** One verdict per rule of `spec`, in the order of CHECK_IDS. */
export function checkUpload(facts: VideoFacts, spec: UploadSpec): CheckResult[] {
  const { video, audio, loudness } = facts;
  const results: CheckResult[] = [];
  const add = (id: CheckId, status: CheckStatus, value: CheckResult['value'], measured: string, limit: string) => results.push({ id, status, value, measured, limit });

  add('container', choose(facts.container, spec.containers), facts.container, facts.brand ? `${facts.container} (${facts.brand.trim()})` : facts.container, choiceText(spec.containers));

  const chroma420 = /420|nv12|nv21|p010/.test(video.pixFmt ?? '');
  add('video-codec', worst(choose(video.codec, spec.videoCodecs), chroma420 ? 'pass' : spec.chroma420), video.codec, [video.codec, video.profile, video.pixFmt].filter(Boolean).join(' '), `${choiceText(spec.videoCodecs)}; 4:2:0 chroma`);

  const audioLimit = [spec.audio.required ? 'required' : '', choiceText(spec.audio.codecs), spec.audio.maxSampleRate ? `at most ${spec.audio.maxSampleRate / 1000} kHz` : '', spec.audio.maxChannels ? `at most ${spec.audio.maxChannels} channels` : ''].filter(Boolean).join('; ');
  if (!audio) add('audio-codec', spec.audio.required ? 'fail' : 'warn', null, 'no audio track', audioLimit);
  else {
    const rateOk = !spec.audio.maxSampleRate || audio.sampleRate <= spec.audio.maxSampleRate;
    const channelsOk = !spec.audio.maxChannels || audio.channels <= spec.audio.maxChannels;
    const measured = [audio.codec, audio.profile, `${audio.sampleRate / 1000} kHz`, `${audio.channels} ch`].filter(Boolean).join(' ');
    add('audio-codec', worst(choose(audio.codec, spec.audio.codecs), rateOk && channelsOk ? 'pass' : 'fail'), audio.codec, measured, audioLimit);
  }

  const { standard } = spec.fps;
  const isStandard = !standard || standard.some((rate) => near(video.fps, rate, 0.001) || near(video.fps, (rate * 1000) / 1001, 0.001));
  add('frame-rate', !within(video.fps, spec.fps) ? 'fail' : isStandard ? 'pass' : 'warn', round(video.fps, 3), `${round(video.fps, 3)} fps`, [boundsText(spec.fps, (n) => String(n), 'fps'), standard ? `${orList(standard.map(String))} fps recommended` : ''].filter(Boolean).join('; '));

  const r = spec.resolution;
  const short = Math.min(video.width, video.height);
  const fits = (r.minShortSide === undefined || short >= r.minShortSide) && (r.maxWidth === undefined || video.width <= r.maxWidth) && (r.maxHeight === undefined || video.height <= r.maxHeight);
  const resolutionLimit = [r.minShortSide ? `short side at least ${r.minShortSide} px` : '', r.maxWidth ? `width at most ${r.maxWidth} px` : '', r.maxHeight ? `height at most ${r.maxHeight} px` : '', `${r.recommendedShortSide} px short side recommended`].filter(Boolean).join('; ');
  add('resolution', !fits ? 'fail' : short < r.recommendedShortSide ? 'warn' : 'pass', `${video.width}x${video.height}`, `${video.width}x${video.height}`, resolutionLimit);

  const aspectStatus = !within(video.aspect, spec.aspect.accepted, 0.01) ? 'fail' : near(video.aspect, IDEAL_ASPECT) ? 'pass' : 'warn';
  add('aspect', aspectStatus, round(video.aspect, 4), ratioName(video.aspect), `${boundsText(spec.aspect.accepted, ratioName, '')}; 9:16 recommended`);

  const { suggested } = spec.seconds;
  const lengthStatus = !within(facts.seconds, spec.seconds) ? 'fail' : suggested && !within(facts.seconds, suggested) ? 'warn' : 'pass';
  add('length', lengthStatus, round(facts.seconds, 3), `${facts.seconds.toFixed(1)} s`, [boundsText(spec.seconds, String, 's'), suggested ? `${boundsText(suggested, String, 's')} suggested` : ''].filter(Boolean).join('; '));

  const { warnUnder, failOver } = spec.videoKbps;
  const bitrateLimit = [warnUnder ? `at least ${warnUnder} kbps advised` : '', failOver ? `at most ${failOver} kbps` : ''].filter(Boolean).join('; ') || 'no limit';
  if (video.kbps === null) add('bitrate', 'skip', null, 'unknown', bitrateLimit);
  else add('bitrate', failOver && video.kbps > failOver ? 'fail' : warnUnder && video.kbps < warnUnder ? 'warn' : 'pass', Math.round(video.kbps), `${Math.round(video.kbps)} kbps video`, bitrateLimit);

  add('file-size', facts.bytes > spec.maxBytes ? 'fail' : 'pass', facts.bytes, megabytes(facts.bytes), `at most ${megabytes(spec.maxBytes)}`);

  const faststartLimit = `moov before mdat (fast start)${spec.faststart === 'warn' ? ', recommended' : ''}`;
  if (facts.faststart === null) add('faststart', 'skip', null, 'not an MP4/MOV file', faststartLimit);
  else add('faststart', facts.faststart ? 'pass' : spec.faststart, facts.faststart ? 'moov-first' : 'moov-last', facts.faststart ? 'moov before mdat' : 'moov after mdat', faststartLimit);

  const target = UPLOAD_LOUDNESS;
  const band = (range: number) => `${target.integrated - range} to ${target.integrated + range} LUFS`;
  const loudnessLimit = `${band(target.passWithin)} (${band(target.warnWithin)} warns)`;
  const peakLimit = `at most ${target.maxTruePeak} dBTP`;
  if (!audio) {
    add('loudness', 'skip', null, 'no audio', loudnessLimit);
    add('true-peak', 'skip', null, 'no audio', peakLimit);
  } else if (!loudness) {
    add('loudness', 'fail', null, 'could not be measured', loudnessLimit);
    add('true-peak', 'fail', null, 'could not be measured', peakLimit);
  } else {
    const off = Math.abs(loudness.integrated - target.integrated);
    const loudnessStatus: CheckStatus = off <= target.passWithin ? 'pass' : off <= target.warnWithin ? 'warn' : 'fail';
    add('loudness', loudnessStatus, finite(loudness.integrated), Number.isFinite(loudness.integrated) ? `${loudness.integrated.toFixed(1)} LUFS` : 'silent', loudnessLimit);
    add('true-peak', loudness.truePeak > target.maxTruePeak ? 'fail' : 'pass', finite(loudness.truePeak), Number.isFinite(loudness.truePeak) ? `${loudness.truePeak.toFixed(1)} dBTP` : 'silent', peakLimit);
  }
  return results;
}

function choose(value: string, choice: Choice): CheckStatus {
  if (choice.accepted && !choice.accepted.includes(value)) return 'fail';
  return choice.recommended.includes(value) ? 'pass' : 'warn';
}

function choiceText(choice: Choice): string {
  if (!choice.accepted) return `${orList(choice.recommended)} recommended`;
  const same = choice.recommended.length === choice.accepted.length;
  return same ? orList(choice.accepted) : `${orList(choice.accepted)} (${orList(choice.recommended)} recommended)`;
}

function boundsText(bounds: Bounds, show: (n: number) => string, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  if (bounds.min !== undefined && bounds.max !== undefined) return `${show(bounds.min)} to ${show(bounds.max)}${u}`;
  if (bounds.min !== undefined) return `at least ${show(bounds.min)}${u}`;
  if (bounds.max !== undefined) return `at most ${show(bounds.max)}${u}`;
  return '';
}

const orList = (items: readonly string[]) => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`);
const round = (n: number, digits: number) => Number(n.toFixed(digits));
const finite = (n: number) => (Number.isFinite(n) ? n : null);

const NAMED_RATIOS: [string, number][] = [['9:16', 9 / 16], ['16:9', 16 / 9], ['1:1', 1], ['4:5', 4 / 5], ['5:4', 5 / 4], ['3:4', 3 / 4], ['4:3', 4 / 3], ['2:3', 2 / 3], ['3:2', 3 / 2]];

/** `9:16` for a common ratio, else `0.68:1`. */
function ratioName(ratio: number): string {
  return NAMED_RATIOS.find(([, value]) => near(ratio, value))?.[0] ?? `${round(ratio, 2)}:1`;
}

function megabytes(bytes: number): string {
  const mb = bytes / 1_000_000;
  if (mb >= 1000) return `${round(mb / 1000, 1)} GB`;
  return `${mb >= 10 ? Math.round(mb) : round(mb, 2)} MB`;
}
