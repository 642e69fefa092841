// The talking rig of a stock creator: a mouth patch per mouth shape and eye patches for a blink.
//
// The DiceBear face is drawn with sentinel colours for its mouth and eyes, so those two elements can be
// found in the SVG text and replaced: the mouth by one of the shapes drawn here (in the style's ink, with
// a dark interior, teeth and tongue), the eyes by the same eyes under skin-coloured lids. Each variant is
// the whole scene rendered again, so the patch carries the face's own skin, freckles, beard and glasses;
// only the rectangle where any variant differs from the plain picture is kept, as a small PNG.

import { spawnSync } from 'node:child_process';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { Resvg } from '@resvg/resvg-js';

export const MOUTH_SENTINEL = '010203';
export const EYES_SENTINEL = '010204';
const INK = '#1e1a1d';
const MOUTH_INSIDE = '#4a1820';
const TONGUE = '#c9656f';
const TEETH = '#ffffff';

/** The mouth shapes drawn as patches (src/render/visemes.ts names them; `rest` is the picture itself). */
export const SPOKEN_VISEMES = ['closed', 'slight', 'open', 'wide', 'round', 'pucker', 'fv', 'l'];
export const EYE_STATES = ['half', 'closed'];

const sentinelPath = (svg, colour) => {
  const found = svg.match(new RegExp(`<g fill="#${colour}">[\\s\\S]*?</g>|<path[^>]*fill="#${colour}"[^>]*/>`, 'g'));
  if (!found) throw new Error(`no element drawn in #${colour}`);
  return found.join('');
};

function render(svg, options = {}) {
  return new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false }, shapeRendering: 2, ...options }).render();
}

/** Bounding boxes of the ink of `paths` (in the face's 980-unit space), split into left and right parts at the widest gap. */
function inkBoxes(paths, split) {
  const image = render(`<svg xmlns="http://www.w3.org/2000/svg" width="980" height="980" viewBox="0 0 980 980">${paths}</svg>`);
  const { pixels, width, height } = image;
  const columns = new Array(width).fill(false);
  const rowsOf = (x0, x1) => {
    let top = height;
    let bottom = -1;
    for (let y = 0; y < height; y++)
      for (let x = x0; x < x1; x++)
        if (pixels[(y * width + x) * 4 + 3] > 40) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
    return { top, bottom: bottom + 1 };
  };
  for (let x = 0; x < width; x++) for (let y = 0; y < height && !columns[x]; y++) if (pixels[(y * width + x) * 4 + 3] > 40) columns[x] = true;
  const left = columns.indexOf(true);
  const right = columns.lastIndexOf(true) + 1;
  const box = (x0, x1) => ({ x0, x1, ...rowsOf(x0, x1) });
  if (!split) return [box(left, right)];
  let gapStart = left;
  let best = { from: left, to: left };
  for (let x = left; x < right; x++) {
    if (columns[x]) gapStart = x + 1;
    else if (x + 1 - gapStart > best.to - best.from) best = { from: gapStart, to: x + 1 };
  }
  return [box(left, best.from), box(best.to, right)];
}

/** Where the face's mouth and eyes are, in its own 980-unit space, read from the avatar SVG. */
export function faceGeometry(avatar) {
  const [mouth] = inkBoxes(sentinelPath(avatar, MOUTH_SENTINEL), false);
  const eyes = inkBoxes(sentinelPath(avatar, EYES_SENTINEL), true);
  return { mouth, eyes };
}

const f = (n) => Number(n.toFixed(1));

/**
 * One mouth shape as SVG in the face's space, centred where the drawn smile is. Lip line at `cy`; the opening
 * reaches `up` above and `down` below it; `half` is half the width. Teeth and tongue are clipped to the opening.
 */
function mouthShape(viseme, mouth, eyes, id) {
  // Drawn smiles range from a dimple to a grin: the talking mouth takes its width from the eyes instead.
  const eyeCentre = (eye) => (eye.x0 + eye.x1) / 2;
  const width = 0.9 * Math.abs(eyeCentre(eyes[1]) - eyeCentre(eyes[0]));
  const cx = (mouth.x0 + mouth.x1) / 2;
  // The drawn smiles curve up at the corners: the lip line sits a third of the way down their ink.
  const cy = mouth.top + (mouth.bottom - mouth.top) * 0.35;
  const shapes = {
    closed: { half: 0.36, up: 0, down: 0 },
    slight: { half: 0.36, up: 6, down: 12, teeth: 'both' },
    open: { half: 0.38, up: 12, down: 42, teeth: 'upper', tongue: 0.3 },
    wide: { half: 0.4, up: 16, down: 74, teeth: 'upper', tongue: 0.3 },
    round: { half: 0.27, up: 16, down: 44, round: true, teeth: 'upper' },
    pucker: { half: 0.15, up: 14, down: 22, round: true, lips: true },
    fv: { half: 0.34, up: 8, down: 14, teeth: 'upper', lowerLip: true },
    l: { half: 0.36, up: 12, down: 36, teeth: 'upper', tongue: 0.75 },
  };
  const s = shapes[viseme];
  const half = width * s.half;
  const left = cx - half;
  const right = cx + half;
  const stroke = `stroke="${INK}" stroke-width="9" stroke-linecap="round" stroke-linejoin="round"`;
  if (viseme === 'closed') {
    // Lips pressed together: a straight-ish line, a little fuller than the resting smile, and the lower lip's shadow.
    return (
      `<path d="M${f(left)} ${f(cy + 2)} Q${f(cx)} ${f(cy + 8)} ${f(right)} ${f(cy + 2)}" fill="none" ${stroke}/>` +
      `<path d="M${f(cx - half * 0.35)} ${f(cy + 24)} Q${f(cx)} ${f(cy + 30)} ${f(cx + half * 0.35)} ${f(cy + 24)}" fill="none" stroke="${INK}" stroke-width="6" stroke-linecap="round" opacity="0.55"/>`
    );
  }
  const top = cy - s.up;
  const bottom = cy + s.down;
  const outline = s.round
    ? `M${f(cx)} ${f(top)} C${f(right)} ${f(top)} ${f(right)} ${f(bottom)} ${f(cx)} ${f(bottom)} C${f(left)} ${f(bottom)} ${f(left)} ${f(top)} ${f(cx)} ${f(top)} Z`
    : `M${f(left)} ${f(cy)} C${f(cx - half * 0.5)} ${f(top)} ${f(cx + half * 0.5)} ${f(top)} ${f(right)} ${f(cy)} C${f(cx + half * 0.6)} ${f(bottom + s.down * 0.25)} ${f(cx - half * 0.6)} ${f(bottom + s.down * 0.25)} ${f(left)} ${f(cy)} Z`;
  const inside = [];
  const teethHeight = s.teeth === 'both' ? s.up + s.down : Math.min(14, (s.up + s.down) * 0.4);
  if (s.tongue) {
    const tongueTop = bottom - (s.up + s.down) * s.tongue;
    inside.push(`<ellipse cx="${f(cx)}" cy="${f(bottom + 6)}" rx="${f(half * 0.62)}" ry="${f(bottom + 6 - tongueTop)}" fill="${TONGUE}"/>`);
  }
  if (s.teeth) {
    inside.push(`<rect x="${f(left)}" y="${f(top - 10)}" width="${f(2 * half)}" height="${f(teethHeight + 10)}" fill="${TEETH}"/>`);
    if (s.teeth === 'both') inside.push(`<path d="M${f(left)} ${f(cy + 3)} L${f(right)} ${f(cy + 3)}" stroke="${INK}" stroke-width="3" opacity="0.6"/>`);
  }
  const lowerLip = s.lowerLip
    ? `<path d="M${f(left + half * 0.3)} ${f(bottom - 4)} Q${f(cx)} ${f(bottom - 12)} ${f(right - half * 0.3)} ${f(bottom - 4)}" fill="none" ${stroke}/>`
    : '';
  const lips = s.lips ? `<path d="${outline}" fill="none" stroke="${INK}" stroke-width="15" opacity="0.35"/>` : '';
  return (
    `<clipPath id="${id}"><path d="${outline}"/></clipPath>` +
    `<path d="${outline}" fill="${MOUTH_INSIDE}"/>` +
    `<g clip-path="url(#${id})">${inside.join('')}</g>` +
    lips +
    `<path d="${outline}" fill="none" ${stroke}/>` +
    lowerLip
  );
}

/** Skin-coloured lids over each eye: `half` lowers them to the middle, `closed` shuts them into a downward arc. */
function eyeLids(state, eyes, skin) {
  return eyes
    .map((eye) => {
      const pad = 8;
      const x0 = eye.x0 - pad;
      const x1 = eye.x1 + pad;
      const width = x1 - x0;
      const height = eye.bottom - eye.top;
      const lidY = state === 'half' ? eye.top + height * 0.55 : eye.top + height * 0.72;
      const cover = state === 'half' ? `<rect x="${x0}" y="${eye.top - pad}" width="${width}" height="${f(lidY - eye.top + pad)}" fill="#${skin}"/>` : `<rect x="${x0}" y="${eye.top - pad}" width="${width}" height="${height + 2 * pad}" fill="#${skin}"/>`;
      const sag = state === 'half' ? 4 : 14;
      const line = `<path d="M${f(eye.x0 + 2)} ${f(lidY - 2)} Q${f((eye.x0 + eye.x1) / 2)} ${f(lidY + sag)} ${f(eye.x1 - 2)} ${f(lidY - 2)}" fill="none" stroke="${INK}" stroke-width="${state === 'half' ? 9 : 10}" stroke-linecap="round"/>`;
      return cover + line;
    })
    .join('');
}

/**
 * The avatar SVG with the sentinel-coloured mouth and eyes put back as drawn (`variant` null) or replaced
 * by a mouth shape / lidded eyes.
 */
export function applyVariant(avatar, variant, skin) {
  const mouthPath = sentinelPath(avatar, MOUTH_SENTINEL);
  const eyesPath = sentinelPath(avatar, EYES_SENTINEL);
  const geometry = faceGeometry(avatar);
  const plainMouth = mouthPath.replaceAll(`#${MOUTH_SENTINEL}`, INK);
  const plainEyes = eyesPath.replaceAll(`#${EYES_SENTINEL}`, INK);
  const mouth = variant?.mouth ? mouthShape(variant.mouth, geometry.mouth, geometry.eyes, `mouth-${variant.mouth}`) : plainMouth;
  const eyes = variant?.eyes ? plainEyes + eyeLids(variant.eyes, geometry.eyes, skin) : plainEyes;
  return avatar.replace(mouthPath, () => mouth).replace(eyesPath, () => eyes);
}

/** Pixels where two renders of the same size differ, as a bounding box; null when identical. */
export function differenceBox(a, b, width) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < a.length; i += 4) {
    if (a[i] === b[i] && a[i + 1] === b[i + 1] && a[i + 2] === b[i + 2]) continue;
    const p = i / 4;
    const x = p % width;
    const y = (p - x) / width;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** The union of boxes, padded, on even pixel coordinates (the video's chroma is subsampled 2x2), inside the image. */
export function patchBox(boxes, pad, width, height) {
  const even = (n) => 2 * Math.floor(n / 2);
  const x0 = Math.max(0, even(Math.min(...boxes.map((b) => b.x0)) - pad));
  const y0 = Math.max(0, even(Math.min(...boxes.map((b) => b.y0)) - pad));
  const x1 = Math.min(width, even(Math.max(...boxes.map((b) => b.x1)) + pad + 1));
  const y1 = Math.min(height, even(Math.max(...boxes.map((b) => b.y1)) + pad + 1));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The pixels of an RGBA render inside `box`, as an opaque PNG (encoded by the bundled ffmpeg). */
export function cropPng(pixels, width, height, box) {
  const result = spawnSync(ffmpeg.path, ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-i', 'pipe:0', '-vf', `crop=${box.width}:${box.height}:${box.x}:${box.y},format=rgb24`, '-frames:v', '1', '-f', 'image2', '-c:v', 'png', 'pipe:1'], { input: pixels, maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`ffmpeg could not crop a patch: ${String(result.stderr)}`);
  return result.stdout;
}

export { render };
