import type { Context } from '../core/context.js';
import { printJson, printLine, printTable } from '../core/present.js';
import { findVoice, listVoices } from '../render/voices.js';
import { currentProvider, requireCapability } from '../providers/index.js';

export async function list(ctx: Context): Promise<number> {
  requireCapability(await currentProvider(ctx), 'voices', 'voices');
  const voices = await listVoices();
  if (ctx.global.json) {
    printJson(ctx, voices);
    return 0;
  }
  await printTable(ctx, ['ID', 'NAME', 'LANGUAGE', 'GENDER', 'DESCRIPTION'], voices.map((v) => [v.id, v.name, v.language, v.gender, v.description]));
  return 0;
}

export async function show(ctx: Context, id: string): Promise<number> {
  requireCapability(await currentProvider(ctx), 'voices', 'voices');
  const voice = await findVoice(id);
  if (ctx.global.json) printJson(ctx, voice);
  else for (const [key, value] of Object.entries(voice)) printLine(ctx, `${key.padEnd(13)}${String(value)}`);
  return 0;
}
