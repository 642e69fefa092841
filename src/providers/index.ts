import type { Context } from '../core/context.js';
import { UgcError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { resolveProviderName } from '../core/profiles.js';
import type { Adapter } from './adapter.js';
import type { Provider } from './types.js';

export type { Provider, ProviderCapabilities, SubmitOptions } from './types.js';

const adapters: Record<Exclude<ProviderName, 'local'>, () => Promise<Adapter>> = {
  unrealugc: () => import('./unrealugc.js').then((m) => m.unrealUgc),
  ultimatecreator: () => import('./ultimatecreator.js').then((m) => m.ultimateCreator),
  ugen: () => import('./ugen.js').then((m) => m.uGen),
  apex: () => import('./apex.js').then((m) => m.apex),
  vidgen: () => import('./vidgen.js').then((m) => m.vidgen),
};

export async function getProvider(name: ProviderName): Promise<Provider> {
  if (name === 'local') return (await import('./local.js')).localProvider;
  const { RemoteProvider } = await import('./remote.js');
  return new RemoteProvider(await adapters[name]());
}

/** The provider this command talks to: --provider, UGC_PROVIDER, the stored profile, or local. */
export async function currentProvider(ctx: Context): Promise<Provider> {
  return getProvider(await resolveProviderName(ctx));
}

export function requireCapability(provider: Provider, capability: keyof Provider['capabilities'], command: string): void {
  if (!provider.capabilities[capability]) throw new UgcError(`the ${provider.name} provider does not support \`ugc ${command}\``, { code: 'unsupported' });
}
