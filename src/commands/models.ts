import type { Context } from '../core/context.js';
import { printJson, printTable } from '../core/present.js';
import { currentProvider, requireCapability } from '../providers/index.js';
import { listRunners } from '../render/runners/index.js';

export default async function models(ctx: Context): Promise<number> {
  requireCapability(await currentProvider(ctx), 'models', 'models');
  const rows = await Promise.all(listRunners().map(async (r) => ({ id: r.id, description: r.description, available: await r.available() })));
  if (ctx.global.json) printJson(ctx, rows);
  else await printTable(ctx, ['ID', 'AVAILABLE', 'DESCRIPTION'], rows.map((r) => [r.id, r.available ? 'yes' : 'no', r.description]));
  return 0;
}
