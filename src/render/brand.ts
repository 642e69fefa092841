/**
 * A brand kit (`--brand brand.json`, or a profile's `brand`): the caption font, colours, a logo and its
 * corner, the caption preset and the CTA button's colours. Validated whole, each problem named by its key.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/request.js';
import { DEFAULT_LOOK, type CaptionLook } from './captions.js';
import { LOGO_CORNERS, type LogoCorner } from './layout.js';
import { CAPTION_STYLES, type CaptionStyle } from './types.js';

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour written #RRGGBB');

export const BrandSchema = z.strictObject({
  /** A TrueType/OpenType font file for captions, hook and end card, relative to the brand file. */
  font: z.string().min(1).optional(),
  colors: z
    .strictObject({
      text: colour.optional(),
      highlight: colour.optional(),
      accent: colour.optional(),
      onAccent: colour.optional(),
      /** The text side of a split (square or landscape) layout. */
      background: colour.optional(),
    })
    .optional(),
  logo: z.strictObject({ path: z.string().min(1), corner: z.enum(LOGO_CORNERS).default('top-right') }).optional(),
  captions: z.enum(CAPTION_STYLES).optional(),
  cta: z.strictObject({ background: colour.optional(), text: colour.optional() }).optional(),
});

export interface Brand {
  /** The brand file, for messages. */
  path: string;
  look: CaptionLook;
  /** The font file when the brand has its own (its family name is in `look`). */
  fontFile: string | null;
  logo: { path: string; corner: LogoCorner } | null;
  captions: CaptionStyle | null;
  background: string;
  cta: { background: string; text: string };
}

export const DEFAULT_SPLIT_BACKGROUND = '#101014';

const brandError = (message: string) => new InputError({ field: 'brand', message: `{}: ${message}` });

/** Reads and checks a brand file; every path in it is relative to the file. Throws an InputError (exit 2) naming the key at fault. */
export async function loadBrand(path: string): Promise<Brand> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw brandError(code ? `cannot read ${path} (${code})` : `${path} is not valid JSON`);
  }
  const parsed = BrandSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') || '(top level)';
    throw brandError(`${path}: ${key} ${issue?.code === 'unrecognized_keys' ? `has an unknown key (${issue.keys.join(', ')})` : (issue?.message ?? 'is invalid')}`);
  }
  const brand = parsed.data;
  const here = dirname(path);
  let fontFile: string | null = null;
  let fontFamily = DEFAULT_LOOK.fontFamily;
  if (brand.font) {
    fontFile = resolve(here, brand.font);
    const data = await readFile(fontFile).catch(() => {
      throw brandError(`${path}: font: cannot read ${fontFile}`);
    });
    const family = fontFamilyName(data);
    if (!family) throw brandError(`${path}: font: ${fontFile} is not a TrueType or OpenType font`);
    fontFamily = family;
  }
  const colors = brand.colors ?? {};
  const look: CaptionLook = {
    fontFamily,
    text: colors.text ?? DEFAULT_LOOK.text,
    highlight: colors.highlight ?? DEFAULT_LOOK.highlight,
    accent: colors.accent ?? DEFAULT_LOOK.accent,
    onAccent: colors.onAccent ?? DEFAULT_LOOK.onAccent,
  };
  return {
    path,
    look,
    fontFile,
    logo: brand.logo ? { path: resolve(here, brand.logo.path), corner: brand.logo.corner } : null,
    captions: brand.captions ?? null,
    background: colors.background ?? DEFAULT_SPLIT_BACKGROUND,
    cta: { background: brand.cta?.background ?? look.accent, text: brand.cta?.text ?? look.onAccent },
  };
}

/**
 * The family name libass matches a font by: the `name` table's family (ID 1), preferring the Windows
 * Unicode record (UTF-16BE) over the Macintosh Roman one. Null when the data is not an sfnt font.
 */
export function fontFamilyName(data: Buffer): string | null {
  if (data.length < 12) return null;
  const tag = data.toString('latin1', 0, 4);
  if (!['\u0000\u0001\u0000\u0000', 'OTTO', 'true'].includes(tag)) return null;
  const tables = data.readUInt16BE(4);
  for (let i = 0; i < tables; i++) {
    const entry = 12 + i * 16;
    if (entry + 16 > data.length) return null;
    if (data.toString('latin1', entry, entry + 4) !== 'name') continue;
    const offset = data.readUInt32BE(entry + 8);
    if (offset + 6 > data.length) return null;
    const count = data.readUInt16BE(offset + 2);
    const strings = offset + data.readUInt16BE(offset + 4);
    let mac: string | null = null;
    for (let r = 0; r < count; r++) {
      const rec = offset + 6 + r * 12;
      if (rec + 12 > data.length) return null;
      const [platform, , , nameId, length, at] = [0, 2, 4, 6, 8, 10].map((k) => data.readUInt16BE(rec + k)) as [number, number, number, number, number, number];
      if (nameId !== 1 || strings + at + length > data.length) continue;
      const raw = data.subarray(strings + at, strings + at + length);
      if (platform === 3 || platform === 0) return Buffer.from(raw).swap16().toString('utf16le');
      if (platform === 1) mac ??= raw.toString('latin1');
    }
    return mac;
  }
  return null;
}
