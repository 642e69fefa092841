import { mkdir, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tempPathFor } from '../core/atomic-write.js';
import { UgcError } from '../core/errors.js';
import { alignScriptToRecording } from './align/index.js';
import { timeUnscriptedRecording } from './align/unscripted.js';
import { renderAudioTrack, type AudioPlan } from './audio.js';
import { buildAssScript, CAPTION_FONTS_DIR } from './captions.js';
import { cardPlacement, compositionArgs, FPS, muxArgs, productCardFilter, thumbnailArgs } from './compose.js';
import type { Box } from './face-rig.js';
import { framePlate, plateBoxInFrame } from './framing.js';
import type { FfmpegTools } from './ffmpeg/locate.js';
import { decodeProblem, durationOf, firstStream, probe } from './ffmpeg/probe.js';
import { runFfmpeg } from './ffmpeg/run.js';
import type { RenderInputs } from './inputs.js';
import { getRunner, type ModelRunner } from './runners/index.js';
import { scenesClip, speakScenes } from './scenes.js';
import { buildSubtitles, subtitlesPathFor, type SubtitleFormat } from './subtitles.js';
import { synthesizeSpeech, writeWav } from './tts.js';
import { makeWorkDir } from './work-dir.js';
import type { SpokenScript, WordTiming } from './types.js';

/** Silence before the first word, and after the last one (before the end card, if any). */
export const LEAD_IN = 0.3;
const TAIL = 0.6;
const END_CARD = 2.5;

export type RenderStage = 'voice' | 'prepare' | 'encode' | 'finish';

/** Share of the progress bar each stage takes, from measurements of a 30 s ad: the encode dominates. */
const STAGE_SPAN: Record<RenderStage, [number, number]> = {
  voice: [0, 8],
  prepare: [8, 14],
  encode: [14, 98],
  finish: [98, 100],
};

export interface RenderOptions {
  tools: FfmpegTools;
  outputPath: string;
  thumbnailPath: string;
  signal: AbortSignal;
  onProgress?: (stage: RenderStage, percent: number) => void;
  /**
   * Called when both files are complete. It decides, e.g. under the job's lock, whether to publish them:
   * calling `publish` renames them into place; otherwise they are deleted. Resolves to whether it published.
   */
  commit?: (durationSeconds: number, publish: () => Promise<void>) => Promise<boolean>;
  /** The runner to use instead of looking `inputs.runner` up among the built-in ones (e.g. one configured with `ugc models add`). */
  runner?: ModelRunner;
}

export interface RenderResult {
  outputPath: string;
  thumbnailPath: string;
  /** The subtitle sidecar beside the video, when `inputs.subtitles` asked for one. */
  subtitlesPath: string | null;
  durationSeconds: number;
  words: WordTiming[];
  /** Where the creator's face is in the frame (null when none was found): for layout. */
  faceBox: Box | null;
  committed: boolean;
}

/**
 * The local pipeline: voice and word timings, then (in parallel) the audio mix, the creator clip, the
 * captions and the product card, then one video encode. Everything is built in a private temp dir; the
 * outputs are written beside their final paths and renamed into place only when complete.
 */
export async function renderAd(inputs: RenderInputs, options: RenderOptions): Promise<RenderResult> {
  const { tools } = options;
  // On any failure the processes still running are stopped, and awaited, before the temp files go:
  // one that exits later would leave its file behind.
  const stopAll = new AbortController();
  const signal = AbortSignal.any([options.signal, stopAll.signal]);
  const inFlight: Promise<unknown>[] = [];
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.push(work.catch(() => undefined));
    return work;
  };
  const report = (stage: RenderStage, fraction: number) => {
    const [from, to] = STAGE_SPAN[stage];
    options.onProgress?.(stage, Math.round(from + (to - from) * Math.min(1, Math.max(0, fraction))));
  };
  const workDir = await makeWorkDir();
  const tempVideo = tempPathFor(options.outputPath);
  const tempThumb = tempPathFor(options.thumbnailPath);
  const sidecar = inputs.subtitles ? subtitlesSidecar(options.outputPath, inputs.subtitles) : null;
  try {
    report('voice', 0);
    // Framing and the card need no voice: their ffmpeg processes run while TTS computes.
    const plateReady = track(framePlate(inputs.creatorImage, inputs.size, tools, workDir, signal, inputs.rig));
    const cardImage = track(prepareCardImage(inputs, tools, workDir, signal));
    plateReady.catch(() => undefined);
    cardImage.catch(() => undefined);
    const scenes = inputs.scenes;
    const spokenScenes = scenes ? await speakScenes(scenes, (scene, dir) => prepareVoice({ ...inputs, ...scene, audio: null }, tools, dir, signal), tools, workDir, signal) : null;
    const voice = spokenScenes ?? (await prepareVoice(inputs, tools, workDir, signal));
    const speechEnd = LEAD_IN + voice.durationSeconds;
    const endCard = inputs.productName || inputs.cta ? { productName: inputs.productName ?? undefined, cta: inputs.cta ?? undefined, start: speechEnd + TAIL / 2, end: 0 } : null;
    const natural = speechEnd + TAIL + (endCard ? END_CARD : 0);
    const durationSeconds = Math.ceil(Math.max(natural, inputs.minDurationSeconds ?? 0) * FPS) / FPS;
    if (endCard) endCard.end = durationSeconds;
    report('voice', 1);

    signal.throwIfAborted();
    report('prepare', 0);
    const audio: AudioPlan = { voicePath: voice.path, voiceOffsetSeconds: LEAD_IN, musicPath: inputs.music, durationSeconds };
    const runner = options.runner ?? getRunner(inputs.runner);
    // The audio track is measured, mixed and encoded in its own processes while the video encodes.
    const audioTrack = track(renderAudioTrack(audio, workDir, tools, signal));
    audioTrack.catch(() => undefined);
    const plate = await plateReady;
    const faceBox = plate.rig ? plateBoxInFrame(plate.rig.face, inputs.size, plate) : null;
    const [clip, assPath, cardPath] = await Promise.all([
      scenes && spokenScenes
        ? scenesClip({ scenes, voice: spokenScenes, voiceOffsetSeconds: LEAD_IN, durationSeconds, runner, size: inputs.size, fps: FPS, workDir, tools, signal })
        : runner.prepare({ plate, audioPath: voice.path, voiceOffsetSeconds: LEAD_IN, words: voice.words, phonemes: voice.phonemes, durationSeconds, size: inputs.size, fps: FPS, workDir, tools, signal }),
      writeCaptions(inputs, voice.words, endCard, workDir),
      cardImage,
    ]);
    const card = cardPath ? { path: cardPath, ...cardPlacement(inputs.aspect, inputs.size), ...cardWindow(voice.durationSeconds) } : null;
    report('prepare', 1);

    await mkdir(dirname(options.outputPath), { recursive: true });
    await mkdir(dirname(options.thumbnailPath), { recursive: true });
    const filterScriptPath = join(workDir, 'graph.txt');
    const videoTrack = join(workDir, 'video.mp4');
    const plan = { clip, assPath, fontsDir: CAPTION_FONTS_DIR, card, durationSeconds, outputPath: videoTrack, filterScriptPath };
    const { args, filterGraph } = compositionArgs(plan);
    await writeFile(filterScriptPath, filterGraph);
    await runFfmpeg(tools.ffmpeg.path, args, { what: 'encoding the video', signal, durationSeconds, onProgress: (f) => report('encode', f) });
    report('finish', 0);
    const thumbAt = Math.min(LEAD_IN + 0.8, durationSeconds / 2);
    await Promise.all([
      track(runFfmpeg(tools.ffmpeg.path, muxArgs(videoTrack, await audioTrack, durationSeconds, tempVideo), { what: 'joining audio and video', signal })),
      track(runFfmpeg(tools.ffmpeg.path, thumbnailArgs(videoTrack, thumbAt, tempThumb), { what: 'writing the thumbnail', signal })),
    ]);
    await checkWritten(tools, tempVideo, tempThumb, durationSeconds, dirname(options.outputPath));

    if (sidecar) await writeFile(sidecar.temp, buildSubtitles(sidecar.format, onAdTimeline(voice.words)));

    signal.throwIfAborted();
    const publish = async () => {
      await rename(tempVideo, options.outputPath);
      await rename(tempThumb, options.thumbnailPath);
      if (sidecar) await rename(sidecar.temp, sidecar.path);
    };
    const committed = options.commit ? await options.commit(durationSeconds, publish) : (await publish(), true);
    report('finish', 1);
    return { outputPath: options.outputPath, thumbnailPath: options.thumbnailPath, subtitlesPath: committed ? (sidecar?.path ?? null) : null, durationSeconds, words: voice.words, faceBox, committed };
  } finally {
    stopAll.abort();
    await Promise.all(inFlight);
    const temps = [tempVideo, tempThumb, ...(sidecar ? [sidecar.temp] : [])];
    await Promise.all([rm(workDir, { recursive: true, force: true }), ...temps.map((path) => rm(path, { force: true }))]);
  }
}

/**
 * The finished files, checked before they are published: ffmpeg can exit 0 having written a truncated
 * video or an empty thumbnail (a full disk). A file that does not read back is an error, and says
 * when the disk is full.
 */
async function checkWritten(tools: FfmpegTools, video: string, thumbnail: string, durationSeconds: number, outputDir: string): Promise<void> {
  const [info, damage] = await Promise.all([probe(tools.ffprobe.path, video), decodeProblem(tools.ffmpeg.path, thumbnail, 'image')]);
  const videoOk = info !== null && Boolean(firstStream(info, 'video')) && durationOf(info) >= durationSeconds - 0.5;
  if (videoOk && !damage) return;
  const space = await statfs(outputDir).catch(() => null);
  const full = space !== null && space.bavail * space.bsize < FULL_DISK_BYTES;
  throw new UgcError(full ? `no space left in ${outputDir}: the ${videoOk ? 'thumbnail' : 'video'} could not be written` : `the ${videoOk ? 'thumbnail' : 'video'} was not written completely`, {
    code: full ? 'no_space' : 'render_failed',
    hint: full ? 'Free some disk space, or write the video elsewhere (--out).' : undefined,
  });
}

/** Below this much free space, a write that came back short is put down to a full disk. */
const FULL_DISK_BYTES = 8 * 1024 * 1024;

async function prepareVoice(inputs: RenderInputs, tools: FfmpegTools, workDir: string, signal: AbortSignal): Promise<SpokenScript> {
  if (inputs.audio) {
    // The recording's own timings: captions and lips follow the speaker, and rest where the speaker pauses.
    // Without a script (a `ugc serve` job) the lips follow its loudness, and there are no words to caption.
    const aligned = inputs.script.trim()
      ? await alignScriptToRecording({ script: inputs.script, audioPath: inputs.audio, voice: inputs.voice, tools, signal })
      : await timeUnscriptedRecording({ audioPath: inputs.audio, tools, signal });
    return { path: inputs.audio, durationSeconds: aligned.durationSeconds, words: aligned.words, phonemes: aligned.phonemes };
  }
  if (inputs.speaker) return inputs.speaker.speak({ script: inputs.script, workDir, tools, signal });
  const speech = await synthesizeSpeech({ text: inputs.script, voice: inputs.voice, signal });
  const path = join(workDir, 'voice.wav');
  await writeWav(path, speech.samples, speech.sampleRate);
  return { path, durationSeconds: speech.durationSeconds, words: speech.words, phonemes: speech.phonemes };
}

async function writeCaptions(inputs: RenderInputs, words: WordTiming[], endCard: { productName?: string; cta?: string; start: number; end: number } | null, workDir: string): Promise<string | null> {
  if (inputs.captions === 'none' && !endCard) return null;
  const path = join(workDir, 'captions.ass');
  await writeFile(path, buildAssScript({ words: onAdTimeline(words), style: inputs.captions, size: inputs.size, aspect: inputs.aspect, endCard: endCard ?? undefined }));
  return path;
}

/** The subtitle file beside the video, and the temp file it is written to until published with the video. */
function subtitlesSidecar(videoPath: string, format: SubtitleFormat): { format: SubtitleFormat; path: string; temp: string } {
  const path = subtitlesPathFor(videoPath, format);
  return { format, path, temp: tempPathFor(path) };
}

/** Voice timings moved to where the voice sits in the ad (after the lead-in). */
function onAdTimeline(words: WordTiming[]): WordTiming[] {
  return words.map((w) => ({ ...w, start: w.start + LEAD_IN, end: w.end + LEAD_IN }));
}

async function prepareCardImage(inputs: RenderInputs, tools: FfmpegTools, workDir: string, signal: AbortSignal): Promise<string | null> {
  if (!inputs.productImage) return null;
  const path = join(workDir, 'card.png');
  const { box } = cardPlacement(inputs.aspect, inputs.size);
  await runFfmpeg(tools.ffmpeg.path, ['-i', inputs.productImage, '-filter_complex', productCardFilter(box), '-map', '[card]', '-frames:v', '1', path], { what: 'preparing the product card', signal });
  return path;
}

/** The card shows while the creator talks about the product: from 15% to 65% of the speech (at least 2 s). */
function cardWindow(speechSeconds: number): { start: number; end: number } {
  const start = LEAD_IN + speechSeconds * 0.15;
  return { start, end: Math.max(LEAD_IN + speechSeconds * 0.65, start + 2) };
}
