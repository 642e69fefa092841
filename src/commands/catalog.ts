import { resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { eachRow, fieldLines, note, output } from '../core/present.js';
import type { Catalog } from '../providers/definition.js';
import { checkMediaFile, photoAdvice } from '../providers/media.js';
import { currentProvider, requirePart, supported } from '../providers/registry.js';
import { defineCommand, requiredText } from './define.js';

/** The commands of a catalog part (`creators`, `voices`, `models`): one implementation for each provider's catalog. */
type Part = 'creators' | 'voices' | 'models';

async function catalogOf(ctx: Context, part: Part, command: string): Promise<{ catalog: Catalog; supports: <T>(operation: T | undefined) => T }> {
  const provider = await currentProvider(ctx);
  return { catalog: requirePart(provider, part, command), supports: (operation) => supported(operation, provider, command) };
}

export async function listItems(ctx: Context, part: Part, include?: 'stock' | 'custom'): Promise<void> {
  const { catalog } = await catalogOf(ctx, part, part);
  await output(ctx, await catalog.list(ctx, { include }), eachRow(catalog.table));
}

export const showItem = (part: Part, example: string) =>
  defineCommand({
    args: ['id'],
    examples: [example],
    async run(ctx, { id }) {
      const { catalog, supports } = await catalogOf(ctx, part, `${part} show`);
      const item = await supports(catalog.get)(ctx, id);
      await output(ctx, item, (shown) => fieldLines(catalog.fields?.(shown) ?? shown));
    },
  });

/** `add`: the file is checked by content first; prints the new item's id. */
export const addItem = (part: Part, media: 'image' | 'audio', example: string) =>
  defineCommand({
    args: ['path'],
    flags: { name: requiredText('<name>', 'display name') },
    examples: [example],
    run: (ctx, { path, name }) => addFromFile(ctx, part, media, path, name),
  });

/** Adds a catalog item made from a file (a creator's photo, a voice sample) at the current provider. */
export async function addFromFile(ctx: Context, part: Part, media: 'image' | 'audio', path: string, name: string): Promise<void> {
  const { catalog, supports } = await catalogOf(ctx, part, `${part} add`);
  const add = supports(catalog.add);
  const display = name.trim();
  if (display.length < 2 || display.length > 80) throw new UsageError('--name must be 2 to 80 characters');
  const file = resolve(ctx.cwd, path);
  await checkMediaFile(ctx, file, media);
  if (part === 'creators') for (const advice of await photoAdvice(ctx, file)) note(ctx, `warning: ${advice}`);
  const item = await add(ctx, file, display);
  // stdout keeps the id (scripts read it); the slug, where the catalog gives one, is what people type.
  if (typeof item.slug === 'string' && item.slug) note(ctx, `Added "${display}": use --creator ${item.slug} (id ${item.id}).`);
  await output(ctx, item, (added) => added.id);
}

export const removeItem = (part: Part, example: string) =>
  defineCommand({
    args: ['id'],
    examples: [example],
    async run(ctx, { id }) {
      const { catalog, supports } = await catalogOf(ctx, part, `${part} rm`);
      await supports(catalog.remove)(ctx, id);
      note(ctx, `removed ${id}`);
      await output(ctx, { id, removed: true }, () => []);
    },
  });
