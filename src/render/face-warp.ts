import type { Box } from './face-rig.js';
import type { FaceLandmarks, Point, RgbImage } from './face-detect.js';
import type { EyeState } from './blinks.js';
import type { Viseme } from './visemes.js';

/**
 * Mouth shapes and blinks for a photo, by warping the face's own pixels: the jaw drops (the lower lip
 * bends down into an opening, the chin follows, the skin below stretches), the corners draw in for round
 * shapes, and the opening gets a dark interior with teeth and tongue; lids slide down over the eyes. Every
 * warp fades to nothing inside its patch box, so a patch laid over the photo leaves no edge.
 */

const smoothstep = (edge0: number, edge1: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
};
const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** A contour as a function of its first coordinate, linear between points, flat beyond its ends. */
function profileOf(points: Point[]): (x: number) => number {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  return (x) => {
    const first = sorted[0];
    const last = sorted[sorted.length - 1];
    if (!first || !last) return 0;
    if (x <= first[0]) return first[1];
    if (x >= last[0]) return last[1];
    for (let i = 1; i < sorted.length; i++) {
      const b = sorted[i] as Point;
      const a = sorted[i - 1] as Point;
      if (x <= b[0]) return b[0] === a[0] ? b[1] : lerp(a[1], b[1], (x - a[0]) / (b[0] - a[0]));
    }
    return last[1];
  };
}

function sample(image: RgbImage, x: number, y: number, out: number[]): void {
  const fx = clamp(x, 0, image.width - 1);
  const fy = clamp(y, 0, image.height - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(image.width - 1, x0 + 1);
  const y1 = Math.min(image.height - 1, y0 + 1);
  const tx = fx - x0;
  const ty = fy - y0;
  const d = image.data;
  for (let c = 0; c < 3; c++) {
    const top = lerp(d[(y0 * image.width + x0) * 3 + c] ?? 0, d[(y0 * image.width + x1) * 3 + c] ?? 0, tx);
    const bottom = lerp(d[(y1 * image.width + x0) * 3 + c] ?? 0, d[(y1 * image.width + x1) * 3 + c] ?? 0, tx);
    out[c] = lerp(top, bottom, ty);
  }
}

function boxAround(xs: number[], ys: number[], image: RgbImage, margin: number): Box {
  const even = (n: number) => 2 * Math.floor(n / 2);
  const x0 = clamp(even(Math.min(...xs) - margin), 0, image.width - 2);
  const y0 = clamp(even(Math.min(...ys) - margin), 0, image.height - 2);
  const x1 = clamp(even(Math.max(...xs) + margin + 2), x0 + 2, image.width);
  const y1 = clamp(even(Math.max(...ys) + margin + 2), y0 + 2, image.height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** How far each mouth shape opens (centre gap, in mouth widths), how wide it stays, what shows inside. */
const MOUTH_SHAPES: Record<Exclude<Viseme, 'rest'>, { gap: number; width: number; teeth: 'upper' | 'both' | 'none'; tongue: number }> = {
  closed: { gap: 0, width: 1, teeth: 'none', tongue: 0 },
  slight: { gap: 0.07, width: 1, teeth: 'both', tongue: 0 },
  open: { gap: 0.22, width: 0.95, teeth: 'upper', tongue: 0.25 },
  wide: { gap: 0.36, width: 0.95, teeth: 'upper', tongue: 0.3 },
  round: { gap: 0.24, width: 0.82, teeth: 'upper', tongue: 0 },
  pucker: { gap: 0.12, width: 0.7, teeth: 'none', tongue: 0 },
  fv: { gap: 0.06, width: 0.95, teeth: 'upper', tongue: 0 },
  l: { gap: 0.2, width: 0.95, teeth: 'upper', tongue: 0.65 },
};

const MOUTH_INSIDE = [52, 20, 24];
const TONGUE = [176, 86, 90];

/** The mouth's own frame: origin between the corners, u along the lips, v downwards; a is half the mouth's width. */
function mouthFrame(face: FaceLandmarks) {
  const left = face.lipsUpperOuter[0] ?? [0, 0];
  const right = face.lipsUpperOuter[face.lipsUpperOuter.length - 1] ?? [1, 0];
  const [l, r] = left[0] <= right[0] ? [left, right] : [right, left];
  const centre: Point = [(l[0] + r[0]) / 2, (l[1] + r[1]) / 2];
  const angle = Math.atan2(r[1] - l[1], r[0] - l[0]);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const a = Math.max(2, Math.hypot(r[0] - l[0], r[1] - l[1]) / 2);
  const toFrame = (p: Point): Point => [(p[0] - centre[0]) * cos + (p[1] - centre[1]) * sin, -(p[0] - centre[0]) * sin + (p[1] - centre[1]) * cos];
  const fromFrame = (u: number, v: number): Point => [centre[0] + u * cos - v * sin, centre[1] + u * sin + v * cos];
  return { a, toFrame, fromFrame };
}

/** The mouth patch box and a function drawing each shape into it. */
export function mouthRig(image: RgbImage, face: FaceLandmarks): { box: Box; draw: (shape: Exclude<Viseme, 'rest'>) => Uint8Array } {
  const { a, toFrame, fromFrame } = mouthFrame(face);
  const upper = profileOf(face.lipsUpperInner.map(toFrame));
  const lower = profileOf(face.lipsLowerInner.map(toFrame));
  const lipLine = (upper(0) + lower(0)) / 2;
  const chinCandidates = face.silhouette.map(toFrame).filter(([u]) => Math.abs(u) < a * 1.2);
  const chin = Math.max(lipLine + a * 0.8, ...chinCandidates.map(([, v]) => v));
  const belowChin = 0.45 * (chin - lipLine);
  const squeezeHeight = 0.6 * a;
  // Everything the warp moves, and a margin where it has faded out.
  const corners = [fromFrame(-2.1 * a, lipLine - 1.3 * squeezeHeight), fromFrame(2.1 * a, lipLine - 1.3 * squeezeHeight), fromFrame(-2.1 * a, chin + belowChin), fromFrame(2.1 * a, chin + belowChin)];
  const box = boxAround(corners.map((p) => p[0]), corners.map((p) => p[1]), image, 2);
  const skinLight = meanLuminance(image, box);
  const originalGap = Math.max(0, lower(0) - upper(0));

  const draw = (shape: Exclude<Viseme, 'rest'>): Uint8Array => {
    const spec = MOUTH_SHAPES[shape];
    const drop = spec.gap * 2 * a - originalGap;
    const halfOpening = a * spec.width;
    const out = new Uint8Array(box.width * box.height * 3);
    const pixel = [0, 0, 0];
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        const [u, v] = toFrame([box.x + x + 0.5, box.y + y + 0.5]);
        const squeeze = 1 - smoothstep(1, 2, Math.hypot(u / a, (v - lipLine) / squeezeHeight));
        const us = u / (1 - (1 - spec.width) * squeeze);
        const top = upper(us);
        const bottom = lower(us);
        const opening = Math.max(0, 1 - (us / halfOpening) ** 2) ** 0.6;
        const sideways = 1 - smoothstep(0.9 * a, 1.9 * a, Math.abs(us));
        let shift = 0;
        if (v > top) {
          const towardsChin = smoothstep(bottom, chin, v);
          const fade = 1 - smoothstep(chin, chin + belowChin, v);
          shift = drop * lerp(opening, sideways, towardsChin) * fade;
        }
        const [sx, sy] = fromFrame(us, v - shift);
        sample(image, sx - 0.5, sy - 0.5, pixel);
        const inner = bottom + drop * opening;
        if (shape !== 'closed' && opening > 0 && inner > top) paintInside(pixel, spec, { v, top, inner, us, halfOpening, mouthWidth: 2 * a, skinLight });
        const i = (y * box.width + x) * 3;
        out[i] = pixel[0] ?? 0;
        out[i + 1] = pixel[1] ?? 0;
        out[i + 2] = pixel[2] ?? 0;
      }
    }
    return out;
  };
  return { box, draw };
}

/** The inside of the opening at one pixel: dark mouth, upper teeth, tongue, with a soft edge against the lips. */
function paintInside(pixel: number[], spec: (typeof MOUTH_SHAPES)[keyof typeof MOUTH_SHAPES], at: { v: number; top: number; inner: number; us: number; halfOpening: number; mouthWidth: number; skinLight: number }): void {
  const coverage = clamp(at.v - at.top + 0.5, 0, 1) * clamp(at.inner - at.v + 0.5, 0, 1);
  if (coverage <= 0) return;
  const height = at.inner - at.top;
  const depth = (at.v - at.top) / Math.max(1, height);
  const across = Math.abs(at.us) / Math.max(1, at.halfOpening);
  let colour = MOUTH_INSIDE.map((c) => c * (1 - 0.35 * depth));
  const teethHeight = spec.teeth === 'both' ? height : Math.min(0.1 * at.mouthWidth, 0.45 * height);
  if (spec.teeth !== 'none' && at.v - at.top < teethHeight && across < 0.8) {
    // Teeth take the light of the face around them, and darken towards the corners and the gums.
    const light = clamp(at.skinLight / 170, 0.55, 1.05) * (1 - 0.35 * across * across);
    colour = [236, 230, 218].map((c) => c * light);
    if (spec.teeth === 'both' && Math.abs(at.v - (at.top + height / 2)) < 0.6) colour = colour.map((c) => c * 0.55);
  } else if (spec.tongue > 0 && depth > 1 - spec.tongue && across < 0.65) {
    colour = TONGUE.map((c) => c * clamp(at.skinLight / 170, 0.55, 1.05));
  }
  for (let c = 0; c < 3; c++) pixel[c] = lerp(pixel[c] ?? 0, colour[c] ?? 0, coverage);
}

function meanLuminance(image: RgbImage, box: Box): number {
  let sum = 0;
  let count = 0;
  for (let y = box.y; y < box.y + box.height; y += 2) {
    for (let x = box.x; x < box.x + box.width; x += 2) {
      const i = (y * image.width + x) * 3;
      sum += 0.299 * (image.data[i] ?? 0) + 0.587 * (image.data[i + 1] ?? 0) + 0.114 * (image.data[i + 2] ?? 0);
      count++;
    }
  }
  return count ? sum / count : 128;
}

/**
 * The eyes patch box and a function drawing the lids half or fully closed: the skin between brow and lid
 * stretches down until the lid's edge (its lashes) lies halfway down the eye or on the lower lid.
 */
export function eyesRig(image: RgbImage, face: FaceLandmarks): { box: Box; draw: (state: Exclude<EyeState, 'open'>) => Uint8Array } | null {
  const eyes = face.eyes.filter((e) => e.upper.length > 2 && e.lower.length > 2);
  if (eyes.length === 0) return null;
  const all = eyes.flatMap((e) => [...e.upper, ...e.lower, ...e.brow]);
  const box = boxAround(all.map((p) => p[0]), all.map((p) => p[1]), image, 3);
  const lids = eyes.map((eye) => {
    const xs = [...eye.upper, ...eye.lower].map((p) => p[0]);
    const upper = profileOf(eye.upper);
    const lower = profileOf(eye.lower);
    const height = Math.max(...eye.lower.map((p) => p[1])) - Math.min(...eye.upper.map((p) => p[1]));
    const brow = eye.brow.length > 1 ? profileOf(eye.brow) : (x: number) => upper(x) - 1.5 * height;
    return { from: Math.min(...xs), to: Math.max(...xs), upper, lower, brow };
  });
  const draw = (state: Exclude<EyeState, 'open'>): Uint8Array => {
    const closing = state === 'closed' ? 1 : 0.5;
    const out = new Uint8Array(box.width * box.height * 3);
    const pixel = [0, 0, 0];
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        const px = box.x + x + 0.5;
        const py = box.y + y + 0.5;
        let sy = py;
        const lid = lids.find((l) => px > l.from && px < l.to);
        if (lid) {
          const top = Math.min(lid.brow(px), lid.upper(px) - 1);
          const edge = lid.upper(px);
          const fall = Math.max(0, lid.lower(px) - edge) * closing;
          // Source [top, edge] is stretched over [top, edge + fall]; below that the eye shows as it was.
          if (py > top && py < edge + fall) sy = top + ((py - top) * (edge - top)) / (edge + fall - top);
        }
        sample(image, px - 0.5, sy - 0.5, pixel);
        const i = (y * box.width + x) * 3;
        out[i] = pixel[0] ?? 0;
        out[i + 1] = pixel[1] ?? 0;
        out[i + 2] = pixel[2] ?? 0;
      }
    }
    return out;
  };
  return { box, draw };
}
