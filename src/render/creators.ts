import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-write.js';
import { withFileLock } from '../core/file-lock.js';
import { UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { listJsonIds, readJsonFile } from '../core/json-files.js';
import { sharedRead } from '../core/shared-reads.js';
import { TEMPLATES_DIR } from './assets.js';
import { FaceRigSchema, resolveRigPaths, type FaceRig } from './face-rig.js';

export const StockCreatorSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  gender: z.enum(['female', 'male']).nullable(),
  age: z.number().optional(),
  category: z.string(),
  style: z.string(),
  description: z.string().optional(),
  bestFor: z.array(z.string()),
  isCustom: z.literal(false),
  image: z.string(),
  defaultVoice: z.string(),
  licence: z.string().optional(),
  /** Mouth and eye patches and the face box, made by scripts/make-creators.mjs. */
  rig: FaceRigSchema,
});

export const CustomCreatorSchema = z.object({
  id: z.string(),
  /** From the name, unique among all creators (`founder`, `founder-2`); absent in records made before slugs. */
  slug: z.string().optional(),
  name: z.string(),
  isCustom: z.literal(true),
  createdAt: z.string(),
  image: z.string(),
  defaultVoice: z.string().optional(),
});

export type StockCreator = z.infer<typeof StockCreatorSchema>;
export type CustomCreator = z.infer<typeof CustomCreatorSchema>;
export type Creator = StockCreator | CustomCreator;

const CREATORS_DIR = join(TEMPLATES_DIR, 'creators');
const DEFAULT_CUSTOM_VOICE = 'en-us-female';

let stock: Promise<StockCreator[]> | undefined;
export function listStockCreators(): Promise<StockCreator[]> {
  stock ??= readFile(join(CREATORS_DIR, 'creators.json'), 'utf8').then((text) => z.array(StockCreatorSchema).parse(JSON.parse(text)));
  return stock;
}

const customDir = (configDir: string) => join(configDir, 'creators');

export async function listCustomCreators(configDir: string): Promise<CustomCreator[]> {
  const creators: CustomCreator[] = [];
  for (const id of await listJsonIds(customDir(configDir))) {
    const parsed = CustomCreatorSchema.safeParse(await readJsonFile(join(customDir(configDir), `${id}.json`)).catch(() => null));
    if (parsed.success) creators.push(parsed.data);
  }
  return creators.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function listCreators(configDir: string, include?: 'stock' | 'custom'): Promise<Creator[]> {
  const [stockList, customList] = await Promise.all([
    include === 'custom' ? [] : listStockCreators(),
    include === 'stock' ? [] : sharedRead(`custom creators in ${configDir}`, () => listCustomCreators(configDir)),
  ]);
  return [...stockList, ...customList];
}

/** Finds a creator by id or slug; unknown ids are a usage error that says where to look. */
export async function findCreator(configDir: string, idOrSlug: string): Promise<Creator> {
  const all = await listCreators(configDir);
  const found = all.find((c) => c.id === idOrSlug || c.slug === idOrSlug);
  if (found) return found;
  const names = all.flatMap((c) => (c.slug ? [c.slug, c.id] : [c.id]));
  throw new UsageError(`unknown creator "${idOrSlug}"${didYouMean(idOrSlug, names)}`, 'Run `ugc creators` to list creators, or pass --image <path> to use your own photo.', { field: 'creator' });
}

export function creatorImagePath(creator: Creator): string {
  return creator.isCustom ? creator.image : join(CREATORS_DIR, creator.image);
}

/** A stock creator's talking rig with absolute patch paths (custom creators' rigs come from face detection). */
export function stockCreatorRig(creator: StockCreator): FaceRig {
  let rig = stockRigs.get(creator);
  if (!rig) {
    rig = resolveRigPaths(creator.rig, CREATORS_DIR);
    stockRigs.set(creator, rig);
  }
  return rig;
}

/** Each stock creator's rig resolved once: a batch asks for it on every row. */
const stockRigs = new WeakMap<StockCreator, FaceRig>();

export function creatorVoice(creator: Creator): string {
  return creator.defaultVoice ?? DEFAULT_CUSTOM_VOICE;
}

/**
 * Stores a custom creator under a slug made from its name: the image is copied into the config dir so
 * later renders do not depend on the original. Under a lock, so two adds at once never share a slug.
 */
export async function addCustomCreator(configDir: string, imagePath: string, name: string): Promise<CustomCreator> {
  const id = `cc_${randomBytes(6).toString('hex')}`;
  const dir = customDir(configDir);
  await mkdir(dir, { recursive: true });
  return withFileLock(join(dir, '.add.lock'), async () => {
    const taken = new Set((await listCreators(configDir)).flatMap((c) => [c.id, ...(c.slug ? [c.slug] : [])]));
    const image = join(dir, `${id}${extname(imagePath).toLowerCase() || '.img'}`);
    await copyFile(imagePath, image);
    const creator: CustomCreator = { id, slug: uniqueSlug(slugOf(name), taken), name, isCustom: true, createdAt: new Date().toISOString(), image, defaultVoice: DEFAULT_CUSTOM_VOICE };
    await writeFileAtomic(join(dir, `${id}.json`), `${JSON.stringify(creator, null, 2)}\n`);
    return creator;
  });
}

/** `"Zoë's Café"` → `zoes-cafe`: lowercase ASCII letters and digits joined by dashes; `creator` when nothing is left. */
export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'creator';
}

/** `slug`, or `slug-2`, `slug-3`… : the first one no creator has as its id or slug. */
function uniqueSlug(slug: string, taken: ReadonlySet<string>): string {
  if (!taken.has(slug)) return slug;
  for (let n = 2; ; n++) if (!taken.has(`${slug}-${n}`)) return `${slug}-${n}`;
}

export async function removeCustomCreator(configDir: string, id: string): Promise<void> {
  const creator = await findCreator(configDir, id);
  if (!creator.isCustom) throw new UsageError(`"${id}" is a stock creator and cannot be removed`);
  await rm(join(customDir(configDir), `${creator.id}.json`), { force: true });
  await rm(creator.image, { force: true });
}
