import type { Context } from '../core/context.js';
import { printJson, printTable } from '../core/present.js';
import { RemoteProvider } from '../providers/remote.js';
import { listRunners } from '../render/runners/index.js';
import { providerFor } from './remote-call.js';

export default async function models(ctx: Context): Promise<number> {
  const provider = await providerFor(ctx, 'models', 'listModels', 'models');
  if (provider instanceof RemoteProvider) {
    const items = await provider.adapter.listModels!(await provider.client(ctx));
    if (ctx.global.json) printJson(ctx, items);
    else await printTable(ctx, ['ID', 'NAME', 'DETAILS'], items.map((m) => [m.id, String(m.name ?? ''), String(m.kind ?? m.tier ?? m.description ?? '')]));
    return 0;
  }
  const rows = await Promise.all(listRunners().map(async (r) => ({ id: r.id, description: r.description, available: await r.available() })));
  if (ctx.global.json) printJson(ctx, rows);
  else await printTable(ctx, ['ID', 'AVAILABLE', 'DESCRIPTION'], rows.map((r) => [r.id, r.available ? 'yes' : 'no', r.description]));
  return 0;
}
