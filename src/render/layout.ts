/**
 * Where everything goes in the frame: the creator, and every overlay (hook, captions, end card, logo) kept
 * inside the platform's safe zone and off the creator's face. Pure: rectangles in, rectangles out, so the
 * promise "nothing covers the face, nothing sits under the platform's interface" is unit-tested here.
 */
import type { Platform } from '../core/platforms.js';
import type { Aspect, FrameSize } from './types.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const LOGO_CORNERS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export type LogoCorner = (typeof LOGO_CORNERS)[number];

/**
 * What each platform's interface covers on a 1080x1920 portrait frame, in pixels (scaled to the frame).
 * Reels: Meta's 14% top, 35% bottom, 6% each side. Shorts: YouTube's vertical-ad safe zone (288 top, 672
 * bottom, 48 left, 192 right). TikTok: 150 top, 440 bottom (caption, music, CTA), 150 right (action rail),
 * 120 left. Generic clears all three: x 120-888, y 288-1248.
 */
const PORTRAIT_INSETS: Record<Platform, { top: number; bottom: number; left: number; right: number }> = {
  tiktok: { top: 150, bottom: 440, left: 120, right: 150 },
  reels: { top: 0.14 * 1920, bottom: 0.35 * 1920, left: 0.06 * 1080, right: 0.06 * 1080 },
  shorts: { top: 288, bottom: 672, left: 48, right: 192 },
  generic: { top: 288, bottom: 672, left: 120, right: 192 },
};

/**
 * Square and landscape ads play in feeds and players whose controls sit at the bottom; none of the three
 * platforms publishes a zone for them, so the broadcast title-safe margins (5% a side) with room for a
 * player's control bar (12% at the bottom) are used for every platform.
 */
const WIDE_INSETS = { top: 0.05, bottom: 0.12, left: 0.05, right: 0.05 };

export function safeZone(platform: Platform, aspect: Aspect, frame: FrameSize): Rect {
  const inset = aspect === '9:16' ? portraitInsets(platform, frame) : { top: WIDE_INSETS.top * frame.height, bottom: WIDE_INSETS.bottom * frame.height, left: WIDE_INSETS.left * frame.width, right: WIDE_INSETS.right * frame.width };
  // Even edges, rounded inwards: overlays on a 4:2:0 picture are placed on even pixels.
  const left = evenCeil(inset.left);
  const top = evenCeil(inset.top);
  return { x: left, y: top, width: evenFloor(frame.width - inset.right) - left, height: evenFloor(frame.height - inset.bottom) - top };
}

function portraitInsets(platform: Platform, frame: FrameSize) {
  const inset = PORTRAIT_INSETS[platform];
  const kx = frame.width / 1080;
  const ky = frame.height / 1920;
  return { top: inset.top * ky, bottom: inset.bottom * ky, left: inset.left * kx, right: inset.right * kx };
}

const evenCeil = (n: number) => 2 * Math.ceil(n / 2 - 1e-9);
const evenFloor = (n: number) => 2 * Math.floor(n / 2 + 1e-9);

export const intersects = (a: Rect, b: Rect): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
export const contains = (outer: Rect, inner: Rect): boolean =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;

/** Where a portrait face usually is when none was found: the upper middle (a still photo, a model runner's own video). */
export function assumedFace(creator: Rect): Rect {
  return { x: creator.x + Math.round(creator.width * 0.2), y: creator.y + Math.round(creator.height * 0.12), width: Math.round(creator.width * 0.6), height: Math.round(creator.height * 0.4) };
}

export interface LayoutInput {
  frame: FrameSize;
  aspect: Aspect;
  platform: Platform;
  /** The face in the creator's own picture as framed for `creatorSize` (see `creatorPanel`); null when unknown. */
  face: Rect | null;
  logo?: { corner: LogoCorner } | null;
}

export interface EndCardLayout {
  /** The product shot (contained, centred) when there is one. */
  product: Rect;
  title: Rect;
  cta: Rect;
  url: Rect;
}

export interface Layout {
  frame: FrameSize;
  safe: Rect;
  /** Where the creator's clip goes: the whole frame, or one side in a split layout. */
  creator: Rect;
  /** The face in the frame, padded: nothing is drawn over it. */
  face: Rect;
  split: boolean;
  /** Big text over the first seconds. */
  hook: Rect;
  /** The caption block: text is centred in it and never leaves it. */
  captions: Rect;
  /** Full frame (the creator is not shown behind it), text kept in the safe zone. */
  endCard: EndCardLayout;
  logo: Rect | null;
  /** Caption and hook sizes chosen for the room found (libass font size, pixels). */
  captionFontSize: number;
  /** Lines a caption group may wrap to in its rectangle (1 in a tight band). */
  captionLines: 1 | 2;
  hookFontSize: number;
  hookLines: 1 | 2;
}

/**
 * The creator's panel. A portrait ad fills the frame; a square or landscape one from a portrait creator is
 * split: the creator at 3:4 on the left, the hook, captions and product on the right (instead of a blurred
 * pillarbox that fills two thirds of a 16:9 frame).
 */
export function creatorPanel(aspect: Aspect, frame: FrameSize): Rect {
  if (aspect === '9:16') return { x: 0, y: 0, ...frame };
  const width = 2 * Math.round((aspect === '16:9' ? frame.height * 0.75 : frame.width * 0.5) / 2);
  return { x: 0, y: 0, width, height: frame.height };
}

/** Caption font size (libass size) for a frame: cap height about 80 px at 1080 wide (Montserrat's cap is ~0.59 of the libass size). */
export function captionFontSize(frame: FrameSize): number {
  return Math.round(Math.min(frame.width, frame.height) * 0.125);
}

const pad = (r: Rect, by: number): Rect => ({ x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by });
const clip = (r: Rect, to: Rect): Rect => {
  const x0 = Math.max(r.x, to.x);
  const y0 = Math.max(r.y, to.y);
  const x1 = Math.min(r.x + r.width, to.x + to.width);
  const y1 = Math.min(r.y + r.height, to.y + to.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
};

/** A horizontal band of the safe zone with nothing on it. */
interface Band {
  x: number;
  width: number;
  top: number;
  bottom: number;
}

/** The parts of the safe zone above and below the face (or, beside a split creator panel, the whole text column). */
function freeBands(safe: Rect, face: Rect, creator: Rect, split: boolean): Band[] {
  if (split) {
    const x = Math.max(safe.x, creator.x + creator.width + Math.round(safe.x / 2));
    return [{ x, width: safe.x + safe.width - x, top: safe.y, bottom: safe.y + safe.height }];
  }
  const bands: Band[] = [];
  const full = { x: safe.x, width: safe.width };
  if (face.y > safe.y) bands.push({ ...full, top: safe.y, bottom: Math.min(face.y, safe.y + safe.height) });
  if (face.y + face.height < safe.y + safe.height) bands.push({ ...full, top: Math.max(safe.y, face.y + face.height), bottom: safe.y + safe.height });
  if (bands.length === 0 || bands.every((b) => b.bottom - b.top < safe.height * 0.12)) {
    // The face fills the zone's height: use the wider side beside it.
    const leftWidth = face.x - safe.x;
    const rightWidth = safe.x + safe.width - (face.x + face.width);
    const side = leftWidth >= rightWidth ? { x: safe.x, width: leftWidth } : { x: face.x + face.width, width: rightWidth };
    if (side.width > 0) bands.push({ ...side, top: safe.y, bottom: safe.y + safe.height });
  }
  return bands.filter((b) => b.bottom > b.top && b.width > 0);
}

export function planLayout(input: LayoutInput): Layout {
  const { frame, aspect, platform } = input;
  const safe = safeZone(platform, aspect, frame);
  const creator = creatorPanel(aspect, frame);
  const split = aspect !== '9:16';
  const unit = Math.min(frame.width, frame.height);
  const faceInCreator = input.face ?? assumedFace({ x: 0, y: 0, width: creator.width, height: creator.height });
  const face = clip(pad({ ...faceInCreator, x: faceInCreator.x + creator.x, y: faceInCreator.y + creator.y }, Math.round(unit * 0.02)), { x: 0, y: 0, ...frame });
  const bands = freeBands(safe, face, creator, split);

  const gap = Math.round(unit * 0.02);
  const wantCaptions = Math.round(captionFontSize(frame) * 2.6); // two lines
  const wantHook = Math.round(captionFontSize(frame) * 1.15 * 2.6);
  // Captions take the lowest band (the lower third reads as captions), the hook the highest; one band shared splits top/bottom.
  const byTop = [...bands].sort((a, b) => a.top - b.top);
  const roomiest = [...bands].sort((a, b) => b.bottom - b.top - (a.bottom - a.top))[0] ?? { x: safe.x, width: safe.width, top: safe.y, bottom: safe.y };
  const lowest = byTop.filter((b) => b.bottom - b.top >= wantCaptions * 0.6).at(-1) ?? roomiest;
  const highest = byTop.find((b) => b !== lowest && b.bottom - b.top >= wantHook * 0.5) ?? lowest;
  // The hook replaces the captions while it shows, so the two may share a band.
  const capH = Math.min(wantCaptions, lowest.bottom - lowest.top);
  // Captions hug the face from below (where eyes go next), within the band.
  let captions: Rect = { x: lowest.x, y: lowest.top + Math.min(gap, lowest.bottom - lowest.top - capH), width: lowest.width, height: capH };
  const hookH = Math.min(wantHook, highest.bottom - highest.top);
  let hook: Rect = { x: highest.x, y: highest === lowest ? highest.top + Math.min(gap, highest.bottom - highest.top - hookH) : highest.bottom - hookH, width: highest.width, height: hookH };
  if (split) {
    // The text column: hook at the top, captions in the middle.
    const column = bands[0] ?? roomiest;
    const room = column.bottom - column.top;
    hook = { x: column.x, y: column.top, width: column.width, height: Math.min(wantHook, Math.round(room * 0.45)) };
    const h = Math.min(wantCaptions, room);
    captions = { x: column.x, y: column.top + Math.round((room - h) / 2), width: column.width, height: h };
  }

  const logo = input.logo ? placeLogo(input.logo.corner, safe, [face, captions, hook], unit) : null;
  // libass lines are ~1.22 of the font size apart; outline and shadow add ~0.25 of it around the block.
  const fontFor = (r: Rect, want: number, lines: number) => Math.max(8, Math.min(want, Math.floor(r.height / (lines * 1.22 + 0.25))));
  // A band too low for two lines at full size takes one line of larger text rather than two small ones.
  const full = captionFontSize(frame);
  const captionLines = fontFor(captions, full, 2) >= full || fontFor(captions, full, 2) >= fontFor(captions, full, 1) ? 2 : 1;
  const hookFull = Math.round(full * 1.15);
  const hookLines = fontFor(hook, hookFull, 2) >= hookFull * 0.75 ? 2 : 1;
  return {
    frame,
    safe,
    creator,
    face,
    split,
    hook,
    captions,
    endCard: planEndCard(safe, unit),
    logo,
    captionFontSize: fontFor(captions, full, captionLines),
    captionLines,
    hookFontSize: fontFor(hook, hookFull, hookLines),
    hookLines,
  };
}

/** The logo in its corner of the safe zone, or the first other corner that keeps it off the face and the text; none if no corner does. */
function placeLogo(corner: LogoCorner, safe: Rect, avoid: Rect[], unit: number): Rect | null {
  const side = evenFloor(unit * 0.14);
  const at = (c: LogoCorner): Rect => ({
    x: c.endsWith('left') ? safe.x : safe.x + safe.width - side,
    y: c.startsWith('top') ? safe.y : safe.y + safe.height - side,
    width: side,
    height: side,
  });
  for (const c of [corner, ...LOGO_CORNERS.filter((other) => other !== corner)]) {
    const rect = at(c);
    if (!avoid.some((r) => intersects(r, rect))) return rect;
  }
  return null;
}

/** The end card, a full-frame scene: product shot on top, then name, CTA button and URL, all inside the safe zone. */
function planEndCard(safe: Rect, unit: number): EndCardLayout {
  const title = Math.round(unit * 0.12);
  const cta = Math.round(unit * 0.12);
  const url = Math.round(unit * 0.055);
  const gap = Math.round(unit * 0.025);
  const text = title + cta + url + 3 * gap;
  const productH = Math.max(0, safe.height - text);
  const product = { x: safe.x, y: safe.y, width: safe.width, height: productH };
  let y = safe.y + productH + gap;
  const row = (h: number): Rect => {
    const r = { x: safe.x, y, width: safe.width, height: h };
    y += h + gap;
    return r;
  };
  return { product, title: row(title), cta: row(cta), url: row(url) };
}

/** Every overlay rectangle drawn over the creator (the end card replaces the creator, so it is not one of them). */
export function overlaysOnCreator(layout: Layout): Rect[] {
  return [layout.hook, layout.captions, ...(layout.logo ? [layout.logo] : [])].filter((r) => r.width > 0 && r.height > 0);
}
