/** Builds the ASS subtitle script (captions + end card) that ffmpeg's `ass` filter burns into the video. */
import path from 'node:path';
import { TEMPLATES_DIR } from './assets.js';
import { planLayout, type Layout, type Rect } from './layout.js';
import type { Aspect, CaptionStyle, FrameSize, WordTiming } from './types.js';

/** Family name libass matches for `templates/fonts/Montserrat-ExtraBold.ttf` (its name-table family, ID 1). */
export const CAPTION_FONT_FAMILY = 'Montserrat ExtraBold';
export const CAPTION_FONTS_DIR = path.join(TEMPLATES_DIR, 'fonts');

export interface EndCard {
  productName?: string;
  cta?: string;
  url?: string;
  start: number;
  end: number;
}

/** Big opening text over the first seconds; the captions wait until it is gone. */
export interface Hook {
  text: string;
  end: number;
}

/** Colours as `#RRGGBB`, and the family libass finds the font by (see brand.ts). */
export interface CaptionLook {
  fontFamily: string;
  text: string;
  highlight: string;
  /** The box behind the spoken word (`box`) and the CTA button. */
  accent: string;
  /** Text on the accent colour. */
  onAccent: string;
}

export const DEFAULT_LOOK: CaptionLook = { fontFamily: 'Montserrat ExtraBold', text: '#FFFFFF', highlight: '#FFD600', accent: '#FFD600', onAccent: '#141414' };

export interface BuildAssOptions {
  words: WordTiming[];
  style: CaptionStyle;
  size: FrameSize;
  aspect: Aspect;
  /** Where things go (default: the generic platform's layout with no face known). */
  layout?: Layout;
  hook?: Hook;
  endCard?: EndCard;
  look?: CaptionLook;
  /** The end card button's colours (default: the look's accent and text on it). */
  button?: { background: string; text: string };
}

/** `#RRGGBB` as an ASS colour (`&HAABBGGRR`, alpha 00 = opaque). */
export function assColour(hex: string, alpha = 0): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  const [r, g, b] = m ? [m[1], m[2], m[3]] : ['FF', 'FF', 'FF'];
  return `&H${alpha.toString(16).padStart(2, '0').toUpperCase()}${b}${g}${r}`.toUpperCase();
}

const BLACK = '&H00000000';
const SHADOW = '&H80000000'; // BackColour: half-transparent black shadow

const PAUSE_BREAK = 0.35;
const MIN_FONT_SCALE = 0.6;
/** Caption groups: 1-3 words, short enough to stay on the lines the layout has room for. */
const GROUP_WORDS = 3;

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
function fit(words: string[], fontSize: number, maxWidth: number, maxLines: number, maxHeight = Infinity): { fontSize: number; lines: Piece[][] } {
  const floor = Math.max(8, Math.round(fontSize * MIN_FONT_SCALE));
  const widest = Math.max(0, ...words.map((w) => estimateTextWidth(w, 1)));
  let size = fontSize;
  if (widest * size > maxWidth) size = Math.max(floor, Math.floor(maxWidth / widest));
  for (;;) {
    const lines = wrap(words, size, maxWidth);
    // Past the floor, extra lines (a hyphen-split giant word) beat leaving the frame; they must still fit the box's height.
    const tall = blockHeight(lines.length, size) > maxHeight && size > 8;
    if (!tall && (lines.length <= maxLines || size <= floor)) return { fontSize: size, lines };
    size = tall ? Math.max(8, Math.floor(size * 0.9)) : Math.max(floor, Math.floor(size * 0.9));
  }
}

/** Height of `lines` lines of text at libass size `size`, outline and shadow included (as the layout reckons it). */
const blockHeight = (lines: number, size: number) => size * (lines * 1.22 + 0.25);

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

type StyleName = 'caption' | 'karaoke' | 'hook' | 'title' | 'cta' | 'url';

/** The styles, sized by the layout; outline and shadow scale with the text (outline ~8%, shadow ~4%). */
function styleSpecs(layout: Layout, look: CaptionLook): Record<StyleName, StyleSpec> {
  const outlined = (name: string, size: number, primary: string, secondary = primary, outline = 0.08): StyleSpec => ({
    name, size, primary, secondary, outlineColour: BLACK, borderStyle: 1, outline: Math.max(1, Math.round(size * outline)), shadow: Math.round(size * 0.04),
  });
  const text = assColour(look.text);
  const { endCard } = layout;
  return {
    caption: outlined('Caption', layout.captionFontSize, text),
    // \k fills each word from SecondaryColour (the text colour) to PrimaryColour (the highlight) when it is spoken.
    karaoke: outlined('Karaoke', layout.captionFontSize, assColour(look.highlight), text),
    hook: outlined('Hook', layout.hookFontSize, text, text, 0.1),
    title: outlined('EndTitle', Math.round(endCard.title.height * 0.85), text),
    cta: { ...outlined('EndCta', Math.round(endCard.cta.height * 0.5), assColour(look.onAccent)), outline: 0, shadow: 0 },
    url: outlined('EndUrl', Math.round(endCard.url.height * 0.85), text, text, 0.06),
  };
}

function styleLine(s: StyleSpec, look: CaptionLook): string {
  return (
    `Style: ${s.name},${look.fontFamily},${s.size},${s.primary},${s.secondary},${s.outlineColour},${SHADOW},` +
    `-1,0,0,0,100,100,0,0,${s.borderStyle},${s.outline},${s.shadow},5,0,0,0,1`
  );
}

/** Width left for glyphs once outline (both sides) and shadow offset are drawn. */
function inner(width: number, style: StyleSpec): number {
  return width - 2 * style.outline - style.shadow;
}

function dialogue(start: number, end: number, style: StyleSpec, text: string, layer = 0): string {
  return `Dialogue: ${layer},${assTime(start)},${assTime(end)},${style.name},,0,0,0,,${text}`;
}

const centreOf = (r: Rect) => `\\an5\\pos(${Math.round(r.x + r.width / 2)},${Math.round(r.y + r.height / 2)})`;

/** A text event wrapped to `width` px on at most `maxLines` lines, overrides prepended. */
function textEvent(start: number, end: number, style: StyleSpec, text: string, width: number, overrides: string, maxLines = 2, layer = 0, maxHeight = Infinity): string {
  const { fontSize, lines } = fit(text.split(' '), style.size, inner(width, style), maxLines, maxHeight);
  const fs = fontSize === style.size ? '' : `\\fs${fontSize}`;
  const body = lines.map((l) => escapeAssText(l.map((p) => p.text).join(' '))).join('\\N');
  return dialogue(start, end, style, `{${overrides}${fs}}${body}`, layer);
}

/** A word's time on screen: until the next word of the group starts, so pauses inside a group keep the sync. */
const until = (chunk: Word[], i: number) => chunk[i + 1]?.start ?? (chunk[i] as Word).end;

/** The group's text, each piece with the override `mark` gives its word (null: none), then `reset`. */
function groupText(lines: Piece[][], mark: (wordIndex: number) => string | null, reset: string): string {
  let text = '';
  lines.forEach((line, li) => {
    if (li > 0) text += '\\N';
    line.forEach((piece, pi) => {
      if (pi > 0) text += ' ';
      const tag = mark(piece.word);
      text += tag === null ? escapeAssText(piece.text) : `{${tag}}${escapeAssText(piece.text)}{${reset}}`;
    });
  });
  return text;
}

function karaokeEvent(chunk: Word[], style: StyleSpec, area: Rect, overrides: string, maxLines: number): string {
  const { fontSize, lines } = fit(chunk.map((w) => w.text), style.size, inner(area.width, style), maxLines, area.height);
  let text = `{${overrides}${fontSize === style.size ? '' : `\\fs${fontSize}`}}`;
  let lastWord = -1;
  lines.forEach((line, li) => {
    if (li > 0) text += '\\N';
    line.forEach((piece, pi) => {
      if (pi > 0) text += ' ';
      if (piece.word !== lastWord) {
        const w = chunk[piece.word] as Word;
        text += `{\\k${until(chunk, piece.word) - w.start}}`;
        lastWord = piece.word;
      }
      text += escapeAssText(piece.text);
    });
  });
  return dialogue((chunk[0] as Word).start, (chunk[chunk.length - 1] as Word).end, style, text);
}

/**
 * One event per spoken word of the group: `box` puts the word on a rounded block of the accent colour (a
 * thick outline in that colour, dark text); `pop` shows the words said so far, the new one scaling in.
 */
function perWordEvents(chunk: Word[], preset: 'box' | 'pop', style: StyleSpec, look: CaptionLook, area: Rect, overrides: string, maxLines: number): string[] {
  const { fontSize, lines } = fit(chunk.map((w) => w.text), style.size, inner(area.width, style), maxLines, area.height);
  const fs = fontSize === style.size ? '' : `\\fs${fontSize}`;
  const reset = `\\c${style.primary}\\3c${style.outlineColour}\\bord${style.outline}\\shad${style.shadow}\\alpha&H00&\\fscx100\\fscy100`;
  return chunk.map((w, i) => {
    const mark = (k: number): string | null => {
      if (preset === 'box') return k === i ? `\\c${assColour(look.onAccent)}\\3c${assColour(look.accent)}\\bord${Math.round(fontSize * 0.16)}\\shad0` : null;
      if (k === i) return `\\c${assColour(look.highlight)}\\fscx45\\fscy45\\t(0,120,\\fscx100\\fscy100)`;
      return k > i ? '\\alpha&HFF&' : null;
    };
    return dialogue(w.start, until(chunk, i), style, `{${overrides}${fs}}${groupText(lines, mark, reset)}`);
  });
}

const hasDuration = (chunk: Word[]) => (chunk[chunk.length - 1] as Word).end > (chunk[0] as Word).start;
const PHRASE_END = /[.!?…;:,]["')\]»”’]*$/u;

/** Words that start at or after `from` and before `to` (centiseconds), cut at `to`. */
const within = (words: Word[], from: number, to: number) => words.filter((w) => w.start >= from && w.start < to).map((w) => ({ ...w, end: Math.min(w.end, to) }));

export function buildAssScript(opts: BuildAssOptions): string {
  const { size, aspect, style } = opts;
  const layout = opts.layout ?? planLayout({ frame: size, aspect, platform: 'generic', face: null });
  const look = opts.look ?? DEFAULT_LOOK;
  const styles = styleSpecs(layout, look);
  const area = layout.captions;
  const events: string[] = [];
  // Captions start once the hook is gone and stop when the end card comes.
  const from = opts.hook ? Math.round(opts.hook.end * 100) : 0;
  const to = opts.endCard ? Math.round(opts.endCard.start * 100) : Infinity;
  const words = within(normaliseWords(opts.words), from, to);
  const perLine = Math.max(4, Math.floor(inner(area.width, styles.caption) / (0.5 * layout.captionFontSize)));
  // The estimate is conservative and `fit` shrinks a group that is still too wide, so a quarter more is allowed.
  const chunks = chunkWords(words, GROUP_WORDS, Math.round(perLine * layout.captionLines * 1.25), PHRASE_END).filter(hasDuration);

  if (opts.hook) events.push(...hookEvents(opts.hook, styles.hook, layout.hook, layout.hookLines));
  for (const chunk of chunks) {
    const first = chunk[0] as Word;
    const last = chunk[chunk.length - 1] as Word;
    if (style === 'karaoke') events.push(karaokeEvent(chunk, styles.karaoke, area, centreOf(area), layout.captionLines));
    else if (style === 'clean') events.push(textEvent(first.start, last.end, styles.caption, chunk.map((w) => w.text).join(' '), area.width, centreOf(area), layout.captionLines, 0, area.height));
    else if (style !== 'none') events.push(...perWordEvents(chunk, style, styles.caption, look, area, centreOf(area), layout.captionLines));
  }
  const button = opts.button ?? { background: look.accent, text: look.onAccent };
  if (opts.endCard) events.push(...endCardEvents(opts.endCard, layout, { ...styles, cta: { ...styles.cta, primary: assColour(button.text), secondary: assColour(button.text) } }, button.background));

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
    ...Object.values(styles).map((s) => styleLine(s, look)),
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...events,
    '',
  ].join('\n');
}

function hookEvents(hook: Hook, style: StyleSpec, rect: Rect, lines: number): string[] {
  const text = cleanCaptionText(hook.text);
  const end = Math.round(hook.end * 100);
  if (!text || end <= 0 || rect.height <= 0) return [];
  // It lands with a quick scale-in and leaves with a short fade.
  return [textEvent(0, end, style, text, rect.width, `${centreOf(rect)}\\fscx85\\fscy85\\t(0,150,\\fscx100\\fscy100)\\fad(0,150)`, lines, 0, rect.height)];
}

/** A rounded rectangle `width` x `height` as an ASS drawing (corners of radius `r`, as cubic Béziers). */
function roundedRect(width: number, height: number, r: number): string {
  const w = Math.round(width);
  const h = Math.round(height);
  const k = Math.round(Math.min(r, w / 2, h / 2));
  return `m ${k} 0 l ${w - k} 0 b ${w} 0 ${w} 0 ${w} ${k} l ${w} ${h - k} b ${w} ${h} ${w} ${h} ${w - k} ${h} l ${k} ${h} b 0 ${h} 0 ${h} 0 ${h - k} l 0 ${k} b 0 0 0 0 ${k} 0`;
}

function endCardEvents(card: EndCard, layout: Layout, styles: Record<StyleName, StyleSpec>, buttonColour: string): string[] {
  const start = Math.round(card.start * 100);
  const end = Math.round(card.end * 100);
  if (!(end > start)) return [];
  const name = cleanCaptionText(card.productName ?? '');
  const action = cleanCaptionText(card.cta ?? '');
  const url = cleanCaptionText(card.url ?? '');
  const { title, cta, url: urlRect } = layout.endCard;
  const fad = `\\fad(${Math.min(200, Math.floor(((end - start) * 10) / 3))},0)`;
  const events: string[] = [];
  if (name) events.push(textEvent(start, end, styles.title, name, title.width, centreOf(title) + fad, 1));
  if (action) {
    // The button: a rounded block of the accent colour sized to its text, the text on top of it.
    const { fontSize, lines } = fit(action.split(' '), styles.cta.size, cta.width * 0.85, 1);
    const textWidth = Math.max(...lines.map((l) => estimateTextWidth(l.map((p) => p.text).join(' '), fontSize)));
    const width = Math.min(cta.width, textWidth + cta.height * 0.9);
    const x = Math.round(cta.x + (cta.width - width) / 2);
    const shape = roundedRect(width, cta.height, cta.height * 0.3);
    events.push(dialogue(start, end, styles.cta, `{\\an7\\pos(${x},${cta.y})\\p1\\bord0\\shad0\\1c${assColour(buttonColour)}${fad}}${shape}{\\p0}`));
    events.push(textEvent(start, end, styles.cta, action, cta.width * 0.85, centreOf(cta) + fad, 1, 1));
  }
  if (url) events.push(textEvent(start, end, styles.url, url, urlRect.width, centreOf(urlRect) + fad, 1));
  return events;
}
