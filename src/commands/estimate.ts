import type { Context } from '../core/context.js';
import { printJson, printLine } from '../core/present.js';
import { RemoteProvider } from '../providers/remote.js';
import { requestFromFlags, type GenerateFlags } from './generate.js';
import { providerFor } from './remote-call.js';

/** The credit cost of `generate` with the same flags, before anything is spent. Local renders cost nothing. */
export default async function estimate(ctx: Context, flags: GenerateFlags): Promise<number> {
  const request = await requestFromFlags(ctx, flags);
  const provider = await providerFor(ctx, 'estimate', 'estimate', 'estimate');
  await provider.validate(ctx, request);
  const result =
    provider instanceof RemoteProvider ? { provider: provider.name, ...(await provider.adapter.estimate!(await provider.client(ctx), request)) } : { provider: provider.name, credits: 0 };
  if (ctx.global.json) printJson(ctx, result);
  else printLine(ctx, `${result.credits} credits`);
  return 0;
}
