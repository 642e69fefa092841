import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { printJson, printLine } from '../core/present.js';
import { RemoteProvider } from '../providers/remote.js';
import { providerFor } from './remote-call.js';

/** Presigned upload of an avatar image or a voice sample; prints the storage key to finalise with. */
export async function upload(ctx: Context, kind: 'avatar' | 'voice-sample', path: string): Promise<number> {
  const provider = await providerFor(ctx, 'uploads', 'upload', `uploads ${kind}`);
  const file = resolve(ctx.cwd, path);
  if (!(await stat(file).catch(() => null))?.isFile()) throw new UsageError(`no such file ${path}`);
  const result = await (provider as RemoteProvider).adapter.upload!(await (provider as RemoteProvider).client(ctx), kind, file);
  if (ctx.global.json) printJson(ctx, result);
  else printLine(ctx, result.key);
  return 0;
}

export const avatar = (ctx: Context, path: string) => upload(ctx, 'avatar', path);
export const voiceSample = (ctx: Context, path: string) => upload(ctx, 'voice-sample', path);
