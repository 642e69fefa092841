import { resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { printJson, printLine, printTable } from '../core/present.js';
import { addCustomCreator, findCreator, listCreators, removeCustomCreator, type Creator } from '../render/creators.js';
import { locateFfmpeg } from '../render/ffmpeg/locate.js';
import { isStillImage, probe } from '../render/ffmpeg/probe.js';
import { getProvider, providerName, requireCapability } from '../providers/index.js';

async function requireCreators(ctx: Context): Promise<void> {
  requireCapability(await getProvider(providerName(ctx)), 'creators', 'creators');
}

export async function list(ctx: Context, flags: { include?: string }): Promise<number> {
  await requireCreators(ctx);
  if (flags.include && flags.include !== 'stock' && flags.include !== 'custom') throw new UsageError('--include must be stock or custom');
  const creators = await listCreators(ctx.configDir, flags.include as 'stock' | 'custom' | undefined);
  if (ctx.global.json) {
    printJson(ctx, creators);
    return 0;
  }
  await printTable(
    ctx,
    ['ID', 'SLUG', 'NAME', 'GENDER', 'AGE', 'SETTING', 'STYLE', 'VOICE'],
    creators.map((c) => (c.isCustom ? [c.id, '', c.name, '', '', 'custom', '', c.defaultVoice] : [c.id, c.slug, c.name, c.gender, c.age, c.category, c.style, c.defaultVoice])),
  );
  return 0;
}

export async function show(ctx: Context, id: string): Promise<number> {
  await requireCreators(ctx);
  const creator = await findCreator(ctx.configDir, id);
  if (ctx.global.json) printJson(ctx, creator);
  else for (const [key, value] of Object.entries(creator)) printLine(ctx, `${key.padEnd(13)}${Array.isArray(value) ? value.join(', ') : String(value)}`);
  return 0;
}

export async function add(ctx: Context, imagePath: string, flags: { name: string }): Promise<number> {
  await requireCreators(ctx);
  const name = flags.name.trim();
  if (name.length < 2 || name.length > 80) throw new UsageError('--name must be 2 to 80 characters');
  const path = resolve(ctx.cwd, imagePath);
  const tools = await locateFfmpeg(ctx.env);
  const info = await probe(tools.ffprobe.path, path);
  if (!info || !isStillImage(info)) throw new UsageError(`${imagePath} is not a readable image (PNG, JPEG, WebP…)`);
  const creator: Creator = await addCustomCreator(ctx.configDir, path, name);
  if (ctx.global.json) printJson(ctx, creator);
  else printLine(ctx, creator.id);
  return 0;
}

export async function rm(ctx: Context, id: string): Promise<number> {
  await requireCreators(ctx);
  await removeCustomCreator(ctx.configDir, id);
  if (!ctx.global.quiet) ctx.io.stderr.write(`removed ${id}\n`);
  return 0;
}
