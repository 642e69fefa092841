/**
 * Real speech for the speech-engine emulators: Debian's Festival speaks the text (a voice that is not
 * eSpeak), ffmpeg changes its tempo and encodes it as the API was asked, and the times of every word are
 * known exactly (Festival's own). Each call is recorded, so tests can compare what a render timed against
 * the truth of the very audio the emulator sent.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { locateFfmpeg } from '../../src/render/ffmpeg/locate.js';
import { speakWithFestival, type FestivalVoice, type TimedWord } from '../speech/festival.js';

export interface SpokenTruth {
  text: string;
  speed: number;
  durationSeconds: number;
  /** Festival's words (letters only), on the returned audio's clock. */
  words: TimedWord[];
  /** Festival's phones ("pau" for pauses), on the returned audio's clock. */
  segments: TimedWord[];
}

export type AudioFormat = 'mp3' | 'wav' | 'opus' | 'aac' | 'flac' | 'pcm';

/** ffmpeg output arguments per format, at a sample rate like the real services' (OpenAI 24 kHz, ElevenLabs mp3 44.1 kHz). */
function formatArgs(format: AudioFormat, sampleRate: number): string[] {
  const rate = ['-ar', String(sampleRate), '-ac', '1'];
  switch (format) {
    case 'mp3':
      return [...rate, '-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3'];
    case 'wav':
      return [...rate, '-c:a', 'pcm_s16le', '-f', 'wav'];
    case 'opus':
      return ['-ar', '48000', '-ac', '1', '-c:a', 'libopus', '-b:a', '64k', '-f', 'ogg'];
    case 'aac':
      return [...rate, '-c:a', 'aac', '-b:a', '96k', '-f', 'adts'];
    case 'flac':
      return [...rate, '-c:a', 'flac', '-f', 'flac'];
    case 'pcm':
      return [...rate, '-c:a', 'pcm_s16le', '-f', 's16le'];
  }
}

/** atempo takes 0.5–2 per instance in this ffmpeg: chain instances for the rest. */
function atempoChain(speed: number): string {
  const parts: number[] = [];
  let rest = speed;
  while (rest > 2) {
    parts.push(2);
    rest /= 2;
  }
  while (rest < 0.5) {
    parts.push(0.5);
    rest /= 0.5;
  }
  parts.push(rest);
  return parts.map((p) => `atempo=${p.toFixed(6)}`).join(',');
}

/** Speaks `text` at `speed` and returns the encoded audio with its truth. */
export async function festivalAudio(text: string, options: { voice: FestivalVoice; speed: number; format: AudioFormat; sampleRate: number }): Promise<{ audio: Buffer; truth: SpokenTruth }> {
  const dir = await mkdtemp(join(tmpdir(), 'ugc-speech-emu-'));
  try {
    const spoken = await speakWithFestival(text, join(dir, 'voice.wav'), { voice: options.voice });
    const { ffmpeg } = await locateFfmpeg();
    const out = join(dir, 'out');
    const filter = options.speed === 1 ? [] : ['-af', atempoChain(options.speed)];
    await execa(ffmpeg.path, ['-v', 'error', '-y', '-i', spoken.path, ...filter, ...formatArgs(options.format, options.sampleRate), out]);
    const scale = (w: TimedWord) => ({ text: w.text, start: w.start / options.speed, end: w.end / options.speed });
    const truth = { text, speed: options.speed, durationSeconds: spoken.durationSeconds / options.speed, words: spoken.words.map(scale), segments: spoken.segments.map(scale) };
    return { audio: await readFile(out), truth };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const bare = (word: string) => word.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/**
 * Per-character times as ElevenLabs gives them for `text`: each written word's letters share the spoken
 * word's span evenly; spaces and punctuation between two words share the gap between them. Null when the
 * written and spoken words cannot be paired by spelling.
 */
export function characterTimes(text: string, words: TimedWord[], durationSeconds: number): { characters: string[]; starts: number[]; ends: number[] } | null {
  const chars = [...text];
  const spans: { first: number; last: number }[] = [];
  let i = 0;
  while (i < chars.length) {
    if (/[\p{L}\p{N}']/u.test(chars[i] ?? '')) {
      const first = i;
      while (i < chars.length && /[\p{L}\p{N}']/u.test(chars[i] ?? '')) i++;
      spans.push({ first, last: i - 1 });
    } else i++;
  }
  if (spans.length !== words.length || spans.some((s, k) => bare(chars.slice(s.first, s.last + 1).join('')) !== bare(words[k]?.text ?? ''))) return null;
  const starts = new Array<number>(chars.length).fill(0);
  const ends = new Array<number>(chars.length).fill(0);
  spans.forEach((span, k) => {
    const word = words[k] as TimedWord;
    const n = span.last - span.first + 1;
    for (let j = 0; j < n; j++) {
      starts[span.first + j] = word.start + ((word.end - word.start) * j) / n;
      ends[span.first + j] = word.start + ((word.end - word.start) * (j + 1)) / n;
    }
  });
  // The characters between words (and before the first, after the last) share the gaps.
  const gaps: { first: number; last: number; from: number; to: number }[] = [];
  let previousEnd = 0;
  let cursor = 0;
  spans.forEach((span, k) => {
    gaps.push({ first: cursor, last: span.first - 1, from: previousEnd, to: words[k]?.start ?? previousEnd });
    previousEnd = words[k]?.end ?? previousEnd;
    cursor = span.last + 1;
  });
  gaps.push({ first: cursor, last: chars.length - 1, from: previousEnd, to: durationSeconds });
  for (const gap of gaps) {
    const n = gap.last - gap.first + 1;
    for (let j = 0; j < n; j++) {
      starts[gap.first + j] = gap.from + ((gap.to - gap.from) * j) / n;
      ends[gap.first + j] = gap.from + ((gap.to - gap.from) * (j + 1)) / n;
    }
  }
  const round = (t: number) => Math.round(t * 1000) / 1000;
  return { characters: chars, starts: starts.map(round), ends: ends.map(round) };
}
