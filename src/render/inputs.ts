import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Platform } from '../core/platforms.js';
import { InputError, MAX_DURATION_SECONDS, type GenerateRequest, type MediaField } from '../core/request.js';
import { loadBrand, type Brand } from './brand.js';
import { creatorImagePath, creatorVoice, findCreator, stockCreatorRig } from './creators.js';
import type { FaceRig } from './face-rig.js';
import { photoRig } from './face-photo.js';
import { decodeProblem, durationOf, firstStream, isStillImage, probe } from './ffmpeg/probe.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import type { SubtitleFormat } from './subtitles.js';
import type { SceneInputs } from './scenes.js';
import { findVoice, type Voice } from './voices.js';
import { FRAME_SIZES, type Aspect, type CaptionStyle, type FrameSize, type Speaker } from './types.js';

/** Everything a local render needs, checked: files exist and are what they claim to be. */
export interface RenderInputs {
  script: string;
  creatorImage: string;
  /** The eSpeak voice that speaks the script (unless `speaker` does); with `audio`, the voice the aligner speaks the script with to time the recording. */
  voice: Voice;
  /** What speaks the script when it is not `voice` (a speech engine's voice); null: eSpeak with `voice`. */
  speaker: Speaker | null;
  audio: string | null;
  aspect: Aspect;
  captions: CaptionStyle;
  music: string | null;
  productName: string | null;
  productImage: string | null;
  cta: string | null;
  /** Big opening text over the first seconds. */
  hook: string | null;
  /** The user's own shots, cut in at sentence boundaries. */
  broll: { path: string; video: boolean }[];
  /** Shown under the end card's button. */
  url: string | null;
  /** Whose safe zone the layout keeps to (generic: all three). */
  platform: Platform;
  /** Whether `--platform` was asked for: only then is a length outside its range worth a warning. */
  platformChosen: boolean;
  /** The brand kit: font, colours, logo, caption preset, CTA colours. */
  brand: Brand | null;
  size: FrameSize;
  minDurationSeconds: number | null;
  /** `--model`, else `talking` when the creator has a face to animate, else `still`. */
  runner: string;
  /** Mouth and eye patches and the face box; null for a photo in which no face was found. */
  rig: FaceRig | null;
  /** A line for stderr about a choice made for the user (e.g. no face found, so the picture stays still). */
  notice: string | null;
  /** A subtitle sidecar to write beside the video (`ad.mp4` → `ad.srt` / `ad.vtt`), or none. */
  subtitles: SubtitleFormat | null;
  /** Scenes said by different creators (render/scenes.ts); null: the whole script by `creatorImage` with `voice`. */
  scenes: SceneInputs[] | null;
}

/** The voice decided by the caller (src/speech/ chooses it by language and engine), with lines to tell the user. */
export interface SpeechChoice {
  voice: Voice;
  speaker: Speaker | null;
  notices: string[];
}

export async function resolveRenderInputs(request: GenerateRequest, tools: FfmpegTools, configDir: string, speech?: SpeechChoice): Promise<RenderInputs> {
  let creatorImage: string;
  let voiceId = request.voice;
  let rig: FaceRig | null = null;
  let notice: string | null = null;
  const wantsRig = !request.model || request.model === 'talking';
  if (request.image) {
    creatorImage = await checkMedia('image', request.image, 'image', tools);
  } else {
    const creator = await findCreator(configDir, request.creator ?? 'mia');
    creatorImage = creatorImagePath(creator);
    voiceId ??= creatorVoice(creator);
    if (!creator.isCustom && wantsRig) rig = stockCreatorRig(creator);
  }
  if (!rig && wantsRig) {
    // The picture renders either way: a face is a bonus, so not finding one (or failing to look) is a notice.
    rig = await photoRig(creatorImage, configDir, tools).catch((error: unknown) => {
      notice = `Could not look for a face in ${creatorImage} (${error instanceof Error ? error.message : String(error)}): the picture is shown still.`;
      return null;
    });
    notice ??= rig ? null : `No face found in ${creatorImage}: the picture is shown still (talking needs a face).`;
  }
  const audio = request.audio ? await checkMedia('audio', request.audio, 'audio', tools) : null;
  const voice = speech?.voice ?? (await findVoice(voiceId ?? 'en-us-female'));
  const music = request.music ? await checkMedia('music', request.music, 'audio', tools) : null;
  const brand = request.brand ? await loadBrand(request.brand) : null;
  if (brand?.logo) await checkMediaAs('brand', `${brand.path}: logo`, brand.logo.path, tools);
  const productImage = request.productImage ? await checkMedia('productImage', request.productImage, 'image', tools) : null;
  return {
    script: request.script,
    creatorImage,
    voice,
    speaker: speech?.speaker ?? null,
    audio,
    aspect: request.aspect,
    captions: request.captions ?? brand?.captions ?? 'karaoke',
    brand,
    music,
    productName: request.productName,
    productImage,
    cta: request.cta,
    hook: request.hook,
    broll: await Promise.all(request.broll.map((path) => checkShot(path, tools))),
    url: request.url,
    platform: request.platform ?? 'generic',
    platformChosen: request.platform != null,
    size: frameSize(request.aspect, request.resolution),
    minDurationSeconds: request.durationSeconds,
    runner: request.model ?? (rig ? 'talking' : 'still'),
    rig,
    notice: [notice, ...(speech?.notices ?? [])].filter(Boolean).join('\n') || null,
    subtitles: request.subtitles,
    scenes: null,
  };
}

export function frameSize(aspect: Aspect, resolution: '720p' | '1080p'): FrameSize {
  const full = FRAME_SIZES[aspect];
  if (resolution === '1080p') return full;
  const even = (n: number) => Math.round((n * 2) / 3 / 2) * 2;
  return { width: even(full.width), height: even(full.height) };
}

/**
 * A readable regular file whose content (ffprobe) is a still image, or has an audio stream, that decodes
 * to the end, and (`maxSeconds`) is not too long; else the problem.
 */
export async function mediaProblem(path: string, kind: 'image' | 'audio', tools: FfmpegTools, limits: { maxSeconds?: number; what?: string } = {}): Promise<string | null> {
  const info = await stat(path).catch(() => null);
  if (!info) return `no such file ${path}`;
  if (!info.isFile()) return `${path} is not a file`;
  try {
    await access(path, constants.R_OK);
  } catch {
    return `cannot read ${path} (permission denied)`;
  }
  // A batch names the same music or photo on many rows: the file, unchanged, is decoded once.
  const key = JSON.stringify([path, kind, info.size, info.mtimeMs, limits.maxSeconds ?? null, limits.what ?? null]);
  let checked = contentChecks.get(key);
  if (!checked) {
    // A long-running process (`ugc serve`, a worker) sees many files: the memo stays small.
    if (contentChecks.size >= MAX_REMEMBERED_CHECKS) contentChecks.clear();
    checked = contentProblem(path, kind, tools, limits);
    contentChecks.set(key, checked);
  }
  return checked;
}

const contentChecks = new Map<string, Promise<string | null>>();
const MAX_REMEMBERED_CHECKS = 1000;

async function contentProblem(path: string, kind: 'image' | 'audio', tools: FfmpegTools, limits: { maxSeconds?: number; what?: string }): Promise<string | null> {
  const result = await probe(tools.ffprobe.path, path);
  const ok = result !== null && (kind === 'image' ? isStillImage(result) : Boolean(firstStream(result, 'audio')));
  if (!ok) return `${path} is not ${kind === 'image' ? 'an image (PNG, JPEG, WebP…)' : 'an audio file (WAV, MP3, M4A…)'}`;
  // The length first: a two-hour file is refused without decoding two hours.
  const seconds = kind === 'audio' ? durationOf(result, 'audio') : 0;
  if (limits.maxSeconds !== undefined && seconds > limits.maxSeconds) {
    return `${limits.what ?? path} is ${Math.round(seconds)} s long; the limit is ${limits.maxSeconds} s`;
  }
  const damage = await decodeProblem(tools.ffmpeg.path, path, kind);
  return damage ? `${path} is damaged and cannot be decoded (${damage})` : null;
}

/** A request's media file, checked by content, not by name (every provider checks its files with this before anything is spent). */
export async function checkMedia(field: MediaField, path: string, kind: 'image' | 'audio', tools: FfmpegTools): Promise<string> {
  // A voiceover sets the ad's length: the same cap as --duration.
  const limits = field === 'audio' ? { maxSeconds: MAX_DURATION_SECONDS, what: `the voiceover ${path}` } : {};
  const problem = await mediaProblem(path, kind, tools, limits);
  if (problem) throw new InputError({ field, message: `{}: ${problem}` });
  return path;
}

/** A b-roll file: a picture, or a video (its sound is not used). */
async function checkShot(path: string, tools: FfmpegTools): Promise<{ path: string; video: boolean }> {
  const info = await probe(tools.ffprobe.path, path);
  if (info && isStillImage(info)) return { path, video: false };
  if (info && firstStream(info, 'video')) return { path, video: true };
  throw new InputError({ field: 'broll', message: `{}: ${path} is not a picture or a video` });
}

/** An image named inside another input (a brand kit's logo): the problem is said as `<where>: <problem>`. */
async function checkMediaAs(field: 'brand', where: string, path: string, tools: FfmpegTools): Promise<void> {
  const problem = await mediaProblem(path, 'image', tools);
  if (problem) throw new InputError({ field, message: `{}: ${where}: ${problem}` });
}
