import type { Context } from '../core/context.js';
import { UgcError, UsageError } from '../core/errors.js';
import { PROVIDERS, type ProviderName } from '../core/job.js';
import type { Provider } from './types.js';

export type { Provider, ProviderCapabilities, SubmitOptions } from './types.js';

/** Provider precedence: --provider, then UGC_PROVIDER, then the built-in default (local). */
export function providerName(ctx: Context): ProviderName {
  const name = ctx.global.provider ?? ctx.env.UGC_PROVIDER ?? 'local';
  if (!(PROVIDERS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown provider "${name}"`, `Providers: ${PROVIDERS.join(', ')}.`);
  }
  return name as ProviderName;
}

export async function getProvider(name: ProviderName): Promise<Provider> {
  if (name === 'local') return (await import('./local.js')).localProvider;
  throw new UgcError(`the ${name} provider is not available in this version of ugc`, { hint: 'Use --provider local (the default) to render on this machine.' });
}

export function requireCapability(provider: Provider, capability: keyof Provider['capabilities'], command: string): void {
  if (!provider.capabilities[capability]) throw new UgcError(`the ${provider.name} provider does not support \`${command}\``);
}
