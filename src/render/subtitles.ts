/**
 * Subtitle sidecars for a rendered ad: SRT with one short phrase per cue, and WebVTT with the same phrases
 * timed word by word (each word after a cue's first is preceded by a `<hh:mm:ss.mmm>` timestamp tag, the
 * karaoke syntax of the WebVTT spec that players and platforms read). Times are on the ad's timeline.
 */
import { parse, format } from 'node:path';
import type { WordTiming } from './types.js';

import { SUBTITLE_VALUES } from '../core/request.js';

export const SUBTITLE_FORMATS = SUBTITLE_VALUES;
export type SubtitleFormat = (typeof SUBTITLE_FORMATS)[number];

/** A phrase longer than this many characters is split, so a cue fits on one or two short lines. */
const MAX_PHRASE_CHARS = 42;
/** A silence this long between two words ends a phrase. */
const PAUSE_BREAK_SECONDS = 0.35;
/** A cue shorter than this stays up a little longer, unless the next cue starts first. */
const MIN_CUE_MS = 500;

const SENTENCE_END = /[.!?…]["'”’)\]]*$/u;
const CLAUSE_END = /[,;:]["'”’)\]]*$/u;

/** The sidecar's path: the video's, with the format as its extension (`ad.mp4` → `ad.vtt`). */
export function subtitlesPathFor(videoPath: string, subtitleFormat: SubtitleFormat): string {
  const { dir, name } = parse(videoPath);
  return format({ dir, name, ext: `.${subtitleFormat}` });
}

export function buildSubtitles(subtitleFormat: SubtitleFormat, words: WordTiming[]): string {
  return subtitleFormat === 'srt' ? buildSrt(words) : buildVtt(words);
}

/** One cue per phrase: `1`, `00:00:00,300 --> 00:00:01,850`, the phrase, a blank line. SRT has no escapes; only its arrow is kept out of the text. */
export function buildSrt(words: WordTiming[]): string {
  return cues(words)
    .map((cue, i) => `${i + 1}\n${timestamp(cue.start, ',')} --> ${timestamp(cue.end, ',')}\n${cue.words.map((w) => w.text.replace(/-->/g, '->')).join(' ')}\n`)
    .join('\n');
}

/** `WEBVTT`, then one cue per phrase whose words after the first carry their start as a timestamp tag. */
export function buildVtt(words: WordTiming[]): string {
  const body = cues(words).map((cue) => {
    const text = cue.words.map((w, i) => (i === 0 ? '' : `<${timestamp(w.start, '.')}>`) + escapeVtt(w.text)).join(' ');
    return `${timestamp(cue.start, '.')} --> ${timestamp(cue.end, '.')}\n${text}\n`;
  });
  return ['WEBVTT\n', ...body].join('\n');
}

/** `&`, `<` and `>` as character references: the only markup WebVTT cue text has. */
export function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface CueWord {
  text: string;
  /** Milliseconds. */
  start: number;
  end: number;
}

interface Cue {
  start: number;
  end: number;
  words: CueWord[];
}

/**
 * Words grouped into phrases, in whole milliseconds, with every start strictly after the one before (so
 * timestamp tags always increase inside a cue) and each cue ending after its last tag and no later than the
 * next cue begins.
 */
function cues(words: WordTiming[]): Cue[] {
  const timed: CueWord[] = [];
  let last = -1;
  for (const word of words) {
    const text = word.text.trim();
    if (!text || !Number.isFinite(word.start) || !Number.isFinite(word.end)) continue;
    const start = Math.max(Math.round(word.start * 1000), last + 1, 0);
    timed.push({ text, start, end: Math.max(Math.round(word.end * 1000), start + 1) });
    last = start;
  }

  const phrases: CueWord[][] = [];
  let current: CueWord[] = [];
  for (const word of timed) {
    const previous = current.at(-1);
    const length = current.reduce((sum, w) => sum + w.text.length + 1, 0) + word.text.length;
    if (previous && (word.start - previous.end > PAUSE_BREAK_SECONDS * 1000 || length > MAX_PHRASE_CHARS)) {
      phrases.push(current);
      current = [];
    }
    current.push(word);
    if (SENTENCE_END.test(word.text) || (CLAUSE_END.test(word.text) && current.length >= 2)) {
      phrases.push(current);
      current = [];
    }
  }
  if (current.length > 0) phrases.push(current);

  return phrases.map((phrase, i) => {
    const first = phrase[0] as CueWord;
    const lastWord = phrase.at(-1) as CueWord;
    const nextStart = phrases[i + 1]?.[0]?.start ?? Infinity;
    const end = Math.min(Math.max(lastWord.end, first.start + MIN_CUE_MS), nextStart);
    return { start: first.start, end: Math.max(end, lastWord.start + 1), words: phrase };
  });
}

/** `hh:mm:ss.mmm` (or with a comma, SRT's way). */
function timestamp(ms: number, separator: ',' | '.'): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = Math.floor(ms / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}${separator}${pad(ms % 1000, 3)}`;
}
