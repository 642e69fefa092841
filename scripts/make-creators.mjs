#!/usr/bin/env node
// Draws the stock creator portraits in templates/creators/.
//
// Every creator is one SVG scene, composed here from flat vector shapes:
//   1. a setting background that matches the creator's category,
//   2. shoulders / torso / clothing drawn by this script,
//   3. a face and hair from the DiceBear "Lorelei" style (CC0 1.0),
// rasterised with @resvg/resvg-js to a 1152x2048 (9:16) PNG.
//
// Output is deterministic: fixed seeds, fixed options, no randomness, no text
// (so no dependency on the fonts installed on the machine).
//
// Usage: node scripts/make-creators.mjs [slug ...]
//   With no arguments every creator in CREATORS is (re)drawn.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAvatar } from '@dicebear/core';
import { lorelei } from '@dicebear/collection';
import { applyVariant, differenceBox, EYE_STATES, EYES_SENTINEL, MOUTH_SENTINEL, patchBox, render, cropPng, SPOKEN_VISEMES } from './creator-rig.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'templates', 'creators');

export const W = 1152;
export const H = 2048;
const CX = W / 2;
const INK = '#1e1a1d';

// Only a CC0 style may be used: refuse to run if the installed package says otherwise.
const STYLE_LICENCE = lorelei.meta?.license?.name ?? '';
if (!/^CC0/i.test(STYLE_LICENCE)) {
  throw new Error(`DiceBear lorelei licence is "${STYLE_LICENCE}", expected CC0`);
}

// ---------------------------------------------------------------------------
// Small SVG helpers
// ---------------------------------------------------------------------------

/** Serialise an attribute object, skipping undefined values. */
function attrs(a) {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ');
}
const tag = (name, a, inner) => (inner === undefined ? `<${name} ${attrs(a)}/>` : `<${name} ${attrs(a)}>${inner}</${name}>`);
const rect = (x, y, w, h, fill, extra = {}) => tag('rect', { x, y, width: w, height: h, fill, ...extra });
const circle = (cx, cy, r, fill, extra = {}) => tag('circle', { cx, cy, r, fill, ...extra });
const ellipse = (cx, cy, rx, ry, fill, extra = {}) => tag('ellipse', { cx, cy, rx, ry, fill, ...extra });
const path = (d, fill, extra = {}) => tag('path', { d, fill, ...extra });
const line = (x1, y1, x2, y2, stroke, width, extra = {}) =>
  tag('line', { x1, y1, x2, y2, stroke, 'stroke-width': width, 'stroke-linecap': 'round', ...extra });
const group = (inner, extra = {}) => tag('g', extra, inner);

/** Collects <defs> (gradients, patterns) with per-scene unique ids. */
class Defs {
  constructor() {
    this.items = [];
    this.n = 0;
  }
  id(prefix) {
    this.n += 1;
    return `${prefix}${this.n}`;
  }
  /** Vertical (default) or custom-direction linear gradient; returns url(#id). */
  linear(stops, { x1 = 0, y1 = 0, x2 = 0, y2 = 1 } = {}) {
    const id = this.id('lg');
    const s = stops.map(([o, c, op]) => tag('stop', { offset: o, 'stop-color': c, 'stop-opacity': op })).join('');
    this.items.push(tag('linearGradient', { id, x1, y1, x2, y2 }, s));
    return `url(#${id})`;
  }
  radial(stops) {
    const id = this.id('rg');
    const s = stops.map(([o, c, op]) => tag('stop', { offset: o, 'stop-color': c, 'stop-opacity': op })).join('');
    this.items.push(tag('radialGradient', { id, cx: 0.5, cy: 0.5, r: 0.5 }, s));
    return `url(#${id})`;
  }
  pattern(w, h, inner, extra = {}) {
    const id = this.id('pt');
    this.items.push(tag('pattern', { id, width: w, height: h, patternUnits: 'userSpaceOnUse', ...extra }, inner));
    return `url(#${id})`;
  }
  toString() {
    return `<defs>${this.items.join('')}</defs>`;
  }
}

/** Mix a #rrggbb colour towards black (amt < 0) or white (amt > 0). */
function shade(hex, amt) {
  const n = parseInt(hex.slice(1), 16);
  const ch = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) =>
    Math.round(amt < 0 ? c * (1 + amt) : c + (255 - c) * amt),
  );
  return `#${ch.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

// ---------------------------------------------------------------------------
// Reusable props
// ---------------------------------------------------------------------------

function plant(x, y, s, pot, leaf) {
  // A potted plant whose pot's top-centre is at (x, y); s = scale.
  const leaves = [
    [-70, -150, -10],
    [60, -170, 15],
    [-20, -220, 0],
    [-110, -90, -35],
    [100, -100, 35],
  ]
    .map(([dx, dy, rot], i) =>
      ellipse(x + dx * s, y + dy * s, 30 * s, 95 * s, i % 2 ? leaf : shade(leaf, -0.18), {
        transform: `rotate(${rot * 1.6} ${x + dx * s} ${y + dy * s})`,
      }),
    )
    .join('');
  const stems = [
    [-70, -150],
    [60, -170],
    [-20, -220],
    [-110, -90],
    [100, -100],
  ]
    .map(([dx, dy]) => line(x, y, x + dx * s * 0.7, y + dy * s * 0.7, shade(leaf, -0.35), 5 * s))
    .join('');
  const potPath = `M${x - 70 * s} ${y} L${x + 70 * s} ${y} L${x + 52 * s} ${y + 120 * s} L${x - 52 * s} ${y + 120 * s} Z`;
  return stems + leaves + path(potPath, pot) + rect(x - 78 * s, y - 6 * s, 156 * s, 22 * s, shade(pot, -0.12), { rx: 6 * s });
}

function books(x, y, list) {
  // Upright books standing on a shelf line at y, starting at x. list: [width, height, colour]
  let cx = x;
  return list
    .map(([w, h, c]) => {
      const r = rect(cx, y - h, w, h, c, { rx: 3 }) + rect(cx + 4, y - h + 18, w - 8, 6, shade(c, 0.35));
      cx += w + 3;
      return r;
    })
    .join('');
}

function frame(x, y, w, h, frameColour, inner) {
  return rect(x - 12, y - 12, w + 24, h + 24, frameColour, { rx: 6 }) + rect(x, y, w, h, '#fbf7f1') + inner;
}

function cloud(x, y, s, fill = '#ffffff', opacity = 0.95) {
  return group(
    ellipse(x, y, 110 * s, 45 * s, fill) + circle(x - 40 * s, y - 30 * s, 50 * s, fill) + circle(x + 35 * s, y - 40 * s, 62 * s, fill),
    { opacity },
  );
}

function pineTree(x, y, s, c) {
  return (
    rect(x - 10 * s, y - 40 * s, 20 * s, 60 * s, shade(c, -0.45)) +
    path(`M${x} ${y - 330 * s} L${x + 95 * s} ${y - 30 * s} L${x - 95 * s} ${y - 30 * s} Z`, c) +
    path(`M${x} ${y - 330 * s} L${x + 95 * s} ${y - 30 * s} L${x} ${y - 30 * s} Z`, shade(c, -0.15))
  );
}

function roundTree(x, y, s, c) {
  return (
    rect(x - 14 * s, y - 130 * s, 28 * s, 150 * s, '#8a5a3c') +
    circle(x, y - 210 * s, 120 * s, c) +
    circle(x - 70 * s, y - 150 * s, 80 * s, shade(c, -0.1)) +
    circle(x + 75 * s, y - 160 * s, 85 * s, shade(c, 0.08))
  );
}

// ---------------------------------------------------------------------------
// Backgrounds, one per category. Each fills the whole 1152x2048 canvas. The
// person covers roughly x 160..990, y 380..2048, so props sit at the sides
// and along the top.
// ---------------------------------------------------------------------------

function bgHome(d, s) {
  const wall = d.linear([
    [0, shade(s.wall, 0.25)],
    [1, shade(s.wall, -0.08)],
  ]);
  const glass = d.linear([
    [0, '#bfe3f5'],
    [1, '#eaf6fb'],
  ]);
  const lampGlow = d.radial([
    [0, '#fff6d8', 0.9],
    [1, '#fff6d8', 0],
  ]);
  return [
    rect(0, 0, W, H, wall),
    // window, top left, with curtains
    rect(40, 180, 330, 560, '#ffffff', { rx: 10 }),
    rect(60, 200, 290, 520, glass),
    cloud(170, 330, 0.7),
    rect(198, 200, 14, 520, '#ffffff'),
    rect(60, 450, 290, 14, '#ffffff'),
    path('M20 150 Q80 450 40 800 L0 800 L0 150 Z', s.accent),
    path('M390 150 Q330 450 370 800 L420 800 L420 150 Z', shade(s.accent, -0.08)),
    rect(0, 140, 440, 16, shade(s.wall, -0.4), { rx: 8 }),
    // framed art, top right
    frame(
      850,
      220,
      220,
      280,
      '#f9f4ec',
      circle(960, 320, 60, s.accent) + path('M850 500 L930 390 L990 450 L1070 360 L1070 500 Z', shade(s.sofa, -0.15)),
    ),
    // floating shelf with books and a small plant
    rect(830, 760, 300, 22, '#c79b72', { rx: 4 }),
    books(850, 760, [
      [34, 150, '#5d7fb3'],
      [28, 170, '#e3a35d'],
      [38, 135, '#7aa98b'],
      [26, 160, '#d86f6f'],
    ]),
    plant(1060, 700, 0.4, '#f2efe9', '#4f9a6a'),
    // wall lamp glow
    ellipse(160, 1040, 200, 200, lampGlow),
    // sofa back behind the person
    rect(-60, 1330, W + 120, 520, s.sofa, { rx: 70 }),
    rect(-60, 1330, W + 120, 40, shade(s.sofa, 0.15), { rx: 20 }),
    rect(40, 1400, 260, 240, shade(s.accent, 0.1), { rx: 40, transform: 'rotate(-8 170 1520)' }),
    rect(860, 1400, 260, 240, '#f3e6c8', { rx: 40, transform: 'rotate(8 990 1520)' }),
    rect(0, 1800, W, H - 1800, shade(s.sofa, -0.2)),
  ].join('');
}

function bgOffice(d, s) {
  const wall = d.linear([
    [0, shade(s.wall, 0.3)],
    [1, shade(s.wall, -0.05)],
  ]);
  const sky = d.linear([
    [0, '#9ccbea'],
    [1, '#e2f1f8'],
  ]);
  const buildings = [
    [0, 430, 90],
    [95, 360, 70],
    [170, 470, 110],
    [285, 400, 80],
    [370, 520, 120],
    [495, 440, 90],
  ]
    .map(([x, h, w], i) => rect(20 + x, 1020 - h, w, h, i % 2 ? '#a9bdd0' : '#bccbda'))
    .join('');
  const winLights = [];
  for (let bx = 40; bx < 600; bx += 60) {
    for (let by = 700; by < 1000; by += 70) winLights.push(rect(bx, by, 18, 26, '#dfe8f0'));
  }
  return [
    rect(0, 0, W, H, wall),
    // big window left with a soft city view and blinds
    rect(0, 150, 640, 900, '#f4f6f8'),
    rect(20, 170, 600, 860, sky),
    buildings,
    winLights.join(''),
    ...Array.from({ length: 9 }, (_, i) => rect(20, 190 + i * 26, 600, 8, '#ffffff', { opacity: 0.75 })),
    rect(0, 1030, 640, 30, '#e6eaee'),
    // right wall: clock and a shelf with binders
    circle(960, 330, 95, '#ffffff'),
    circle(960, 330, 95, 'none', { stroke: shade(s.accent, -0.2), 'stroke-width': 14 }),
    line(960, 330, 960, 270, INK, 8),
    line(960, 330, 1005, 345, INK, 6),
    rect(760, 720, 392, 20, shade(s.wall, -0.35)),
    books(790, 720, [
      [44, 190, s.accent],
      [44, 190, shade(s.accent, -0.2)],
      [44, 190, '#f2c14e'],
      [36, 150, '#8fa3b8'],
      [50, 170, '#ffffff'],
    ]),
    plant(1070, 640, 0.45, '#ffffff', '#3f8f6b'),
    // desk / credenza behind the person
    rect(0, 1420, W, 60, '#d7b48c'),
    rect(0, 1480, W, H - 1480, shade(s.wall, -0.2)),
    rect(30, 1520, 300, 380, shade(s.wall, -0.1), { rx: 12 }),
    rect(830, 1520, 300, 380, shade(s.wall, -0.1), { rx: 12 }),
    rect(160, 1690, 40, 10, '#ffffff', { rx: 5 }),
    rect(960, 1690, 40, 10, '#ffffff', { rx: 5 }),
    plant(120, 1300, 0.65, '#e9e4dc', '#4f9a6a'),
    // monitor on the right of the desk
    rect(900, 1160, 300, 200, '#2c3440', { rx: 14 }),
    rect(915, 1175, 270, 170, d.linear([[0, '#7fb6e8'], [1, '#b7d8f2']]), { rx: 6 }),
    rect(1010, 1360, 40, 60, '#2c3440'),
  ].join('');
}

function bgOutdoor(d, s) {
  const sky = d.linear([
    [0, s.skyTop ?? '#7ec3ee'],
    [1, s.skyBottom ?? '#dff2fb'],
  ]);
  const sunGlow = d.radial([
    [0, '#fff4c2', 0.9],
    [1, '#fff4c2', 0],
  ]);
  const parts = [rect(0, 0, W, H, sky), ellipse(900, 300, 260, 260, sunGlow), circle(900, 300, 80, '#fff1b0')];
  parts.push(cloud(230, 260, 1), cloud(1040, 760, 0.6, '#ffffff', 0.85));
  if (s.variant === 'mountain') {
    parts.push(
      path('M-50 1200 L260 640 L480 980 L650 760 L930 1150 L1210 820 L1210 1300 L-50 1300 Z', '#9fb6cf'),
      path('M260 640 L330 768 L290 740 L250 790 L210 730 Z', '#ffffff'),
      path('M650 760 L705 840 L670 825 L640 860 L610 820 Z', '#ffffff'),
      path('M-50 1300 Q300 1150 620 1260 T1210 1200 L1210 1500 L-50 1500 Z', '#8cc48f'),
      rect(-50, 1450, W + 100, 200, '#7fb7d6'),
      rect(-50, 1560, W + 100, H - 1560, '#6aa86c'),
    );
    for (const [x, y, sc, c] of [
      [60, 1500, 1.1, '#2f6b4f'],
      [170, 1460, 0.8, '#3d7d5c'],
      [1000, 1480, 1.0, '#2f6b4f'],
      [1110, 1520, 1.2, '#285f45'],
      [880, 1440, 0.7, '#3d7d5c'],
    ]) {
      parts.push(pineTree(x, y, sc, c));
    }
  } else if (s.variant === 'beach') {
    parts.push(
      rect(0, 1150, W, 360, d.linear([[0, '#3fb6c9'], [1, '#7fd6d8']])),
      ...Array.from({ length: 6 }, (_, i) => rect(60 + ((i * 190) % 1000), 1200 + i * 48, 140, 8, '#ffffff', { rx: 4, opacity: 0.7 })),
      path('M-50 1500 Q400 1440 1210 1520 L1210 2100 L-50 2100 Z', '#f3ddb0'),
      path('M-50 1500 Q400 1440 1210 1520 L1210 1545 Q400 1470 -50 1530 Z', '#ffffff', { opacity: 0.8 }),
      // palm tree at left
      path('M60 1700 C70 1400 90 1150 150 950 L172 958 C120 1160 100 1400 98 1700 Z', '#9b6b43'),
      ...[
        [-40, 0],
        [25, 1],
        [-95, 0],
        [80, 1],
        [150, 0],
      ].map(([rot, k]) =>
        ellipse(240, 950, 190, 42, k ? '#3f9c5a' : '#2f8a4c', { transform: `rotate(${rot} 160 950)` }),
      ),
    );
  } else {
    // park
    parts.push(
      path('M-50 1250 Q250 1080 620 1200 T1210 1150 L1210 1600 L-50 1600 Z', '#a6d49a'),
      path('M-50 1400 Q400 1300 1210 1420 L1210 2100 L-50 2100 Z', '#7cbf77'),
      roundTree(90, 1300, 1.2, '#5fa86a'),
      roundTree(1060, 1260, 1.0, '#4f9a5e'),
      roundTree(900, 1180, 0.55, '#79b97a'),
      path('M420 2100 Q560 1700 640 1420 L700 1420 Q660 1700 760 2100 Z', '#e8d7b5'),
      ...[
        [120, 1700, '#f6d365'],
        [190, 1760, '#ffffff'],
        [980, 1720, '#f79ab0'],
        [1060, 1790, '#f6d365'],
      ].map(([x, y, c]) => circle(x, y, 14, c)),
    );
  }
  return parts.join('');
}

function bgCafe(d, s) {
  const wall = d.linear([
    [0, shade(s.wall, 0.1)],
    [1, shade(s.wall, -0.1)],
  ]);
  const brick = d.pattern(
    120,
    60,
    rect(0, 0, 120, 60, shade(s.brick, -0.18)) +
      rect(3, 3, 114, 24, s.brick, { rx: 3 }) +
      rect(-57, 33, 114, 24, shade(s.brick, 0.05), { rx: 3 }) +
      rect(63, 33, 114, 24, shade(s.brick, 0.05), { rx: 3 }),
  );
  const glow = d.radial([
    [0, '#ffe7a8', 0.85],
    [1, '#ffe7a8', 0],
  ]);
  const lamp = (x, len) =>
    line(x, 0, x, len, '#3a2d28', 5) +
    ellipse(x, len + 70, 150, 150, glow) +
    path(`M${x - 70} ${len + 60} Q${x} ${len - 30} ${x + 70} ${len + 60} Z`, s.accent) +
    ellipse(x, len + 62, 30, 12, '#fff4cf');
  return [
    rect(0, 0, W, H, wall),
    // exposed-brick panel on the right
    rect(720, 0, W - 720, 1250, brick),
    // chalkboard menu on the left
    rect(40, 260, 360, 480, '#6b4a33', { rx: 12 }),
    rect(60, 280, 320, 440, '#2f3b37', { rx: 6 }),
    ...[330, 390, 450, 510, 570, 630].map((y, i) =>
      line(90, y, 90 + (i % 2 ? 180 : 240), y, '#e8efe9', 8, { opacity: i === 0 ? 0.95 : 0.6 }),
    ),
    ...[390, 450, 510, 570, 630].map((y) => circle(340, y, 8, '#f2c14e')),
    // pendant lamps
    lamp(230, 60),
    lamp(940, 120),
    // shelf with cups and jars on the brick wall
    rect(760, 800, 392, 20, '#7a5238'),
    ...[800, 880, 960].map((x, i) => path(`M${x} 730 L${x + 56} 730 L${x + 50} 800 L${x + 6} 800 Z`, ['#ffffff', s.accent, '#f2e2c9'][i] ?? '#fff')),
    rect(1040, 690, 70, 110, '#d8c8a8', { rx: 14 }),
    rect(1036, 680, 78, 22, '#7a5238', { rx: 6 }),
    // counter behind the person
    rect(0, 1450, W, 40, '#e9dcc6'),
    rect(0, 1490, W, H - 1490, '#8a5a3c'),
    ...Array.from({ length: 10 }, (_, i) => rect(i * 120, 1490, 6, H - 1490, '#7a4d32')),
    // espresso machine on the counter, right
    rect(880, 1180, 260, 270, '#c9ccd1', { rx: 16 }),
    rect(900, 1200, 220, 80, '#e6e8eb', { rx: 8 }),
    circle(960, 1240, 18, s.accent),
    rect(960, 1320, 40, 50, '#5b5f66'),
    rect(940, 1395, 80, 55, '#ffffff', { rx: 8 }),
    // to-go cup at left
    path('M120 1450 L210 1450 L200 1320 L130 1320 Z', '#ffffff'),
    rect(122, 1300, 86, 26, '#6b4a33', { rx: 6 }),
    rect(130, 1360, 72, 40, s.accent),
  ].join('');
}

function bgGym(d, s) {
  const wall = d.linear([
    [0, shade(s.wall, 0.15)],
    [1, shade(s.wall, -0.1)],
  ]);
  const light = d.linear([
    [0, '#ffffff', 0.55],
    [1, '#ffffff', 0],
  ]);
  const dumbbell = (x, y, sc, c) =>
    rect(x - 70 * sc, y - 8 * sc, 140 * sc, 16 * sc, '#9aa1a8', { rx: 6 * sc }) +
    rect(x - 80 * sc, y - 38 * sc, 34 * sc, 76 * sc, c, { rx: 8 * sc }) +
    rect(x + 46 * sc, y - 38 * sc, 34 * sc, 76 * sc, c, { rx: 8 * sc });
  const kettlebell = (x, y, c) =>
    path(`M${x - 40} ${y - 120} Q${x} ${y - 200} ${x + 40} ${y - 120}`, 'none', { stroke: c, 'stroke-width': 22 }) +
    circle(x, y - 50, 72, c) +
    rect(x - 50, y + 8, 100, 12, shade(c, -0.2), { rx: 6 });
  return [
    rect(0, 0, W, H, wall),
    // high clerestory windows
    ...[40, 420, 800].map((x) => rect(x, 120, 310, 180, '#d6ecf7', { rx: 8 })),
    ...[40, 420, 800].map((x) => rect(x, 120, 310, 180, light, { rx: 8 })),
    // accent stripes across the wall
    rect(0, 380, W, 46, s.accent),
    rect(0, 440, W, 14, shade(s.accent, 0.35)),
    // wall-mounted plates on the left
    ...[
      [150, 620, 95, '#2d3238'],
      [150, 620, 30, '#9aa1a8'],
      [150, 860, 80, s.accent],
      [150, 860, 26, '#9aa1a8'],
    ].map(([x, y, r, c]) => circle(x, y, r, c)),
    // big mirror panel on the right
    rect(870, 520, 260, 820, '#dfe9ef', { rx: 10 }),
    path('M900 600 L960 540 L980 540 L920 600 Z', '#ffffff', { opacity: 0.8 }),
    path('M900 700 L1060 540 L1090 540 L930 700 Z', '#ffffff', { opacity: 0.6 }),
    // rubber floor
    rect(0, 1560, W, H - 1560, '#3b4148'),
    ...Array.from({ length: 8 }, (_, i) => rect(i * 150, 1560, 4, H - 1560, '#333940')),
    // dumbbell rack on the right
    rect(820, 1360, 332, 24, '#2d3238'),
    rect(840, 1384, 20, 176, '#2d3238'),
    rect(1112, 1384, 20, 176, '#2d3238'),
    dumbbell(940, 1320, 0.7, '#2d3238'),
    dumbbell(1070, 1320, 0.7, s.accent),
    rect(820, 1470, 332, 20, '#2d3238'),
    dumbbell(940, 1440, 0.6, '#2d3238'),
    dumbbell(1070, 1440, 0.6, '#2d3238'),
    // kettlebells and a yoga mat on the left
    kettlebell(110, 1560, s.accent),
    kettlebell(260, 1560, '#2d3238'),
    rect(0, 1380, 70, 180, shade(s.accent, 0.3), { rx: 35 }),
  ].join('');
}

function bgKitchen(d, s) {
  const wall = d.linear([
    [0, shade(s.wall, 0.2)],
    [1, s.wall],
  ]);
  const tiles = d.pattern(
    160,
    80,
    rect(0, 0, 160, 80, shade(s.tile, -0.08)) +
      rect(3, 3, 154, 34, s.tile, { rx: 4 }) +
      rect(-77, 43, 154, 34, s.tile, { rx: 4 }) +
      rect(83, 43, 154, 34, s.tile, { rx: 4 }),
  );
  const cabinet = (x, w) =>
    rect(x, 0, w, 560, s.cabinet, { rx: 10 }) +
    rect(x + 20, 20, w - 40, 510, shade(s.cabinet, 0.12), { rx: 8 }) +
    rect(x + w / 2 - 8, 440, 16, 70, '#c9a86a', { rx: 8 });
  return [
    rect(0, 0, W, H, wall),
    // upper cabinets, leaving a gap (window) behind the head
    cabinet(0, 260),
    cabinet(892, 260),
    // window with herbs between cabinets
    rect(300, 120, 552, 430, '#ffffff', { rx: 10 }),
    rect(320, 140, 512, 390, d.linear([[0, '#a8d8f0'], [1, '#e4f4fb']])),
    roundTree(420, 560, 0.6, '#9fd39a'),
    cloud(700, 260, 0.6),
    // backsplash tiles
    rect(0, 700, W, 780, tiles),
    // hanging rail with utensils, left
    rect(40, 780, 300, 14, '#b8bcc2', { rx: 7 }),
    ...[80, 150, 220, 290].map((x, i) =>
      line(x, 794, x, 900 + (i % 2) * 40, '#8a9096', 8) +
        (i % 2 ? ellipse(x, 960, 24, 40, '#8a9096') : rect(x - 18, 900, 36, 70, '#b8bcc2', { rx: 10 })),
    ),
    // copper pan hanging at right
    line(1010, 780, 1010, 860, '#8a5a3c', 10),
    circle(1010, 960, 100, '#c97b4a'),
    circle(1010, 960, 72, '#b36a3d'),
    // countertop and lower cabinets
    rect(0, 1480, W, 50, '#f4f1ea'),
    rect(0, 1530, W, H - 1530, s.cabinet),
    ...Array.from({ length: 4 }, (_, i) => rect(20 + i * 288, 1570, 250, 440, shade(s.cabinet, 0.12), { rx: 8 })),
    // fruit bowl and a cutting board on the counter
    path('M800 1400 Q900 1510 1000 1400 Z', '#ffffff'),
    circle(860, 1385, 34, '#f2a43a'),
    circle(920, 1372, 36, '#e0533d'),
    circle(970, 1392, 30, '#a6c84a'),
    rect(110, 1220, 190, 260, '#d8b07a', { rx: 30 }),
    circle(205, 1260, 16, shade(s.wall, 0.2)),
    plant(1090, 1400, 0.45, '#e37b55', '#4f9a6a'),
  ].join('');
}

function bgStudio(d, s) {
  const backdrop = d.linear([
    [0, s.top],
    [1, s.bottom],
  ]);
  const parts = [rect(0, 0, W, H, backdrop)];
  if (s.variant === 'gaming') {
    const neon = (c) =>
      d.radial([
        [0, c, 0.55],
        [1, c, 0],
      ]);
    const hexPts = (x, y, r) =>
      Array.from({ length: 6 }, (_, i) => {
        const a = (Math.PI / 3) * i + Math.PI / 6;
        return `${(x + r * Math.cos(a)).toFixed(1)},${(y + r * Math.sin(a)).toFixed(1)}`;
      }).join(' ');
    const hexes = [
      [140, 360, s.neonA],
      [250, 420, s.neonB],
      [140, 480, s.neonA],
      [1010, 300, s.neonB],
      [900, 360, s.neonA],
      [1010, 420, s.neonB],
    ];
    parts.push(
      ellipse(180, 420, 260, 260, neon(s.neonA)),
      ellipse(980, 360, 260, 260, neon(s.neonB)),
      ...hexes.map(([x, y, c]) => tag('polygon', { points: hexPts(x, y, 58), fill: shade(c, -0.2), stroke: c, 'stroke-width': 10 })),
      // LED strip behind the person
      rect(0, 1080, W, 16, s.neonA),
      rect(0, 1060, W, 56, s.neonA, { opacity: 0.25 }),
      // shelves with figures / game boxes
      rect(0, 860, 300, 16, '#2b2340'),
      books(30, 860, [
        [30, 150, '#e94f7a'],
        [30, 150, '#4fc3e9'],
        [30, 150, '#f2c14e'],
      ]),
      circle(200, 815, 32, '#7be0a0'),
      rect(176, 840, 48, 20, '#2b2340'),
      rect(852, 860, 300, 16, '#2b2340'),
      rect(880, 740, 120, 120, '#3d3260', { rx: 14 }),
      circle(940, 800, 30, s.neonB),
      books(1030, 860, [
        [30, 130, '#4fc3e9'],
        [30, 150, '#e94f7a'],
      ]),
      // gaming chair back and desk
      rect(190, 1250, 772, 900, '#2b2340', { rx: 120 }),
      rect(250, 1300, 100, 800, s.neonB, { rx: 40, opacity: 0.85 }),
      rect(802, 1300, 100, 800, s.neonB, { rx: 40, opacity: 0.85 }),
      rect(0, 1780, W, H - 1780, '#1d1830'),
      rect(0, 1760, W, 24, s.neonA),
    );
  } else {
    // beauty / content studio: pastel sweep with a ring light behind the head
    const ringGlow = d.radial([
      [0.6, '#ffffff', 0],
      [0.8, '#ffffff', 0.55],
      [1, '#ffffff', 0],
    ]);
    parts.push(
      ellipse(CX, 700, 470, 470, ringGlow),
      circle(CX, 700, 380, 'none', { stroke: '#ffffff', 'stroke-width': 46 }),
      circle(CX, 700, 380, 'none', { stroke: shade(s.top, -0.08), 'stroke-width': 6, opacity: 0.6 }),
      rect(CX - 12, 1080, 24, 968, '#d9d4da'),
      // vanity shelf left with bottles, plant right
      rect(0, 980, 250, 18, '#ffffff'),
      rect(40, 870, 44, 110, s.accent, { rx: 10 }),
      rect(50, 840, 24, 34, '#ffffff', { rx: 4 }),
      rect(100, 900, 56, 80, '#ffffff', { rx: 18 }),
      rect(170, 880, 40, 100, shade(s.accent, -0.2), { rx: 20 }),
      plant(1030, 1500, 0.9, '#ffffff', '#6fae82'),
      // floor sweep
      path(`M0 1700 Q${CX} 1640 ${W} 1700 L${W} ${H} L0 ${H} Z`, shade(s.bottom, -0.06)),
      // softbox edge at top left
      path('M-20 60 L300 -20 L340 180 L20 260 Z', '#ffffff', { opacity: 0.85 }),
    );
  }
  return parts.join('');
}

const BACKGROUNDS = {
  home: bgHome,
  office: bgOffice,
  outdoor: bgOutdoor,
  cafe: bgCafe,
  gym: bgGym,
  kitchen: bgKitchen,
  studio: bgStudio,
};

// ---------------------------------------------------------------------------
// The person: torso / clothing drawn here, head from DiceBear lorelei.
// ---------------------------------------------------------------------------

// Placement of the 980x980 lorelei viewBox on the canvas.
const AV_SIZE = 900;
const AV_K = AV_SIZE / 980;
const AV_Y = 290; // hair top lands at about AV_Y + (160..180)*AV_K ≈ 440..455 px (21-22% of H)
const NECK_U = 470; // x of the neck centre in lorelei units (unflipped)
const NECK_Y = AV_Y + 750; // where the neck meets the shirt (px); lorelei's neck is ~240 units wide here
const stroke = { stroke: INK, 'stroke-width': 6, 'stroke-linejoin': 'round' };

/** The DiceBear face; `variant` replaces its mouth (`{ mouth: shape }`) or lids its eyes (`{ eyes: 'half' | 'closed' }`). */
function avatarSvg(p, variant = null, skinColour = p.skin) {
  const opts = {
    seed: p.slug,
    skinColor: [skinColour],
    hair: [p.hair],
    hairColor: [p.hairColor],
    eyebrows: [p.brows],
    eyebrowsColor: [p.browColor ?? p.hairColor],
    eyes: [p.eyes],
    eyesColor: [EYES_SENTINEL],
    mouth: [p.mouth],
    mouthColor: [MOUTH_SENTINEL],
    nose: [p.nose ?? 'variant01'],
    noseColor: ['1e1a1d'],
    head: [p.head ?? 'variant01'],
    flip: Boolean(p.flip),
    beard: [p.beard ?? 'variant01'],
    beardProbability: p.beard ? 100 : 0,
    glasses: [p.glasses ?? 'variant01'],
    glassesColor: [p.glassesColor ?? '1e1a1d'],
    glassesProbability: p.glasses ? 100 : 0,
    earrings: [p.earrings ?? 'variant01'],
    earringsColor: [p.earringsColor ?? 'd9a441'],
    earringsProbability: p.earrings ? 100 : 0,
    frecklesProbability: p.freckles ? 100 : 0,
    frecklesColor: ['b9735a'],
    hairAccessoriesProbability: 0,
  };
  const neckU = p.flip ? 980 - NECK_U : NECK_U;
  const x = CX - neckU * AV_K;
  const svg = applyVariant(createAvatar(lorelei, opts).toString(), variant, p.skin);
  return svg.replace('<svg ', `<svg x="${x.toFixed(1)}" y="${AV_Y}" width="${AV_SIZE}" height="${AV_SIZE}" `);
}

/** One side (-1 left, +1 right) of the shoulder/arm silhouette, from the neck down to the bottom edge. */
function bodySide(sw, side) {
  const n = 128; // half width of the neck where the shoulders start
  const x = (dx) => CX + side * dx;
  return (
    `M${x(n)} ${NECK_Y - 20} ` +
    `C${x(n + 70)} ${NECK_Y + 40} ${x(sw - 40)} ${NECK_Y + 40} ${x(sw)} ${NECK_Y + 170} ` +
    `C${x(sw + 30)} ${NECK_Y + 260} ${x(sw + 30)} ${NECK_Y + 600} ${x(sw + 40)} ${H + 20}`
  );
}

/** Closed outline of shoulders + arms + chest (for filling). */
function bodyOutline(sw) {
  const n = 128;
  return [
    `M${CX - n} ${NECK_Y - 20}`,
    `C${CX - n - 70} ${NECK_Y + 40} ${CX - sw + 40} ${NECK_Y + 40} ${CX - sw} ${NECK_Y + 170}`,
    `C${CX - sw - 30} ${NECK_Y + 260} ${CX - sw - 30} ${NECK_Y + 600} ${CX - sw - 40} ${H + 20}`,
    `L${CX + sw + 40} ${H + 20}`,
    `C${CX + sw + 30} ${NECK_Y + 600} ${CX + sw + 30} ${NECK_Y + 260} ${CX + sw} ${NECK_Y + 170}`,
    `C${CX + sw - 40} ${NECK_Y + 40} ${CX + n + 70} ${NECK_Y + 40} ${CX + n} ${NECK_Y - 20}`,
    'Z',
  ].join(' ');
}

/** Filled body, outlined on the two sides only: its top edge runs behind the neck and must not show. */
function bodyShape(sw, fill) {
  return path(bodyOutline(sw), fill) + path(`${bodySide(sw, -1)} ${bodySide(sw, 1)}`, 'none', { ...stroke, 'stroke-linecap': 'round' });
}

/** Arm shapes (inner seams), so the arms read separately from the chest. */
function arms(sw, fill) {
  const a = (side) => {
    const o = side * sw;
    return path(
      `M${CX + o} ${NECK_Y + 170} C${CX + o + side * 30} ${NECK_Y + 260} ${CX + o + side * 30} ${NECK_Y + 600} ${CX + o + side * 40} ${H + 20} ` +
        `L${CX + o - side * 120} ${H + 20} C${CX + o - side * 110} ${NECK_Y + 700} ${CX + o - side * 100} ${NECK_Y + 420} ${CX + o - side * 80} ${NECK_Y + 280} Z`,
      fill,
      { stroke: INK, 'stroke-width': 6, 'stroke-linejoin': 'round' },
    );
  };
  return a(-1) + a(1);
}

/** Skin behind the neckline so that any opening in the garment shows skin. */
function neckSkin(skin) {
  // starts inside the neck, widening only below the shoulder line so it never shows beside the neck
  return path(
    `M${CX - 110} ${NECK_Y - 30} L${CX + 110} ${NECK_Y - 30} L${CX + 118} ${NECK_Y - 10} L${CX + 190} ${NECK_Y + 80} L${CX + 190} ${NECK_Y + 420} ` +
      `L${CX - 190} ${NECK_Y + 420} L${CX - 190} ${NECK_Y + 80} L${CX - 118} ${NECK_Y - 10} Z`,
    skin,
  );
}

function outfit(p) {
  const sw = p.gender === 'male' ? 420 : 392;
  const o = p.outfit;
  const c = o.colour;
  const dark = shade(c, -0.14);
  const body = bodyShape(sw, c);
  const parts = [];
  // neckline openings are painted in skin colour over the garment
  const skin = `#${p.skin}`;
  if (o.type === 'tee' || o.type === 'sweater') {
    parts.push(body, arms(sw, dark));
    const neck = `M${CX - 132} ${NECK_Y - 20} Q${CX} ${NECK_Y + 150} ${CX + 132} ${NECK_Y - 20} Z`;
    parts.push(path(neck, skin));
    const band = o.type === 'sweater' ? 30 : 16;
    parts.push(
      path(`M${CX - 132} ${NECK_Y - 20} Q${CX} ${NECK_Y + 150} ${CX + 132} ${NECK_Y - 20}`, 'none', {
        stroke: o.trim ?? dark,
        'stroke-width': band,
        'stroke-linecap': 'round',
      }),
    );
    if (o.print) {
      parts.push(circle(CX, NECK_Y + 380, 70, o.print, { opacity: 0.9 }), circle(CX, NECK_Y + 380, 36, c));
    }
  } else if (o.type === 'vneck') {
    parts.push(body, arms(sw, dark));
    parts.push(path(`M${CX - 128} ${NECK_Y - 20} L${CX} ${NECK_Y + 230} L${CX + 128} ${NECK_Y - 20} Z`, skin));
    parts.push(
      path(`M${CX - 128} ${NECK_Y - 20} L${CX} ${NECK_Y + 230} L${CX + 128} ${NECK_Y - 20}`, 'none', {
        stroke: o.trim ?? dark,
        'stroke-width': 16,
        'stroke-linejoin': 'round',
      }),
    );
  } else if (o.type === 'shirt' || o.type === 'blazer') {
    const inner = o.type === 'blazer' ? o.inner : c;
    // the inner shirt first, then (for a blazer) the jacket panels over it
    parts.push(bodyShape(sw, inner));
    parts.push(path(`M${CX - 122} ${NECK_Y - 21} L${CX} ${NECK_Y + 140} L${CX + 122} ${NECK_Y - 21} Z`, skin));
    if (o.type === 'blazer') {
      const lapel = (side) =>
        path(
          `M${CX + side * 130} ${NECK_Y - 20} C${CX + side * 200} ${NECK_Y + 40} ${CX + side * (sw - 40)} ${NECK_Y + 40} ${CX + side * sw} ${NECK_Y + 170} ` +
            `C${CX + side * (sw + 30)} ${NECK_Y + 260} ${CX + side * (sw + 30)} ${NECK_Y + 600} ${CX + side * (sw + 40)} ${H + 20} ` +
            `L${CX + side * 40} ${H + 20} L${CX + side * 70} ${NECK_Y + 520} L${CX + side * 150} ${NECK_Y + 260} Z`,
          c,
          stroke,
        );
      parts.push(lapel(-1), lapel(1), arms(sw, dark));
      parts.push(
        path(`M${CX - 130} ${NECK_Y - 20} L${CX - 150} ${NECK_Y + 260} L${CX - 210} ${NECK_Y + 160} Z`, dark, stroke),
        path(`M${CX + 130} ${NECK_Y - 20} L${CX + 150} ${NECK_Y + 260} L${CX + 210} ${NECK_Y + 160} Z`, dark, stroke),
      );
    } else {
      parts.push(arms(sw, dark));
      parts.push(line(CX, NECK_Y + 140, CX, H, dark, 6));
      parts.push(...[260, 420, 580, 740, 900].map((dy) => circle(CX + 16, NECK_Y + dy, 9, shade(c, 0.5))));
      if (o.pocket) parts.push(rect(CX + 120, NECK_Y + 330, 130, 150, dark, { rx: 8, ...stroke, 'stroke-width': 4 }));
    }
    // pointed shirt collar
    const collarCol = o.type === 'blazer' ? shade(o.inner, -0.05) : shade(c, 0.12);
    parts.push(
      path(`M${CX - 125} ${NECK_Y - 40} L${CX - 4} ${NECK_Y + 140} L${CX - 150} ${NECK_Y + 110} L${CX - 175} ${NECK_Y + 10} Z`, collarCol, stroke),
      path(`M${CX + 125} ${NECK_Y - 40} L${CX + 4} ${NECK_Y + 140} L${CX + 150} ${NECK_Y + 110} L${CX + 175} ${NECK_Y + 10} Z`, collarCol, stroke),
    );
  } else if (o.type === 'hoodie') {
    parts.push(body, arms(sw, dark));
    // hood bunched around the neck
    parts.push(
      path(
        `M${CX - 220} ${NECK_Y - 10} C${CX - 200} ${NECK_Y + 180} ${CX + 200} ${NECK_Y + 180} ${CX + 220} ${NECK_Y - 10} ` +
          `L${CX + 126} ${NECK_Y - 24} C${CX + 112} ${NECK_Y + 72} ${CX - 112} ${NECK_Y + 72} ${CX - 126} ${NECK_Y - 24} Z`,
        dark,
        stroke,
      ),
    );
    parts.push(path(`M${CX - 124} ${NECK_Y - 22} C${CX - 110} ${NECK_Y + 70} ${CX + 110} ${NECK_Y + 70} ${CX + 124} ${NECK_Y - 22} Z`, skin));
    parts.push(
      line(CX - 60, NECK_Y + 120, CX - 70, NECK_Y + 380, o.trim ?? '#ffffff', 10),
      line(CX + 60, NECK_Y + 120, CX + 70, NECK_Y + 400, o.trim ?? '#ffffff', 10),
      circle(CX - 70, NECK_Y + 390, 12, o.trim ?? '#ffffff'),
      circle(CX + 70, NECK_Y + 410, 12, o.trim ?? '#ffffff'),
      path(`M${CX - 200} ${NECK_Y + 720} L${CX + 200} ${NECK_Y + 720} L${CX + 240} ${H + 20} L${CX - 240} ${H + 20} Z`, dark, stroke),
    );
    if (o.print) parts.push(rect(CX - 110, NECK_Y + 480, 220, 60, o.print, { rx: 30 }));
  } else if (o.type === 'tank') {
    // bare shoulders and arms, tank top over the chest
    parts.push(bodyShape(sw, skin), arms(sw, skin));
    const strap = 70;
    parts.push(
      path(
        `M${CX - 200} ${NECK_Y + 20} L${CX - 200 + strap} ${NECK_Y + 20} Q${CX} ${NECK_Y + 260} ${CX + 200 - strap} ${NECK_Y + 20} L${CX + 200} ${NECK_Y + 20} ` +
          `C${CX + 220} ${NECK_Y + 220} ${CX + 270} ${NECK_Y + 300} ${CX + 285} ${NECK_Y + 330} L${CX + 275} ${H + 20} L${CX - 275} ${H + 20} L${CX - 285} ${NECK_Y + 330} ` +
          `C${CX - 270} ${NECK_Y + 300} ${CX - 220} ${NECK_Y + 220} ${CX - 200} ${NECK_Y + 20} Z`,
        c,
        stroke,
      ),
      path(`M${CX + 90} ${NECK_Y + 330} q40 40 110 -30`, 'none', { stroke: o.trim ?? '#ffffff', 'stroke-width': 14, 'stroke-linecap': 'round' }),
    );
  } else if (o.type === 'jacket') {
    parts.push(body, arms(sw, dark));
    parts.push(path(`M${CX - 132} ${NECK_Y - 20} Q${CX} ${NECK_Y + 130} ${CX + 132} ${NECK_Y - 20} Z`, o.inner ?? skin));
    if (o.inner) parts.push(path(`M${CX - 132} ${NECK_Y - 20} Q${CX} ${NECK_Y + 90} ${CX + 132} ${NECK_Y - 20} Z`, skin));
    // stand-up collar, zip and chest pockets
    parts.push(
      path(`M${CX - 150} ${NECK_Y - 50} L${CX - 10} ${NECK_Y + 130} L${CX - 12} ${NECK_Y + 170} L${CX - 195} ${NECK_Y + 20} Z`, shade(c, 0.1), stroke),
      path(`M${CX + 150} ${NECK_Y - 50} L${CX + 10} ${NECK_Y + 130} L${CX + 12} ${NECK_Y + 170} L${CX + 195} ${NECK_Y + 20} Z`, shade(c, 0.1), stroke),
      line(CX, NECK_Y + 160, CX, H, shade(c, -0.3), 8),
      rect(CX - 250, NECK_Y + 330, 150, 120, dark, { rx: 10, ...stroke, 'stroke-width': 4 }),
      rect(CX + 100, NECK_Y + 330, 150, 120, dark, { rx: 10, ...stroke, 'stroke-width': 4 }),
    );
    if (o.stripes) {
      for (let i = 0; i < 3; i++) parts.push(rect(CX - sw - 40, NECK_Y + 650 + i * 90, 2 * sw + 80, 24, o.stripes, { opacity: 0.5 }));
    }
  } else if (o.type === 'apron') {
    parts.push(body, arms(sw, dark));
    parts.push(path(`M${CX - 132} ${NECK_Y - 20} Q${CX} ${NECK_Y + 130} ${CX + 132} ${NECK_Y - 20} Z`, skin));
    parts.push(path(`M${CX - 132} ${NECK_Y - 20} Q${CX} ${NECK_Y + 130} ${CX + 132} ${NECK_Y - 20}`, 'none', { stroke: dark, 'stroke-width': 14 }));
    parts.push(
      line(CX - 150, NECK_Y + 20, CX - 190, NECK_Y + 330, o.apron, 22),
      line(CX + 150, NECK_Y + 20, CX + 190, NECK_Y + 330, o.apron, 22),
      path(`M${CX - 200} ${NECK_Y + 320} L${CX + 200} ${NECK_Y + 320} L${CX + 230} ${H + 20} L${CX - 230} ${H + 20} Z`, o.apron, stroke),
      rect(CX - 110, NECK_Y + 560, 220, 150, shade(o.apron, -0.15), { rx: 12 }),
      line(CX, NECK_Y + 560, CX, NECK_Y + 710, shade(o.apron, -0.35), 5),
    );
  } else {
    throw new Error(`unknown outfit ${o.type}`);
  }
  return parts.join('');
}

/** A headset resting around the neck (gaming creator). */
function headset(colour) {
  return (
    path(`M${CX - 190} ${NECK_Y + 20} C${CX - 160} ${NECK_Y + 190} ${CX + 160} ${NECK_Y + 190} ${CX + 190} ${NECK_Y + 20}`, 'none', {
      stroke: INK,
      'stroke-width': 30,
      'stroke-linecap': 'round',
    }) +
    ellipse(CX - 200, NECK_Y + 40, 62, 80, colour, { ...stroke, transform: `rotate(-25 ${CX - 200} ${NECK_Y + 40})` }) +
    ellipse(CX + 200, NECK_Y + 40, 62, 80, colour, { ...stroke, transform: `rotate(25 ${CX + 200} ${NECK_Y + 40})` })
  );
}

/** A soft shadow on the wall / backdrop behind the person. */
function contactShadow(d) {
  const g = d.radial([
    [0, '#000000', 0.16],
    [1, '#000000', 0],
  ]);
  return ellipse(CX, NECK_Y + 520, 620, 820, g);
}

export function sceneSvg(p, variant = null, skinColour = p.skin) {
  const d = new Defs();
  const bg = BACKGROUNDS[p.category];
  if (!bg) throw new Error(`no background for category ${p.category}`);
  const background = bg(d, p.scene);
  const shadow = contactShadow(d);
  const person = [neckSkin(`#${p.skin}`), avatarSvg(p, variant, skinColour), outfit(p), p.headset ? headset(p.headset) : ''].join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `${d}${background}${shadow}${person}</svg>`
  );
}

// ---------------------------------------------------------------------------
// The catalogue's visual specs (metadata lives in templates/creators/creators.json)
// ---------------------------------------------------------------------------

export const CREATORS = [
  {
    slug: 'mia',
    gender: 'female',
    category: 'home',
    skin: 'f6d6c2',
    hair: 'variant35',
    hairColor: '8a5232',
    brows: 'variant02',
    eyes: 'variant12',
    mouth: 'happy05',
    earrings: 'variant01',
    freckles: true,
    outfit: { type: 'vneck', colour: '#f49fb6', trim: '#f7c6d3' },
    scene: { wall: '#f5d9c6', accent: '#e98f8c', sofa: '#9fcbbd' },
  },
  {
    slug: 'leo',
    gender: 'male',
    category: 'office',
    skin: 'c68a62',
    hair: 'variant06',
    hairColor: '2a1d17',
    brows: 'variant07',
    eyes: 'variant04',
    mouth: 'happy02',
    glasses: 'variant04',
    flip: true,
    outfit: { type: 'shirt', colour: '#4a7cc4', pocket: true },
    scene: { wall: '#dfe6ee', accent: '#4a7cc4' },
  },
  {
    slug: 'ava',
    gender: 'female',
    category: 'gym',
    skin: 'e3b08a',
    hair: 'variant38',
    hairColor: '3b2519',
    brows: 'variant05',
    eyes: 'variant10',
    mouth: 'happy06',
    outfit: { type: 'tank', colour: '#ff6f6f', trim: '#ffe3e3' },
    scene: { wall: '#d9dde2', accent: '#2fbf9b' },
  },
  {
    slug: 'noah',
    gender: 'male',
    category: 'outdoor',
    skin: 'f2cbaa',
    hair: 'variant09',
    hairColor: 'a95a2b',
    brows: 'variant09',
    eyes: 'variant14',
    mouth: 'happy01',
    beard: 'variant01',
    outfit: { type: 'jacket', colour: '#e0763c', inner: '#37474f' },
    scene: { variant: 'mountain' },
  },
  {
    slug: 'sofia',
    gender: 'female',
    category: 'cafe',
    skin: 'd9a57f',
    hair: 'variant21',
    hairColor: '1f1410',
    brows: 'variant01',
    eyes: 'variant21',
    mouth: 'happy13',
    earrings: 'variant03',
    flip: true,
    outfit: { type: 'tee', colour: '#f2b134', trim: '#e09a1c' },
    scene: { wall: '#f1e3cf', brick: '#c9785b', accent: '#2f8f83' },
  },
  {
    slug: 'lucas',
    gender: 'male',
    category: 'kitchen',
    skin: '8d5a3c',
    hair: 'variant47',
    hairColor: '2b2624',
    brows: 'variant11',
    eyes: 'variant20',
    mouth: 'happy05',
    glasses: 'variant03',
    browColor: '2b2624',
    outfit: { type: 'apron', colour: '#f0ebe1', apron: '#3f6f8f' },
    scene: { wall: '#fbf3e4', tile: '#e4f1ee', cabinet: '#7fae9e' },
  },
  {
    slug: 'chloe',
    gender: 'female',
    category: 'studio',
    skin: 'f7e0d0',
    hair: 'variant40',
    hairColor: 'e2bf6c',
    browColor: 'a57f3c',
    brows: 'variant10',
    eyes: 'variant23',
    mouth: 'happy01',
    earrings: 'variant02',
    outfit: { type: 'blazer', colour: '#e7a9c0', inner: '#ffffff' },
    scene: { top: '#fde3ea', bottom: '#f6c7d4', accent: '#e7a9c0' },
  },
  {
    slug: 'max',
    gender: 'male',
    category: 'studio',
    skin: 'f0c6a4',
    hair: 'variant27',
    hairColor: '2b2f8f',
    browColor: '2a2420',
    brows: 'variant05',
    eyes: 'variant24',
    mouth: 'happy05',
    flip: true,
    headset: '#2de0c8',
    outfit: { type: 'hoodie', colour: '#7b55e0', trim: '#ffffff', print: '#2de0c8' },
    scene: { variant: 'gaming', top: '#2a1f4f', bottom: '#4a2f7a', neonA: '#ff4fa8', neonB: '#36d6f0' },
  },
  {
    slug: 'priya',
    gender: 'female',
    category: 'office',
    skin: 'a8694a',
    hair: 'variant16',
    hairColor: '161010',
    brows: 'variant03',
    eyes: 'variant02',
    mouth: 'happy08',
    earrings: 'variant01',
    outfit: { type: 'blazer', colour: '#2f4a7a', inner: '#f6f0e8' },
    scene: { wall: '#efe6da', accent: '#d9795b' },
  },
  {
    slug: 'mateo',
    gender: 'male',
    category: 'outdoor',
    skin: 'c99067',
    hair: 'variant39',
    hairColor: '22160f',
    brows: 'variant08',
    eyes: 'variant17',
    mouth: 'happy05',
    flip: true,
    outfit: { type: 'shirt', colour: '#2fb3a6' },
    scene: { variant: 'beach', skyTop: '#5fb8ea', skyBottom: '#d8f1fb' },
  },
  {
    slug: 'camila',
    gender: 'female',
    category: 'outdoor',
    skin: 'b97a55',
    hair: 'variant32',
    hairColor: '3a2216',
    brows: 'variant06',
    eyes: 'variant11',
    mouth: 'happy02',
    earrings: 'variant03',
    outfit: { type: 'sweater', colour: '#8cc7b5', trim: '#6fae9b' },
    scene: { variant: 'park' },
  },
];

export function renderPng(p) {
  const svg = sceneSvg(p);
  const image = render(svg);
  return { svg, png: image.asPng(), pixels: image.pixels };
}

// ---------------------------------------------------------------------------
// The talking rig: mouth and eye patches, and where they and the face are
// ---------------------------------------------------------------------------

const PATCH_PAD = 4;
/** Drawn in place of the face's skin to find the face: no creator's palette uses it. */
const SKIN_SENTINEL = 'fe01fd';

function changedBox(p, variant, basePixels, skinColour) {
  const box = differenceBox(render(sceneSvg(p, variant, skinColour)).pixels, basePixels, W);
  if (!box) throw new Error(`${p.slug}: variant ${JSON.stringify(variant)} changes nothing`);
  return box;
}

/**
 * The face box (image pixels) for layout: across the skin at the eyes' and the mouth's height (hair may
 * cover a cheek at one of them), from above the brows to below the chin, in the proportions a face
 * detector's box has around eyes and mouth.
 */
function faceBox(p, basePixels, mouth, eyes) {
  const skin = render(sceneSvg(p, null, SKIN_SENTINEL)).pixels;
  let x0 = W;
  let x1 = 0;
  for (const row of [eyes.y + eyes.height / 2, mouth.y + mouth.height / 2].map(Math.round)) {
    for (let x = 0; x < W; x++) {
      const i = (row * W + x) * 4;
      if (skin[i] !== basePixels[i] || skin[i + 1] !== basePixels[i + 1] || skin[i + 2] !== basePixels[i + 2]) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x + 1);
      }
    }
  }
  const eyeY = eyes.y + eyes.height / 2;
  const mouthY = mouth.y + mouth.height / 2;
  const span = mouthY - eyeY;
  const top = Math.round(eyeY - span * 1.1);
  const bottom = Math.round(mouthY + span * 0.75);
  return { x: x0, y: top, width: x1 - x0, height: bottom - top };
}

/** Writes the creator's patches into templates/creators/<slug>/ and returns its rig for creators.json. */
function makeRig(p, basePixels) {
  const dir = join(OUT_DIR, p.slug);
  mkdirSync(dir, { recursive: true });
  const mouths = SPOKEN_VISEMES.map((mouth) => ({ name: mouth, variant: { mouth } }));
  const lids = EYE_STATES.map((eyes) => ({ name: eyes, variant: { eyes } }));
  const mouthBox = patchBox(mouths.map((m) => changedBox(p, m.variant, basePixels)), PATCH_PAD, W, H);
  const eyesBox = patchBox(lids.map((l) => changedBox(p, l.variant, basePixels)), PATCH_PAD, W, H);
  const write = (name, variant, box) => {
    const file = `${p.slug}/${name}.png`;
    writeFileSync(join(OUT_DIR, file), cropPng(render(sceneSvg(p, variant)).pixels, W, H, box));
    return file;
  };
  return {
    face: faceBox(p, basePixels, mouthBox, eyesBox),
    mouth: { ...mouthBox, shapes: Object.fromEntries(mouths.map((m) => [m.name, write(`mouth-${m.name}`, m.variant, mouthBox)])) },
    eyes: { ...eyesBox, states: Object.fromEntries(lids.map((l) => [l.name, write(`eyes-${l.name}`, l.variant, eyesBox)])) },
  };
}

function main() {
  const only = new Set(process.argv.slice(2));
  mkdirSync(OUT_DIR, { recursive: true });
  const catalogueFile = join(OUT_DIR, 'creators.json');
  const catalogue = JSON.parse(readFileSync(catalogueFile, 'utf8'));
  for (const p of CREATORS) {
    if (only.size && !only.has(p.slug)) continue;
    const { png, pixels } = renderPng(p);
    writeFileSync(join(OUT_DIR, `${p.slug}.png`), png);
    const entry = catalogue.find((c) => c.slug === p.slug);
    if (!entry) throw new Error(`${p.slug} is not in creators.json`);
    entry.rig = makeRig(p, pixels);
    console.log(`${p.slug}.png  ${(png.length / 1024).toFixed(0)} KB, mouth ${entry.rig.mouth.width}x${entry.rig.mouth.height}, eyes ${entry.rig.eyes.width}x${entry.rig.eyes.height}`);
  }
  writeFileSync(catalogueFile, `${JSON.stringify(catalogue, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}
