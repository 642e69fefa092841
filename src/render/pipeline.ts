import { copyFile, mkdir, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { tempPathFor } from '../core/atomic-write.js';
import { UgcError } from '../core/errors.js';
import { alignScriptToRecording } from './align/index.js';
import { timeUnscriptedRecording } from './align/unscripted.js';
import { renderAudioTrack, type AudioPlan } from './audio.js';
import { buildAssScript, CAPTION_FONTS_DIR, type EndCard, type Hook } from './captions.js';
import { compositionArgs, FPS, muxArgs, thumbnailArgs, type CompositionPlan } from './compose.js';
import { brollWindows, dimmedFillFilter, productShotFilter, productWindow, type CutIn, type Window } from './cutins.js';
import { creatorPanel, planLayout, type Layout, type Rect } from './layout.js';
import { DEFAULT_SPLIT_BACKGROUND, type Brand } from './brand.js';
import { UPLOAD_SPECS, type Platform } from '../core/platforms.js';
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

/**
 * Where the voice starts: at once (a pause before the first word loses viewers in the first second). The
 * voice engines' own audio already begins with a few milliseconds of silence, so nothing clicks.
 */
export const LEAD_IN = 0;
/** After the last word, before the ad ends. */
const TAIL = 0.6;
/** The end card: at most this long, and it comes while the last words are still being said. */
const END_CARD = 2;
const END_CARD_OVER_VOICE = 1.4;
/** The hook shows this long, ending where a word starts (the captions take over from that word). */
const HOOK = { min: 1.6, preferred: 2, max: 2.6 } as const;

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
  /** Where the overlays went. */
  layout: Layout;
  /** The product and b-roll shots, on the ad's clock. */
  cutIns: CutIn[];
  endCardStart: number | null;
  /** Lines for the user (a length outside the platform's range). */
  warnings: string[];
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
    const panel = creatorPanel(inputs.aspect, inputs.size);
    const panelSize = { width: panel.width, height: panel.height };
    // Framing needs no voice: its ffmpeg process runs while TTS computes.
    const plateReady = track(framePlate(inputs.creatorImage, panelSize, tools, workDir, signal, inputs.rig));
    plateReady.catch(() => undefined);
    const scenes = inputs.scenes;
    const spokenScenes = scenes ? await speakScenes(scenes, (scene, dir) => prepareVoice({ ...inputs, ...scene, audio: null }, tools, dir, signal), tools, workDir, signal) : null;
    const voice = spokenScenes ?? (await prepareVoice(inputs, tools, workDir, signal));
    const words = onAdTimeline(voice.words);
    const lastWordEnd = words.at(-1)?.end ?? voice.durationSeconds;
    const natural = Math.max(LEAD_IN + voice.durationSeconds, lastWordEnd + TAIL);
    const durationSeconds = Math.ceil(Math.max(natural, inputs.minDurationSeconds ?? 0) * FPS) / FPS;
    const hookEnd = inputs.hook ? hookEndAt(words) : 0;
    const wantsEndCard = Boolean(inputs.productName || inputs.cta || inputs.url);
    const endCardStart = wantsEndCard ? Math.max(durationSeconds - END_CARD, lastWordEnd - END_CARD_OVER_VOICE, hookEnd) : durationSeconds;
    report('voice', 1);

    signal.throwIfAborted();
    report('prepare', 0);
    const audio: AudioPlan = { voicePath: voice.path, voiceOffsetSeconds: LEAD_IN, musicPath: inputs.music, durationSeconds };
    const runner = options.runner ?? getRunner(inputs.runner);
    // The audio track is measured, mixed and encoded in its own processes while the video encodes.
    const audioTrack = track(renderAudioTrack(audio, workDir, tools, signal));
    audioTrack.catch(() => undefined);
    const plate = await plateReady;
    const faceInPanel = plate.rig ? plateBoxInFrame(plate.rig.face, panelSize, plate) : null;
    const layout = planLayout({ frame: inputs.size, aspect: inputs.aspect, platform: inputs.platform, face: faceInPanel, logo: inputs.brand?.logo });
    const faceBox = faceInPanel ? { ...faceInPanel, x: faceInPanel.x + panel.x, y: faceInPanel.y + panel.y } : null;
    const cutIns = planCutIns(inputs, words, { start: hookEnd, end: endCardStart });
    const [clip, assPath, productShot, endCardPath, logoPath, fontsDir] = await Promise.all([
      scenes && spokenScenes
        ? scenesClip({ scenes, voice: spokenScenes, voiceOffsetSeconds: LEAD_IN, durationSeconds, runner, size: panelSize, fps: FPS, workDir, tools, signal })
        : runner.prepare({ plate, audioPath: voice.path, voiceOffsetSeconds: LEAD_IN, words: voice.words, phonemes: voice.phonemes, durationSeconds, size: panelSize, fps: FPS, workDir, tools, signal }),
      writeCaptions(inputs, words, layout, inputs.hook ? { text: inputs.hook, end: hookEnd } : undefined, wantsEndCard ? { productName: inputs.productName ?? undefined, cta: inputs.cta ?? undefined, url: inputs.url ?? undefined, start: endCardStart, end: durationSeconds } : undefined, workDir),
      inputs.productImage ? prepareStill(inputs.productImage, productShotFilter(inputs.size, productBox(layout)), 'product.png', tools, workDir, signal) : null,
      wantsEndCard ? prepareEndCard(inputs, layout, plate.path, tools, workDir, signal) : null,
      inputs.brand?.logo && layout.logo ? prepareStill(inputs.brand.logo.path, logoFilter(layout.logo), 'logo.png', tools, workDir, signal) : null,
      captionFonts(inputs.brand, workDir),
    ]);
    for (const cut of cutIns) if (cut.kind === 'product' && productShot) cut.path = productShot;
    report('prepare', 1);

    await mkdir(dirname(options.outputPath), { recursive: true });
    await mkdir(dirname(options.thumbnailPath), { recursive: true });
    const filterScriptPath = join(workDir, 'graph.txt');
    const videoTrack = join(workDir, 'video.mp4');
    const plan: CompositionPlan = {
      clip, frame: inputs.size, creator: panel, background: inputs.brand?.background ?? DEFAULT_SPLIT_BACKGROUND, cutIns, endCard: endCardPath ? { path: endCardPath, start: endCardStart } : null,
      logo: logoPath && layout.logo ? { path: logoPath, x: layout.logo.x, y: layout.logo.y } : null, assPath, fontsDir, durationSeconds, outputPath: videoTrack, filterScriptPath,
    };
    const { args, filterGraph } = compositionArgs(plan);
    await writeFile(filterScriptPath, filterGraph);
    await runFfmpeg(tools.ffmpeg.path, args, { what: 'encoding the video', signal, durationSeconds, onProgress: (f) => report('encode', f) });
    report('finish', 0);
    // The thumbnail shows the creator talking, after the hook.
    const thumbAt = Math.min(hookEnd + 0.8, durationSeconds / 2);
    await Promise.all([
      track(runFfmpeg(tools.ffmpeg.path, muxArgs(videoTrack, await audioTrack, durationSeconds, tempVideo), { what: 'joining audio and video', signal })),
      track(runFfmpeg(tools.ffmpeg.path, thumbnailArgs(videoTrack, thumbAt, tempThumb), { what: 'writing the thumbnail', signal })),
    ]);
    await checkWritten(tools, tempVideo, tempThumb, durationSeconds, dirname(options.outputPath));

    if (sidecar) await writeFile(sidecar.temp, buildSubtitles(sidecar.format, words));

    signal.throwIfAborted();
    const publish = async () => {
      await rename(tempVideo, options.outputPath);
      await rename(tempThumb, options.thumbnailPath);
      if (sidecar) await rename(sidecar.temp, sidecar.path);
    };
    const committed = options.commit ? await options.commit(durationSeconds, publish) : (await publish(), true);
    report('finish', 1);
    return { outputPath: options.outputPath, thumbnailPath: options.thumbnailPath, subtitlesPath: committed ? (sidecar?.path ?? null) : null, durationSeconds, words: voice.words, faceBox, layout, cutIns, endCardStart: wantsEndCard ? endCardStart : null, warnings: inputs.platformChosen ? lengthWarnings(inputs.platform, durationSeconds) : [], committed };
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

async function writeCaptions(inputs: RenderInputs, words: WordTiming[], layout: Layout, hook: Hook | undefined, endCard: EndCard | undefined, workDir: string): Promise<string | null> {
  if (inputs.captions === 'none' && !endCard && !hook) return null;
  const path = join(workDir, 'captions.ass');
  const brand = inputs.brand;
  await writeFile(path, buildAssScript({ words, style: inputs.captions, size: inputs.size, aspect: inputs.aspect, layout, hook, endCard, look: brand?.look, button: brand?.cta }));
  return path;
}

/** The hook ends where a word starts near two seconds in, so no word is cut between hook and captions. */
function hookEndAt(words: WordTiming[]): number {
  const start = words.find((w) => w.start >= HOOK.min && w.start <= HOOK.max)?.start;
  return start ?? HOOK.preferred;
}

/** The product shot where the script names it, then the b-roll at sentence starts, all between the hook and the end card. */
function planCutIns(inputs: RenderInputs, words: WordTiming[], bounds: Window): CutIn[] {
  const cuts: CutIn[] = [];
  // An ad in scenes places its product shot in the scene that asks for it (`product: true`), not here.
  const product = inputs.productImage && !inputs.scenes ? productWindow(words, inputs.productName, bounds) : null;
  if (product && inputs.productImage) cuts.push({ kind: 'product', path: inputs.productImage, video: false, ...product });
  const broll = brollWindows(words, inputs.broll.length, cuts, bounds);
  broll.forEach((window, i) => {
    const shot = inputs.broll[i];
    if (shot) cuts.push({ kind: 'broll', path: shot.path, video: shot.video, ...window });
  });
  return cuts.sort((a, b) => a.start - b.start);
}

/** A length outside the platform's range, said as a warning (the ad is still made). */
function lengthWarnings(platform: Platform, seconds: number): string[] {
  const spec = UPLOAD_SPECS[platform];
  const range = spec.seconds;
  const s = seconds.toFixed(1);
  if (range.min !== undefined && seconds < range.min) return [`The ad is ${s} s; ${spec.title} takes ${range.min}-${range.max ?? '…'} s: lengthen the script or pass --duration.`];
  if (range.max !== undefined && seconds > range.max) return [`The ad is ${s} s; ${spec.title} takes at most ${range.max} s: shorten the script.`];
  const suggested = range.suggested;
  if (suggested && ((suggested.min !== undefined && seconds < suggested.min) || (suggested.max !== undefined && seconds > suggested.max))) {
    return [`The ad is ${s} s; ${spec.title} suggests ${suggested.min}-${suggested.max} s.`];
  }
  return [];
}

/** Where the product sits in its cut-in: the safe zone, or in a split layout the creator's side of it (the captions keep theirs). */
function productBox(layout: Layout): Rect {
  if (!layout.split) return layout.safe;
  const right = Math.min(layout.safe.x + layout.safe.width, layout.creator.x + layout.creator.width);
  return { ...layout.safe, width: right - layout.safe.x };
}

/** The shipped caption fonts, plus the brand's own font in a private folder when it has one. */
async function captionFonts(brand: Brand | null, workDir: string): Promise<string> {
  if (!brand?.fontFile) return CAPTION_FONTS_DIR;
  const dir = join(workDir, 'fonts');
  await mkdir(dir, { recursive: true });
  await Promise.all([copyFile(join(CAPTION_FONTS_DIR, 'Montserrat-ExtraBold.ttf'), join(dir, 'Montserrat-ExtraBold.ttf')), copyFile(brand.fontFile, join(dir, `brand${extname(brand.fontFile)}`))]);
  return dir;
}

/** Single-frame filter: the logo contained in its square, transparency kept. */
function logoFilter(box: Rect): string {
  return `[0:v]format=rgba,scale=${box.width}:${box.height}:force_original_aspect_ratio=decrease:flags=lanczos[shot]`;
}

/** One picture made once from `image` by a single-frame filter graph ending in `[shot]`. */
async function prepareStill(image: string, graph: string, name: string, tools: FfmpegTools, workDir: string, signal: AbortSignal): Promise<string> {
  const path = join(workDir, name);
  await runFfmpeg(tools.ffmpeg.path, ['-i', image, '-filter_complex', graph, '-map', '[shot]', '-frames:v', '1', path], { what: `preparing ${name}`, signal });
  return path;
}

/** The end card's picture: the product shot, or the creator blurred and dimmed; its text is drawn with the captions. */
function prepareEndCard(inputs: RenderInputs, layout: Layout, platePath: string, tools: FfmpegTools, workDir: string, signal: AbortSignal): Promise<string> {
  if (inputs.productImage) return prepareStill(inputs.productImage, productShotFilter(inputs.size, layout.endCard.product), 'end-card.png', tools, workDir, signal);
  return prepareStill(platePath, dimmedFillFilter(inputs.size), 'end-card.png', tools, workDir, signal);
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
