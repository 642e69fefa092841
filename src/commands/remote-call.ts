import type { Context } from '../core/context.js';
import { UgcError } from '../core/errors.js';
import type { Adapter } from '../providers/adapter.js';
import { currentProvider, requireCapability, type Provider, type ProviderCapabilities } from '../providers/index.js';
import { RemoteProvider } from '../providers/remote.js';

/**
 * The provider a catalog command talks to, after checking it supports the command: a RemoteProvider whose
 * adapter has `method`, or the local provider. Unsupported → exit 1 naming the provider.
 */
export async function providerFor(ctx: Context, capability: keyof ProviderCapabilities, method: keyof Adapter, command: string): Promise<Provider> {
  const provider = await currentProvider(ctx);
  requireCapability(provider, capability, command);
  if (provider instanceof RemoteProvider && !provider.adapter[method]) throw new UgcError(`the ${provider.name} provider does not support \`ugc ${command}\``, { code: 'unsupported' });
  return provider;
}
