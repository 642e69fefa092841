import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CREATORS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'templates', 'creators');

const VOICE_IDS = new Set([
  'en-us-female',
  'en-us-male',
  'en-gb-female',
  'en-gb-male',
  'es-female',
  'es-male',
  'fr-female',
  'de-male',
  'pt-br-female',
]);

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk, which must directly follow the 8-byte signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function loadCatalog(): unknown {
  return JSON.parse(readFileSync(join(CREATORS_DIR, 'creators.json'), 'utf8'));
}

type Entry = Record<string, unknown>;
type Box = { x: number; y: number; width: number; height: number };

function entries(): Entry[] {
  const data = loadCatalog();
  if (!Array.isArray(data)) throw new Error('creators.json is not an array');
  return data as Entry[];
}

describe('stock creators catalog', () => {
  it('parses as an array of at least 8 objects', () => {
    const data = loadCatalog();
    expect(Array.isArray(data)).toBe(true);
    const list = entries();
    expect(list.length).toBeGreaterThanOrEqual(8);
    for (const c of list) {
      expect(typeof c).toBe('object');
      expect(c).not.toBeNull();
      expect(Array.isArray(c)).toBe(false);
    }
  });

  it('has unique ids and slugs', () => {
    const list = entries();
    const ids = list.map((c) => c.id);
    const slugs = list.map((c) => c.slug);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(slugs).size).toBe(slugs.length);
  });

  it('gives every creator the required fields with the right types', () => {
    for (const c of entries()) {
      const label = String(c.slug ?? c.id);
      expect(typeof c.id, `${label}.id`).toBe('string');
      expect(typeof c.slug, `${label}.slug`).toBe('string');
      expect(c.slug, `${label}.slug`).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.id, `${label}.id`).toBe(`cr_${String(c.slug)}`);
      expect(typeof c.name, `${label}.name`).toBe('string');
      expect(String(c.name).length, `${label}.name`).toBeGreaterThan(0);
      expect(['female', 'male'], `${label}.gender`).toContain(c.gender);
      expect(typeof c.age, `${label}.age`).toBe('number');
      expect(Number.isInteger(c.age) && (c.age as number) >= 18 && (c.age as number) <= 90, `${label}.age`).toBe(true);
      for (const key of ['category', 'style', 'description', 'licence', 'image', 'defaultVoice'] as const) {
        expect(typeof c[key], `${label}.${key}`).toBe('string');
        expect(String(c[key]).trim().length, `${label}.${key}`).toBeGreaterThan(0);
      }
      expect(Array.isArray(c.bestFor), `${label}.bestFor`).toBe(true);
      const bestFor = c.bestFor as unknown[];
      expect(bestFor.length, `${label}.bestFor`).toBeGreaterThan(0);
      for (const b of bestFor) expect(typeof b, `${label}.bestFor[]`).toBe('string');
      expect(c.isCustom, `${label}.isCustom`).toBe(false);
      expect(c.licence, `${label}.licence`).toMatch(/CC0/);
    }
  });

  it('uses only known voice ids', () => {
    for (const c of entries()) {
      expect(VOICE_IDS.has(String(c.defaultVoice)), `${String(c.slug)}.defaultVoice = ${String(c.defaultVoice)}`).toBe(true);
    }
  });

  it('points every creator at an existing 1152x2048 PNG', () => {
    for (const c of entries()) {
      const image = String(c.image);
      expect(image, `${String(c.slug)}.image`).toMatch(/^[a-z0-9-]+\.png$/);
      const file = join(CREATORS_DIR, image);
      expect(existsSync(file), `${image} exists`).toBe(true);
      expect(pngSize(readFileSync(file)), image).toEqual({ width: 1152, height: 2048 });
    }
  });

  it('gives every creator a talking rig: every mouth shape and both lid states as PNGs the size of their box, inside the face', () => {
    const shapes = ['closed', 'slight', 'open', 'wide', 'round', 'pucker', 'fv', 'l'];
    for (const c of entries()) {
      const rig = c.rig as { face: Box; mouth: Box & { shapes: Record<string, string> }; eyes: Box & { states: Record<string, string> } };
      expect(Object.keys(rig.mouth.shapes).sort(), String(c.slug)).toEqual([...shapes].sort());
      expect(Object.keys(rig.eyes.states).sort(), String(c.slug)).toEqual(['closed', 'half']);
      const patches: [string, Box][] = [...Object.values(rig.mouth.shapes).map((f): [string, Box] => [f, rig.mouth]), ...Object.values(rig.eyes.states).map((f): [string, Box] => [f, rig.eyes])];
      for (const [file, box] of patches) {
        expect(pngSize(readFileSync(join(CREATORS_DIR, file))), file).toEqual({ width: box.width, height: box.height });
        expect(box.x % 2 + box.y % 2 + box.width % 2 + box.height % 2, `${file} on even pixels`).toBe(0);
      }
      // The face box holds the mouth's and eyes' centres, and lies inside the picture.
      const centre = (b: Box) => [b.x + b.width / 2, b.y + b.height / 2] as const;
      for (const [x, y] of [centre(rig.mouth), centre(rig.eyes)]) {
        expect(x > rig.face.x && x < rig.face.x + rig.face.width && y > rig.face.y && y < rig.face.y + rig.face.height, String(c.slug)).toBe(true);
      }
      expect(rig.face.x + rig.face.width <= 1152 && rig.face.y + rig.face.height <= 2048).toBe(true);
    }
  });

  it('includes mia and leo as specified', () => {
    const bySlug = new Map(entries().map((c) => [c.slug, c]));
    const mia = bySlug.get('mia');
    const leo = bySlug.get('leo');
    expect(mia).toBeDefined();
    expect(leo).toBeDefined();
    expect(mia).toMatchObject({ id: 'cr_mia', gender: 'female', category: 'home', defaultVoice: 'en-us-female' });
    expect(leo).toMatchObject({ id: 'cr_leo', gender: 'male', category: 'office', defaultVoice: 'en-us-male' });
  });
});
