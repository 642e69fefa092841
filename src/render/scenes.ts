import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaceRig } from './face-rig.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import { firstStream, isStillImage, probe } from './ffmpeg/probe.js';
import { runFfmpeg } from './ffmpeg/run.js';
import { framePlate } from './framing.js';
import type { CreatorClip, ModelRunner } from './runners/types.js';
import type { FrameSize, PhonemeTiming, Speaker, SpokenScript } from './types.js';
import type { Voice } from './voices.js';

/**
 * An ad told in scenes, each said by its own creator (a testimonial): every scene is spoken with its
 * creator's voice and animated on its creator's picture for its span of the ad, and the pieces are joined
 * into one voice track and one creator clip. The rest of the pipeline (audio mix, captions, overlays) sees
 * one voice and one clip, so captions run on across the cuts.
 */

/** One scene, checked: its part of the script, who says it (picture and face rig), with which voice, and what is shown instead. */
export interface SceneInputs {
  script: string;
  creatorImage: string;
  rig: FaceRig | null;
  voice: Voice;
  speaker: Speaker | null;
  /** Shown in turn, sharing the scene's span, while its voice goes on; none: the creator talks. */
  shots: Shot[];
}

/**
 * A cut-in: the user's image or video scaled to cover the frame (a video muted and looped if short), or
 * the product photo whole, over a blurred fill of itself. Images push in slowly.
 */
export interface Shot {
  path: string;
  kind: 'image' | 'video';
  fit: 'cover' | 'contain';
}

/** The pause between one scene's last word and the next scene's first; the picture cuts in its middle. */
export const SCENE_GAP = 0.3;
/** The scenes' voices are joined at one rate (whatever rate each engine speaks at). */
const SAMPLE_RATE = 48_000;

/** The scenes spoken and joined: one script on one clock, and each scene's own recording and where it starts on that clock. */
export interface SpokenScenes extends SpokenScript {
  parts: { spoken: SpokenScript; start: number }[];
}

/** Speaks each scene (one at a time: a speech engine may hold one voice at once) and joins them with a pause between. */
export async function speakScenes(
  scenes: SceneInputs[],
  speak: (scene: SceneInputs, workDir: string) => Promise<SpokenScript>,
  tools: FfmpegTools,
  workDir: string,
  signal: AbortSignal,
): Promise<SpokenScenes> {
  const spoken: SpokenScript[] = [];
  for (const [i, scene] of scenes.entries()) spoken.push(await speak(scene, await sceneDir(workDir, i)));
  // Lengths in samples, so each scene's start on the joined clock is exact.
  const lengths = spoken.map((s, i) => Math.round((s.durationSeconds + (i < spoken.length - 1 ? SCENE_GAP : 0)) * SAMPLE_RATE));
  const starts = lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0) / SAMPLE_RATE);
  const path = join(workDir, 'scenes-voice.wav');
  const pieces = spoken.map((_, i) => `[${i}:a]aresample=${SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts=mono,apad,atrim=end_sample=${lengths[i]}[v${i}]`);
  const graph = `${pieces.join(';')};${spoken.map((_, i) => `[v${i}]`).join('')}concat=n=${spoken.length}:v=0:a=1[voice]`;
  await runFfmpeg(tools.ffmpeg.path, [...spoken.flatMap((s) => ['-i', s.path]), '-filter_complex', graph, '-map', '[voice]', '-c:a', 'pcm_s16le', path], { what: "joining the scenes' voices", signal });

  const phonemes: PhonemeTiming[] = [];
  spoken.forEach((s, i) => {
    const start = starts[i] ?? 0;
    phonemes.push(...s.phonemes.map((p) => ({ ...p, start: p.start + start, end: p.end + start })));
    const next = starts[i + 1];
    if (next !== undefined) phonemes.push({ phoneme: '', start: start + s.durationSeconds, end: next });
  });
  return {
    path,
    durationSeconds: lengths.reduce((a, b) => a + b, 0) / SAMPLE_RATE,
    words: spoken.flatMap((s, i) => s.words.map((w) => ({ ...w, start: w.start + (starts[i] ?? 0), end: w.end + (starts[i] ?? 0) }))),
    phonemes,
    parts: spoken.map((s, i) => ({ spoken: s, start: starts[i] ?? 0 })),
  };
}

export interface ScenesClipOptions {
  scenes: SceneInputs[];
  voice: SpokenScenes;
  /** Where the joined voice starts in the ad. */
  voiceOffsetSeconds: number;
  durationSeconds: number;
  runner: ModelRunner;
  size: FrameSize;
  fps: number;
  workDir: string;
  tools: FfmpegTools;
  signal: AbortSignal;
}

/**
 * The frame each scene's picture starts at: the first at 0, each next one in the middle of the pause
 * before its first word (the cut lands between two speakers, never on a word).
 */
export function sceneCuts(starts: number[], voiceOffsetSeconds: number, fps: number): number[] {
  return starts.map((start, i) => (i === 0 ? 0 : Math.round((voiceOffsetSeconds + start - SCENE_GAP / 2) * fps)));
}

/**
 * One creator clip for the whole ad: each scene's creator framed and animated by `runner` for its span
 * (its own voice on its own clock), or its shots, the spans cut to length and joined in one filter graph,
 * so the scenes cost no extra encode.
 */
export async function scenesClip(options: ScenesClipOptions): Promise<CreatorClip> {
  const { scenes, voice, fps } = options;
  const cuts = sceneCuts(voice.parts.map((p) => p.start), options.voiceOffsetSeconds, fps);
  const totalFrames = Math.round(options.durationSeconds * fps);
  const spans = await Promise.all(
    scenes.map(async (scene, i) => {
      const part = voice.parts[i] as SpokenScenes['parts'][number];
      const from = cuts[i] ?? 0;
      const frames = (cuts[i + 1] ?? totalFrames) - from;
      if (scene.shots.length > 0) {
        // More shots than frames (a very short scene): a shot left without a frame is skipped.
        return shareFrames(frames, scene.shots.length)
          .map((n, k) => ({ clip: shotClip(scene.shots[k] as Shot, n, options.size, fps), frames: n }))
          .filter((shot) => shot.frames > 0);
      }
      const workDir = await sceneDir(options.workDir, i);
      const plate = await framePlate(scene.creatorImage, options.size, options.tools, workDir, options.signal, scene.rig);
      const clip = await options.runner.prepare({
        plate,
        audioPath: part.spoken.path,
        voiceOffsetSeconds: options.voiceOffsetSeconds + part.start - from / fps,
        words: part.spoken.words,
        phonemes: part.spoken.phonemes,
        durationSeconds: frames / fps,
        size: options.size,
        fps,
        workDir,
        tools: options.tools,
        signal: options.signal,
      });
      return [{ clip, frames }];
    }),
  );
  const clips = spans.flat();
  const inputs: string[][] = [];
  const steps: string[] = [];
  clips.forEach(({ clip, frames }, i) => {
    steps.push(`${relabel(clip.filter, inputs.length, `s${i}`)}[s${i}]`, `[s${i}]trim=end_frame=${frames},setpts=PTS-STARTPTS,setsar=1[scene${i}]`);
    inputs.push(...clip.inputs);
  });
  steps.push(`${clips.map((_, i) => `[scene${i}]`).join('')}concat=n=${clips.length}:v=1:a=0`);
  return { inputs, filter: steps.join(';\n') };
}

/** Whether a file is a still image or a video (by content); null when it is neither, or unreadable. */
export async function shotKind(path: string, tools: FfmpegTools): Promise<Shot['kind'] | null> {
  const result = await probe(tools.ffprobe.path, path);
  if (!result) return null;
  if (isStillImage(result)) return 'image';
  const video = firstStream(result, 'video');
  return video?.width && video.height ? 'video' : null;
}

/** `frames` split into `parts` near-equal whole numbers. */
function shareFrames(frames: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.round(((k + 1) * frames) / parts) - Math.round((k * frames) / parts));
}

/** How far an image pushes in over its shot. */
const PUSH_IN = 0.08;

/**
 * A shot as a creator clip of `frames` frames. An image is composed once at twice the frame's size (so
 * the push-in moves by fractions of a pixel instead of jittering), looped, and zoomed in frame by frame.
 */
export function shotClip(shot: Shot, frames: number, size: FrameSize, fps: number): CreatorClip {
  const { width: w, height: h } = size;
  const cover = (width: number, height: number) => `scale=${width}:${height}:force_original_aspect_ratio=increase:flags=lanczos,crop=${width}:${height}`;
  if (shot.kind === 'video') {
    return { inputs: [['-stream_loop', '-1', '-i', shot.path]], filter: `[0:v]fps=${fps},${cover(w, h)},setsar=1,format=yuv420p,setpts=PTS-STARTPTS` };
  }
  const [w2, h2] = [w * 2, h * 2];
  const even = (n: number) => Math.floor(n / 2) * 2;
  const composed =
    shot.fit === 'cover'
      ? [`[0:v]format=rgb24,${cover(w2, h2)}[composed]`]
      : [
          '[0:v]format=rgb24,split=2[bgsrc][fgsrc]',
          `[bgsrc]${cover(w2, h2)},boxblur=luma_radius=60:luma_power=2,eq=brightness=-0.12:saturation=0.8[bg]`,
          `[fgsrc]scale=${even(w2 * 0.84)}:${even(h2 * 0.84)}:force_original_aspect_ratio=decrease:flags=lanczos[fg]`,
          '[bg][fg]overlay=x=(W-w)/2:y=(H-h)/2[composed]',
        ];
  const zoom = `1+${PUSH_IN}*on/${Math.max(1, frames)}`;
  return {
    inputs: [['-i', shot.path]],
    filter: [
      ...composed,
      `[composed]format=yuv420p,loop=loop=-1:size=1:start=0,setpts=N/${fps}/TB,zoompan=z='${zoom}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=${w}x${h}:fps=${fps},setsar=1`,
    ].join(';\n'),
  };
}

/**
 * A clip's filter graph moved beside others in one graph: its inputs `[n:v]` renumbered from `inputOffset`,
 * its own labels prefixed so no two clips share one (CreatorClip's contract: inputs as `[n:v]`, labels in brackets).
 */
export function relabel(filter: string, inputOffset: number, prefix: string): string {
  return filter.replace(/\[([^\]]+)\]/g, (_, label: string) => {
    const input = /^(\d+)(:v)?$/.exec(label);
    return input ? `[${Number(input[1]) + inputOffset}:v]` : `[${prefix}${label}]`;
  });
}

async function sceneDir(workDir: string, index: number): Promise<string> {
  const dir = join(workDir, `scene-${index}`);
  await mkdir(dir, { recursive: true });
  return dir;
}
