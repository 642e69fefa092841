import type { Context } from '../core/context.js';
import { UgcError, UsageError } from '../core/errors.js';
import { DEFAULT_PROVIDER, providerSetting } from '../core/profiles.js';
import * as builtIn from './built-in.js';
import type { ProviderDefinition } from './definition.js';

export type { ProviderDefinition } from './definition.js';

export { DEFAULT_PROVIDER } from '../core/profiles.js';

const providers = new Map<string, ProviderDefinition>();

/** Adds a provider (a plug-in, or a test's): every command can use it by name from then on. */
export function registerProvider(definition: ProviderDefinition): void {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) throw new UgcError(`a provider name must be lowercase letters, digits and dashes (got "${definition.name}")`);
  if (providers.has(definition.name)) throw new UgcError(`a provider named "${definition.name}" is already registered`);
  providers.set(definition.name, definition);
}

// The default first, then the others by name (a module namespace lists its exports sorted).
for (const definition of Object.values(builtIn).sort((a, b) => Number(b.name === DEFAULT_PROVIDER) - Number(a.name === DEFAULT_PROVIDER))) registerProvider(definition);

/** Every registered provider's name, built-in ones first. */
export const providerNames = (): string[] => [...providers.keys()];

/** The provider by its `--provider` name; an unknown name is a usage error listing the known ones. */
export function getProvider(name: string): ProviderDefinition {
  const provider = providers.get(name);
  if (!provider) throw new UsageError(`unknown provider "${name}"`, `Providers: ${providerNames().join(', ')}.`);
  return provider;
}

/** The provider this command talks to: --provider, UGC_PROVIDER, the stored profile, or local. */
export async function currentProvider(ctx: Context): Promise<ProviderDefinition> {
  return getProvider((await providerSetting(ctx)).value);
}

type Part = Exclude<keyof ProviderDefinition, 'name' | 'summary' | 'document'>;

/** The part of `provider` a command needs; a provider without it "does not support" the command (exit 1). */
export function requirePart<P extends Part>(provider: ProviderDefinition, part: P, command: string): NonNullable<ProviderDefinition[P]> {
  return supported(provider[part] as NonNullable<ProviderDefinition[P]> | undefined, provider, command);
}

/** An optional operation of a part (a catalog's `add`), or the same "does not support" error. */
export function supported<T>(operation: T | undefined, provider: ProviderDefinition, command: string): T {
  if (operation === undefined) throw new UgcError(`the ${provider.name} provider does not support \`ugc ${command}\``, { code: 'unsupported' });
  return operation;
}
