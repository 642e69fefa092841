import { UsageError } from './errors.js';
import { PROVIDERS, type ProviderName } from './job.js';
import type { Context } from './context.js';

export interface Profile {
  provider?: ProviderName;
  /** Base URL per provider (a self-hosted vidgen, a staging API). */
  baseUrls?: Partial<Record<ProviderName, string>>;
}

interface ConfigShape {
  profiles: Record<string, Profile>;
}

type ConfStore = { get(key: 'profiles'): Record<string, Profile>; set(key: 'profiles', value: Record<string, Profile>): void };

/** `config.json` in the config dir, through `conf` (atomic writes, schema-free JSON). Loaded only when needed. */
async function store(ctx: Context): Promise<ConfStore> {
  const { default: Conf } = await import('conf');
  return new Conf<ConfigShape>({ projectName: 'ugc', projectSuffix: '', cwd: ctx.configDir, configName: 'config', defaults: { profiles: {} } }) as unknown as ConfStore;
}

export const profileName = (ctx: Context): string => ctx.global.profile ?? ctx.settings.profile ?? 'default';

export async function readProfile(ctx: Context): Promise<Profile> {
  return (await store(ctx)).get('profiles')[profileName(ctx)] ?? {};
}

export async function updateProfile(ctx: Context, change: (profile: Profile) => Profile): Promise<void> {
  const config = await store(ctx);
  const profiles = config.get('profiles');
  config.set('profiles', { ...profiles, [profileName(ctx)]: change(profiles[profileName(ctx)] ?? {}) });
}

/** Provider precedence: --provider, then UGC_PROVIDER, then the stored profile, then local. */
export async function resolveProviderName(ctx: Context): Promise<ProviderName> {
  const name = ctx.global.provider ?? ctx.settings.provider ?? (await readProfile(ctx)).provider ?? 'local';
  if (!(PROVIDERS as readonly string[]).includes(name)) throw new UsageError(`unknown provider "${name}"`, `Providers: ${PROVIDERS.join(', ')}.`);
  return name as ProviderName;
}

/** Base URL precedence: --base-url, then UGC_BASE_URL, then the profile's, then the provider's documented one. */
export async function resolveBaseUrl(ctx: Context, provider: ProviderName, documented: string | null): Promise<string> {
  const url = ctx.global.baseUrl ?? ctx.settings.baseUrl ?? (await readProfile(ctx)).baseUrls?.[provider] ?? documented;
  if (!url) throw new UsageError(`${provider} has no public base URL: it is self-hosted`, 'Pass --base-url <url> (or set UGC_BASE_URL).');
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw new UsageError(`--base-url must be an http(s) URL (got "${url}")`);
  }
  return url;
}
