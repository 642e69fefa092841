import { resolve } from 'node:path';
import type { Context } from '../core/context.js';
import type { FaceRig } from '../render/face-rig.js';
import { UsageError } from '../core/errors.js';
import { printJson, printLine, printTable } from '../core/present.js';
import { addCustomCreator, findCreator, listCreators, removeCustomCreator } from '../render/creators.js';
import { locateFfmpeg } from '../render/ffmpeg/locate.js';
import { isStillImage, probe } from '../render/ffmpeg/probe.js';
import { RemoteProvider } from '../providers/remote.js';
import type { Adapter } from '../providers/adapter.js';
import { providerFor } from './remote-call.js';

/** The remote provider when it has this operation, null for the local provider. */
async function remoteMethod(ctx: Context, method: keyof Adapter, command: string): Promise<{ provider: RemoteProvider } | null> {
  const provider = await providerFor(ctx, 'creators', method, command);
  return provider instanceof RemoteProvider ? { provider } : null;
}

export async function list(ctx: Context, flags: { include?: string }): Promise<number> {
  if (flags.include && flags.include !== 'stock' && flags.include !== 'custom') throw new UsageError('--include must be stock or custom');
  const include = flags.include as 'stock' | 'custom' | undefined;
  const remote = await remoteMethod(ctx, 'listCreators', 'creators');
  if (remote) {
    const items = await remote.provider.adapter.listCreators!(await remote.provider.client(ctx), include);
    if (ctx.global.json) printJson(ctx, items);
    else await printTable(ctx, ['ID', 'NAME', 'DETAILS'], items.map((c) => [c.id, String(c.name ?? c.slug ?? ''), String(c.style ?? c.status ?? c.category ?? '')]));
    return 0;
  }
  const creators = await listCreators(ctx.configDir, include);
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
  const remote = await remoteMethod(ctx, 'getCreator', 'creators show');
  const creator = remote ? await remote.provider.adapter.getCreator!(await remote.provider.client(ctx), id) : await findCreator(ctx.configDir, id);
  if (ctx.global.json) printJson(ctx, creator);
  else for (const [key, value] of Object.entries(creator)) printLine(ctx, `${key.padEnd(13)}${showValue(key, value)}`);
  return 0;
}

function showValue(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (key === 'rig' && value && typeof value === 'object' && 'face' in value) {
    const { x, y, width, height } = (value as FaceRig).face;
    return `talks and blinks; face at ${x},${y} (${width}x${height} px)`;
  }
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

export async function add(ctx: Context, imagePath: string, flags: { name: string }): Promise<number> {
  const name = flags.name.trim();
  if (name.length < 2 || name.length > 80) throw new UsageError('--name must be 2 to 80 characters');
  const path = resolve(ctx.cwd, imagePath);
  const tools = await locateFfmpeg(ctx.env);
  const info = await probe(tools.ffprobe.path, path);
  if (!info || !isStillImage(info)) throw new UsageError(`${imagePath} is not a readable image (PNG, JPEG, WebP…)`);
  const remote = await remoteMethod(ctx, 'addCreator', 'creators add');
  const creator = remote ? await remote.provider.adapter.addCreator!(await remote.provider.client(ctx), path, name) : await addCustomCreator(ctx.configDir, path, name);
  if (ctx.global.json) printJson(ctx, creator);
  else printLine(ctx, creator.id);
  return 0;
}

export async function rm(ctx: Context, id: string): Promise<number> {
  const remote = await remoteMethod(ctx, 'removeCreator', 'creators rm');
  if (remote) await remote.provider.adapter.removeCreator!(await remote.provider.client(ctx), id);
  else await removeCustomCreator(ctx.configDir, id);
  if (!ctx.global.quiet) ctx.io.stderr.write(`removed ${id}\n`);
  return 0;
}
