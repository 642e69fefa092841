/** Builds the ASS subtitle script (captions + end card) that ffmpeg's `ass` filter burns into the video. */
import path from 'node:path';
import { TEMPLATES_DIR } from './assets.js';
import type { Aspect, CaptionStyle, FrameSize, WordTiming } from './types.js';

/** Family name libass matches for `templates/fonts/Montserrat-ExtraBold.ttf` (its name-table family, ID 1). */
export const CAPTION_FONT_FAMILY = 'Montserrat ExtraBold';
export const CAPTION_FONTS_DIR = path.join(TEMPLATES_DIR, 'fonts');

export interface EndCard {
  productName?: string;
  cta?: string;
  start: number;
  end: number;
}

export interface BuildAssOptions {
  words: WordTiming[];
  style: CaptionStyle;
  size: FrameSize;
  aspect: Aspect;
  endCard?: EndCard;
}

/** Where captions may go: the horizontal safe span, and the anchor line (`\an5` centre or `\an2` bottom). */
export interface CaptionArea {
  left: number;
  right: number;
  y: number;
  align: 2 | 5;
}

export function captionArea(size: FrameSize, aspect: Aspect): CaptionArea {
  const { width: w, height: h } = size;
  switch (aspect) {
    // Right margin is wider to clear the like/share rail; y keeps clear of the caption/music UI at the bottom.
    case '9:16':
      return { left: 0.08 * w, right: 0.85 * w, y: 0.65 * h, align: 5 };
    case '16:9':
      return { left: 0.1 * w, right: 0.9 * w, y: 0.92 * h, align: 2 };
    case '1:1':
      return { left: 0.08 * w, right: 0.92 * w, y: 0.7 * h, align: 5 };
  }
}

// ASS colours are &HAABBGGRR (alpha 00 = opaque).
const YELLOW = '&H0000D6FF';
const WHITE = '&H00FFFFFF';
const BLACK = '&H00000000';
const DARK = '&H00141414';
const SHADOW = '&H80000000'; // BackColour: half-transparent black shadow

const PAUSE_BREAK = 0.35;
const MIN_FONT_SCALE = 0.6;

const KARAOKE_CHUNK: Record<Aspect, { words: number; chars: number }> = {
  '9:16': { words: 3, chars: 18 },
  '1:1': { words: 4, chars: 22 },
  '16:9': { words: 5, chars: 30 },
};
const CLEAN_CHARS = 32;

/**
 * Conservative advance of one character in pixels per pixel of libass font size, calibrated on Montserrat
 * ExtraBold (measured lowercase ≈ 0.39, uppercase ≈ 0.48, W ≈ 0.76) with ~15% headroom.
 */
function charAdvance(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (ch === ' ') return 0.24;
  if (cp === 0x200b) return 0;
  if (isWideCodePoint(cp)) return 1.05;
  const base = ch.normalize('NFD')[0] ?? ch;
  if ("ijlI.,:;'!|".includes(base)) return 0.26;
  if ('frt()[]"-/\\*'.includes(base)) return 0.36;
  if ('mwMW@%ÆŒæœ'.includes(base)) return 0.82;
  if (/[A-Z]/.test(base)) return 0.62;
  if (/[a-z0-9]/.test(base)) return 0.48;
  return 0.64;
}

function isWideCodePoint(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Estimated rendered width in pixels of `text` at libass font size `fontSize` (outline not included). */
export function estimateTextWidth(text: string, fontSize: number): number {
  let units = 0;
  for (const ch of text) units += charAdvance(ch);
  return units * fontSize;
}

// Emoji pieces; ©®™ are Extended_Pictographic too but the font has them, so they stay.
const EMOJI = /\p{Extended_Pictographic}|\p{Emoji_Modifier}|[\u{1F1E6}-\u{1F1FF}]|\u200D|\u20E3|[\uFE00-\uFE0F]|[\u{E0020}-\u{E007F}]|[\u{E0100}-\u{E01EF}]/gu;
const KEEP = new Set(['©', '®', '™']);

/** Removes emoji and control characters, folds whitespace to single spaces. */
export function cleanCaptionText(text: string): string {
  return text
    .normalize('NFC')
    .replace(EMOJI, (c) => (KEEP.has(c) ? c : ''))
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ')
    .trim();
}

/** Makes text inert for ASS: braces would open override blocks, a backslash could form `\N` etc. */
export function escapeAssText(text: string): string {
  // The zero-width space after a backslash keeps it literal (libass has no escape for it); the font has U+200B.
  return text.replace(/\\/g, '\\\u200b').replace(/\{/g, '(').replace(/\}/g, ')');
}

/** Escapes a value for an ffmpeg filter option inside a -vf/-filter_complex string (both escaping levels). */
export function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':\s]/g, '\\$&');
  return optionLevel.replace(/[\\'[\],;\s]/g, '\\$&');
}

/** The `ass` filter that burns `assPath` using the shipped caption fonts. */
export function assFilter(assPath: string, fontsDir: string = CAPTION_FONTS_DIR): string {
  return `ass=filename=${escapeFilterValue(assPath)}:fontsdir=${escapeFilterValue(fontsDir)}`;
}

/** Centiseconds to ASS `H:MM:SS.cc`. */
function assTime(cs: number): string {
  const c = Math.max(0, Math.round(cs));
  const h = Math.floor(c / 360000);
  const m = Math.floor((c % 360000) / 6000);
  const s = Math.floor((c % 6000) / 100);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${h}:${pad(m)}:${pad(s)}.${pad(c % 100)}`;
}

interface Word {
  text: string;
  start: number; // centiseconds
  end: number;
}

/** Cleans texts, drops empty words, and makes times integral, monotonic and non-overlapping. */
function normaliseWords(words: WordTiming[]): Word[] {
  const out: Word[] = [];
  for (const w of words) {
    const text = cleanCaptionText(w.text);
    if (!text || !Number.isFinite(w.start) || !Number.isFinite(w.end)) continue;
    const prev = out[out.length - 1];
    const start = Math.max(Math.round(w.start * 100), prev?.start ?? 0, 0);
    out.push({ text, start, end: Math.max(Math.round(w.end * 100), start) });
  }
  for (let i = 0; i + 1 < out.length; i++) {
    const cur = out[i] as Word;
    cur.end = Math.min(cur.end, (out[i + 1] as Word).start);
  }
  return out;
}

function chunkWords(words: Word[], maxWords: number, maxChars: number, breakAfter: RegExp): Word[][] {
  const chunks: Word[][] = [];
  let cur: Word[] = [];
  let chars = 0;
  for (const w of words) {
    const prev = cur[cur.length - 1];
    const len = [...w.text].length;
    if (
      prev &&
      (cur.length >= maxWords ||
        chars + 1 + len > maxChars ||
        w.start - prev.end > PAUSE_BREAK * 100 ||
        breakAfter.test(prev.text))
    ) {
      chunks.push(cur);
      cur = [];
      chars = 0;
    }
    chars += (cur.length ? 1 : 0) + len;
    cur.push(w);
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}

interface Piece {
  word: number; // index of the word this piece (a whole word or a hyphenated part) belongs to
  text: string;
}

/** Splits a word wider than `avail` into hyphenated pieces of similar length that each fit. */
function splitWord(word: string, fontSize: number, avail: number): string[] {
  if (estimateTextWidth(word, fontSize) <= avail) return [word];
  const chars = [...word];
  for (let n = Math.ceil(estimateTextWidth(`${word}-`, fontSize) / avail); ; n++) {
    const per = Math.ceil(chars.length / n);
    const pieces: string[] = [];
    for (let k = 0; k < chars.length; k += per) {
      const piece = chars.slice(k, k + per).join('');
      pieces.push(k + per < chars.length ? `${piece}-` : piece);
    }
    if (per === 1 || pieces.every((p) => estimateTextWidth(p, fontSize) <= avail)) return pieces;
  }
}

function wrap(words: string[], fontSize: number, avail: number): Piece[][] {
  const lines: Piece[][] = [];
  let line: Piece[] = [];
  let width = 0;
  const space = estimateTextWidth(' ', fontSize);
  words.forEach((word, i) => {
    const parts = splitWord(word, fontSize, avail);
    parts.forEach((text, j) => {
      const w = estimateTextWidth(text, fontSize);
      if (line.length && width + space + w > avail) {
        lines.push(line);
        line = [];
        width = 0;
      }
      width += (line.length ? space : 0) + w;
      line.push({ word: i, text });
      if (j < parts.length - 1) {
        lines.push(line);
        line = [];
        width = 0;
      }
    });
  });
  if (line.length) lines.push(line);
  return lines;
}

/** Wraps words into at most `maxLines` lines of at most `maxWidth` px, shrinking the font (to a floor) if needed. */
function fit(words: string[], fontSize: number, maxWidth: number, maxLines: number): { fontSize: number; lines: Piece[][] } {
  const floor = Math.max(8, Math.round(fontSize * MIN_FONT_SCALE));
  const widest = Math.max(0, ...words.map((w) => estimateTextWidth(w, 1)));
  let size = fontSize;
  if (widest * size > maxWidth) size = Math.max(floor, Math.floor(maxWidth / widest));
  for (;;) {
    const lines = wrap(words, size, maxWidth);
    // Past the floor, extra lines (a hyphen-split giant word) beat leaving the frame.
    if (lines.length <= maxLines || size <= floor) return { fontSize: size, lines };
    size = Math.max(floor, Math.floor(size * 0.9));
  }
}

interface StyleSpec {
  name: string;
  size: number;
  primary: string;
  secondary: string;
  outlineColour: string;
  borderStyle: 1 | 3;
  outline: number;
  shadow: number;
}

/** Styles scaled to the frame's short side (`unit`); libass font size is ~1.2× the em, so 0.08 ≈ 6.5% em. */
function styleSpecs(unit: number): Record<'karaoke' | 'clean' | 'title' | 'cta', StyleSpec> {
  const outlined = (name: string, scale: number, primary: string, outline: number): StyleSpec => {
    const size = Math.round(unit * scale);
    const shadow = Math.round(size * 0.04);
    return { name, size, primary, secondary: WHITE, outlineColour: BLACK, borderStyle: 1, outline: Math.round(size * outline), shadow };
  };
  const ctaSize = Math.round(unit * 0.055);
  return {
    // \k fills each word from SecondaryColour (white) to PrimaryColour (the highlight) when it is spoken.
    karaoke: outlined('Karaoke', 0.08, YELLOW, 0.09),
    clean: outlined('Clean', 0.06, WHITE, 0.06),
    title: outlined('EndTitle', 0.1, WHITE, 0.07),
    // BorderStyle 3 draws an opaque box in OutlineColour, Outline being its padding.
    cta: {
      name: 'EndCta', size: ctaSize, primary: DARK, secondary: DARK, outlineColour: YELLOW,
      borderStyle: 3, outline: Math.round(ctaSize * 0.4), shadow: 0,
    },
  };
}

function styleLine(s: StyleSpec): string {
  return (
    `Style: ${s.name},${CAPTION_FONT_FAMILY},${s.size},${s.primary},${s.secondary},${s.outlineColour},${SHADOW},` +
    `-1,0,0,0,100,100,0,0,${s.borderStyle},${s.outline},${s.shadow},5,0,0,0,1`
  );
}

/** Width left for glyphs once outline (both sides) and shadow offset are drawn. */
function inner(width: number, style: StyleSpec): number {
  return width - 2 * style.outline - style.shadow;
}

function dialogue(start: number, end: number, style: StyleSpec, text: string): string {
  return `Dialogue: 0,${assTime(start)},${assTime(end)},${style.name},,0,0,0,,${text}`;
}

/** A non-karaoke text event: wrapped to `width` px, max 2 lines, overrides prepended. */
function textEvent(start: number, end: number, style: StyleSpec, text: string, width: number, overrides: string): string {
  const { fontSize, lines } = fit(text.split(' '), style.size, inner(width, style), 2);
  const fs = fontSize === style.size ? '' : `\\fs${fontSize}`;
  const body = lines.map((l) => escapeAssText(l.map((p) => p.text).join(' '))).join('\\N');
  return dialogue(start, end, style, `{${overrides}${fs}}${body}`);
}

function karaokeEvent(chunk: Word[], style: StyleSpec, width: number, overrides: string): string {
  const { fontSize, lines } = fit(chunk.map((w) => w.text), style.size, inner(width, style), 2);
  let text = `{${overrides}${fontSize === style.size ? '' : `\\fs${fontSize}`}}`;
  let lastWord = -1;
  lines.forEach((line, li) => {
    if (li > 0) text += '\\N';
    line.forEach((piece, pi) => {
      if (pi > 0) text += ' ';
      if (piece.word !== lastWord) {
        // A word stays current until the next one starts, so pauses inside a chunk keep the sync.
        const w = chunk[piece.word] as Word;
        const next = chunk[piece.word + 1];
        text += `{\\k${(next ? next.start : w.end) - w.start}}`;
        lastWord = piece.word;
      }
      text += escapeAssText(piece.text);
    });
  });
  const first = chunk[0] as Word;
  return dialogue(first.start, (chunk[chunk.length - 1] as Word).end, style, text);
}

const hasDuration = (chunk: Word[]) => (chunk[chunk.length - 1] as Word).end > (chunk[0] as Word).start;
const SENTENCE_END = /[.!?…;:]["')\]»”’]*$/u;
const PHRASE_END = /[.!?…;:,]["')\]»”’]*$/u;

export function buildAssScript(opts: BuildAssOptions): string {
  const { size, aspect, style } = opts;
  const styles = styleSpecs(Math.min(size.width, size.height));
  const area = captionArea(size, aspect);
  const width = area.right - area.left;
  // A bottom anchor places the text box itself there, so lift it by what outline and shadow add below.
  const anchor = (s: StyleSpec) =>
    `\\an${area.align}\\pos(${Math.round((area.left + area.right) / 2)},${Math.round(area.align === 2 ? area.y - s.outline - s.shadow : area.y)})`;
  const words = normaliseWords(opts.words);
  const events: string[] = [];

  if (style === 'karaoke') {
    const limits = KARAOKE_CHUNK[aspect];
    for (const chunk of chunkWords(words, limits.words, limits.chars, PHRASE_END).filter(hasDuration)) {
      events.push(karaokeEvent(chunk, styles.karaoke, width, anchor(styles.karaoke)));
    }
  } else if (style === 'clean') {
    for (const chunk of chunkWords(words, Infinity, CLEAN_CHARS, SENTENCE_END).filter(hasDuration)) {
      const [first, last] = [chunk[0] as Word, chunk[chunk.length - 1] as Word];
      const text = chunk.map((w) => w.text).join(' ');
      events.push(textEvent(first.start, last.end, styles.clean, text, width, anchor(styles.clean)));
    }
  }
  if (opts.endCard) events.push(...endCardEvents(opts.endCard, size, area, styles.title, styles.cta));

  return [
    '[Script Info]',
    'ScriptType: v4.00+',
    `PlayResX: ${size.width}`,
    `PlayResY: ${size.height}`,
    'WrapStyle: 2',
    'ScaledBorderAndShadow: yes',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    ...Object.values(styles).map(styleLine),
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...events,
    '',
  ].join('\n');
}

function endCardEvents(card: EndCard, size: FrameSize, area: CaptionArea, title: StyleSpec, cta: StyleSpec): string[] {
  const start = Math.round(card.start * 100);
  const end = Math.round(card.end * 100);
  const name = cleanCaptionText(card.productName ?? '');
  const action = cleanCaptionText(card.cta ?? '');
  if (!(end > start) || (!name && !action)) return [];

  // Centred on the frame, with the wider caption margin on both sides so it still clears side UI.
  const margin = Math.max(area.left, size.width - area.right);
  const width = size.width - 2 * margin;
  const cx = Math.round(size.width / 2);
  const cy = Math.round(size.height * (size.height > size.width ? 0.45 : 0.5));
  const gap = Math.round(cta.outline + Math.min(size.width, size.height) * 0.025);
  const fadeMs = Math.min(250, Math.floor(((end - start) * 10) / 3));
  const fad = `\\fad(${fadeMs},${fadeMs})`;
  const centre = `\\an5\\pos(${cx},${cy})`;
  const events: string[] = [];
  // With both present the title sits above the centre line (bottom-anchored) and the CTA below it (top-anchored).
  if (name) events.push(textEvent(start, end, title, name, width, (action ? `\\an2\\pos(${cx},${cy - gap})` : centre) + fad));
  if (action) events.push(textEvent(start, end, cta, action, width, (name ? `\\an8\\pos(${cx},${cy + gap})` : centre) + fad));
  return events;
}
