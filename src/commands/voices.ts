import { resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { UgcError } from '../core/errors.js';
import { printJson, printLine, printTable } from '../core/present.js';
import { RemoteProvider } from '../providers/remote.js';
import { findVoice, listVoices } from '../render/voices.js';
import { providerFor } from './remote-call.js';

export async function list(ctx: Context): Promise<number> {
  const provider = await providerFor(ctx, 'voices', 'listVoices', 'voices');
  if (provider instanceof RemoteProvider) {
    const voices = await provider.adapter.listVoices!(await provider.client(ctx));
    if (ctx.global.json) printJson(ctx, voices);
    else await printTable(ctx, ['ID', 'NAME', 'GENDER', 'CUSTOM'], voices.map((v) => [v.id, String(v.name ?? ''), String(v.gender ?? ''), v.isCustom ? 'yes' : '']));
    return 0;
  }
  const voices = await listVoices();
  if (ctx.global.json) printJson(ctx, voices);
  else await printTable(ctx, ['ID', 'NAME', 'LANGUAGE', 'GENDER', 'DESCRIPTION'], voices.map((v) => [v.id, v.name, v.language, v.gender, v.description]));
  return 0;
}

export async function show(ctx: Context, id: string): Promise<number> {
  const provider = await providerFor(ctx, 'voices', 'getVoice', 'voices show');
  const voice = provider instanceof RemoteProvider ? await provider.adapter.getVoice!(await provider.client(ctx), id) : await findVoice(id);
  if (ctx.global.json) printJson(ctx, voice);
  else for (const [key, value] of Object.entries(voice)) printLine(ctx, `${key.padEnd(13)}${String(value)}`);
  return 0;
}

export async function add(ctx: Context, samplePath: string, flags: { name: string }): Promise<number> {
  const provider = await providerFor(ctx, 'voices', 'addVoice', 'voices add');
  if (!(provider instanceof RemoteProvider)) throw new UgcError('the local provider has a fixed set of offline voices; `voices add` clones a voice at a remote provider', { code: 'unsupported' });
  const voice = await provider.adapter.addVoice!(await provider.client(ctx), resolve(ctx.cwd, samplePath), flags.name);
  if (ctx.global.json) printJson(ctx, voice);
  else printLine(ctx, voice.id);
  return 0;
}

export async function rm(ctx: Context, id: string): Promise<number> {
  const provider = await providerFor(ctx, 'voices', 'removeVoice', 'voices rm');
  if (!(provider instanceof RemoteProvider)) throw new UgcError('the local provider\'s voices are built in and cannot be removed', { code: 'unsupported' });
  await provider.adapter.removeVoice!(await provider.client(ctx), id);
  if (!ctx.global.quiet) ctx.io.stderr.write(`removed ${id}\n`);
  return 0;
}
