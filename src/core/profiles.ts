import type { Context } from './context.js';

export interface Profile {
  provider?: string;
  /** Base URL per provider (a self-hosted vidgen, a staging API). */
  baseUrls?: Record<string, string>;
  /** The brand kit (a brand.json path) local renders use when `--brand` is not given. */
  brand?: string;
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
