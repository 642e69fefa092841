import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PLATFORMS } from '../src/core/platforms.js';
import { creatorImagePath, listStockCreators, stockCreatorRig } from '../src/render/creators.js';
import { sourceBoxInFrame } from '../src/render/framing.js';
import { contains, creatorPanel, intersects, LOGO_CORNERS, overlaysOnCreator, planLayout, safeZone, type Rect } from '../src/render/layout.js';
import { ASPECTS, FRAME_SIZES } from '../src/render/types.js';

const pngSize = (path: string) => {
  const head = readFileSync(path).subarray(16, 24);
  return { width: head.readUInt32BE(0), height: head.readUInt32BE(4) };
};

/** Faces a layout meets: every stock creator's, and made-up ones (a close-up, one high, one low, one off-centre, none found). */
async function faces(aspect: (typeof ASPECTS)[number]): Promise<[string, Rect | null][]> {
  const panel = creatorPanel(aspect, FRAME_SIZES[aspect]);
  const stock = (await listStockCreators()).map((c): [string, Rect] => [c.slug, sourceBoxInFrame(stockCreatorRig(c).face, pngSize(creatorImagePath(c)), panel)]);
  const w = panel.width;
  const h = panel.height;
  return [
    ...stock,
    ['close-up', { x: w * 0.1, y: h * 0.2, width: w * 0.8, height: h * 0.45 }],
    ['high', { x: w * 0.3, y: h * 0.02, width: w * 0.4, height: h * 0.25 }],
    ['low', { x: w * 0.3, y: h * 0.55, width: w * 0.4, height: h * 0.25 }],
    ['off-centre', { x: w * 0.05, y: h * 0.3, width: w * 0.35, height: h * 0.2 }],
    ['none found', null],
  ];
}

describe('safe zones', () => {
  it('match the platforms\' published figures on 1080x1920', () => {
    const frame = FRAME_SIZES['9:16'];
    expect(safeZone('generic', '9:16', frame)).toEqual({ x: 120, y: 288, width: 768, height: 960 });
    expect(safeZone('shorts', '9:16', frame)).toEqual({ x: 48, y: 288, width: 1080 - 48 - 192, height: 1920 - 288 - 672 });
    const reels = safeZone('reels', '9:16', frame);
    expect([reels.y, 1920 - reels.y - reels.height]).toEqual([270, 672]);
    expect(reels.x).toBe(66);
  });

  it('generic fits inside every platform\'s zone', () => {
    const frame = FRAME_SIZES['9:16'];
    for (const p of PLATFORMS) expect(contains(safeZone(p, '9:16', frame), safeZone('generic', '9:16', frame))).toBe(true);
  });
});

describe('planLayout', () => {
  for (const aspect of ASPECTS) {
    for (const platform of PLATFORMS) {
      it(`${aspect} ${platform}: every overlay is inside the safe zone and off the face`, async () => {
        for (const [name, face] of await faces(aspect)) {
          for (const corner of LOGO_CORNERS) {
            const layout = planLayout({ frame: FRAME_SIZES[aspect], aspect, platform, face, logo: { corner } });
            const where = `${name}, logo ${corner}`;
            for (const rect of overlaysOnCreator(layout)) {
              expect(intersects(rect, layout.face), `${where}: ${JSON.stringify(rect)} meets the face ${JSON.stringify(layout.face)}`).toBe(false);
              expect(contains(layout.safe, rect), `${where}: ${JSON.stringify(rect)} leaves the safe zone`).toBe(true);
            }
            for (const rect of Object.values(layout.endCard)) expect(contains(layout.safe, rect as Rect), where).toBe(true);
            // Room for real text: at least one line at the floor size.
            expect(layout.captions.height, where).toBeGreaterThanOrEqual(layout.captionFontSize);
            expect(layout.captionFontSize, where).toBeGreaterThanOrEqual(40);
          }
        }
      });
    }
  }

  it('captions at 1080 wide are sized for a cap height of 70-90 px when there is room', () => {
    const layout = planLayout({ frame: FRAME_SIZES['9:16'], aspect: '9:16', platform: 'generic', face: { x: 300, y: 350, width: 480, height: 520 } });
    // Montserrat's cap height is 0.7 em and libass's size is about 1.2 em.
    const cap = (layout.captionFontSize * 0.7) / 1.2;
    expect(cap).toBeGreaterThanOrEqual(70);
    expect(cap).toBeLessThanOrEqual(90);
  });

  it('splits square and landscape frames: the creator on the left, the text column on the right', () => {
    for (const aspect of ['16:9', '1:1'] as const) {
      const layout = planLayout({ frame: FRAME_SIZES[aspect], aspect, platform: 'generic', face: null });
      expect(layout.split).toBe(true);
      expect(layout.creator.x).toBe(0);
      expect(layout.creator.width).toBeLessThan(FRAME_SIZES[aspect].width * 0.6);
      for (const rect of [layout.hook, layout.captions]) expect(rect.x).toBeGreaterThanOrEqual(layout.creator.width);
    }
  });

  it('drops the logo rather than cover the face when no corner is free', () => {
    const frame = FRAME_SIZES['9:16'];
    const layout = planLayout({ frame, aspect: '9:16', platform: 'generic', face: { x: 0, y: 0, width: 1080, height: 1920 }, logo: { corner: 'top-left' } });
    expect(layout.logo).toBeNull();
    for (const rect of overlaysOnCreator(layout)) expect(intersects(rect, layout.face)).toBe(false);
  });
});
