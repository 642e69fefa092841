import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Platform } from '../core/platforms.js';
import { InputError, type GenerateRequest, type MediaField } from '../core/request.js';
import { loadBrand, type Brand } from './brand.js';
import { creatorImagePath, creatorVoice, findCreator, stockCreatorRig } from './creators.js';
import type { FaceRig } from './face-rig.js';
import { photoRig } from './face-photo.js';
import { firstStream, isStillImage, probe } from './ffmpeg/probe.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import type { SubtitleFormat } from './subtitles.js';
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
    size: frameSize(request.aspect, request.resolution),
    minDurationSeconds: request.durationSeconds,
    runner: request.model ?? (rig ? 'talking' : 'still'),
    rig,
    notice: [notice, ...(speech?.notices ?? [])].filter(Boolean).join('\n') || null,
    subtitles: request.subtitles,
  };
}

export function frameSize(aspect: Aspect, resolution: '720p' | '1080p'): FrameSize {
  const full = FRAME_SIZES[aspect];
  if (resolution === '1080p') return full;
  const even = (n: number) => Math.round((n * 2) / 3 / 2) * 2;
  return { width: even(full.width), height: even(full.height) };
}

/** A readable regular file whose content (ffprobe) is a still image, or has an audio stream; else the problem. */
export async function mediaProblem(path: string, kind: 'image' | 'audio', tools: FfmpegTools): Promise<string | null> {
  const info = await stat(path).catch(() => null);
  if (!info) return `no such file ${path}`;
  if (!info.isFile()) return `${path} is not a file`;
  try {
    await access(path, constants.R_OK);
  } catch {
    return `cannot read ${path} (permission denied)`;
  }
  const result = await probe(tools.ffprobe.path, path);
  const ok = result !== null && (kind === 'image' ? isStillImage(result) : Boolean(firstStream(result, 'audio')));
  return ok ? null : `${path} is not ${kind === 'image' ? 'an image (PNG, JPEG, WebP…)' : 'an audio file (WAV, MP3, M4A…)'}`;
}

/** A request's media file, checked by content, not by name (every provider checks its files with this before anything is spent). */
export async function checkMedia(field: MediaField, path: string, kind: 'image' | 'audio', tools: FfmpegTools): Promise<string> {
  const problem = await mediaProblem(path, kind, tools);
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
