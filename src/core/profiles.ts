import { join } from 'node:path';
import type { Context } from './context.js';
import { invalidJsonError } from './json-files.js';
import { sharedRead } from './shared-reads.js';

/** The values a profile stores (`ugc config set`); a flag or a `UGC_*` variable wins over each. */
export interface Profile {
  /** The provider when neither --provider nor UGC_PROVIDER is given. */
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

/** The provider when none is given by flag, environment or profile. */
export const DEFAULT_PROVIDER = 'local';

/** `config.json` in the config dir, through `conf` (atomic writes, schema-free JSON). Loaded only when needed. */
async function store(ctx: Context): Promise<ConfStore> {
  const { default: Conf } = await import('conf');
  try {
    return new Conf<ConfigShape>({ projectName: 'ugc', projectSuffix: '', cwd: ctx.configDir, configName: 'config', defaults: { profiles: {} } }) as unknown as ConfStore;
  } catch (error) {
    if (error instanceof SyntaxError) throw invalidJsonError(join(ctx.configDir, 'config.json'), error);
    throw error;
  }
}

export const profileName = (ctx: Context): string => ctx.global.profile ?? ctx.settings.profile ?? 'default';

export async function readProfile(ctx: Context): Promise<Profile> {
  const profiles = await sharedRead(`profiles in ${ctx.configDir}`, async () => (await store(ctx)).get('profiles'));
  return profiles[profileName(ctx)] ?? {};
}

export async function updateProfile(ctx: Context, change: (profile: Profile) => Profile): Promise<void> {
  const config = await store(ctx);
  const profiles = config.get('profiles');
  config.set('profiles', { ...profiles, [profileName(ctx)]: change(profiles[profileName(ctx)] ?? {}) });
}

// ---- the keys of `ugc config`, and where each effective value comes from -----------------------

/** A key of `ugc config`: the flag and the variable that win over its stored value, if any. */
interface ConfigKeySpec {
  readonly perProvider: boolean;
  readonly flag: string | null;
  readonly variable: string | null;
  fromFlag(ctx: Context): string | undefined;
  fromVariable(ctx: Context): string | null;
}

/**
 * The keys `ugc config` reads and writes. A plain key is one string field of `Profile`; a key
 * `perProvider` is written `<key>.<provider>` (`base-url.vidgen`). A new profile value is one entry here,
 * one field of `Profile`, and its check and default in src/commands/config.ts (the compiler asks for them).
 */
export const CONFIG_KEYS = {
  provider: { perProvider: false, flag: '--provider', variable: 'UGC_PROVIDER', fromFlag: (ctx) => ctx.global.provider, fromVariable: (ctx) => ctx.settings.provider },
  'base-url': { perProvider: true, flag: '--base-url', variable: 'UGC_BASE_URL', fromFlag: (ctx) => ctx.global.baseUrl, fromVariable: (ctx) => ctx.settings.baseUrl },
  // `generate --brand` wins over it, per render (it is not a global flag).
  brand: { perProvider: false, flag: null, variable: null, fromFlag: () => undefined, fromVariable: () => null },
} satisfies Record<string, ConfigKeySpec>;

export type ConfigKeyName = keyof typeof CONFIG_KEYS;
const specOf = (name: ConfigKeyName): ConfigKeySpec => CONFIG_KEYS[name];

/** A key as written on the command line: its name, and the provider of a per-provider key. */
export interface ConfigKey {
  name: ConfigKeyName;
  provider: string | null;
}

export const keyText = (key: ConfigKey): string => (key.provider ? `${key.name}.${key.provider}` : key.name);

/** Where an effective value came from: the command line, a `UGC_*` variable, the stored profile, or the built-in default. */
export type SettingSource = 'flag' | 'environment' | 'profile' | 'default';

export interface Setting {
  key: string;
  value: string | null;
  source: SettingSource;
}

/** The stored value of a key in `profile`, if any. */
export function storedValue(profile: Profile, key: ConfigKey): string | undefined {
  if (key.name === 'base-url') return profile.baseUrls?.[key.provider ?? ''];
  const value = (profile as Record<string, unknown>)[key.name];
  return typeof value === 'string' ? value : undefined;
}

/** `profile` with the key set to `value`, or removed when `value` is undefined. */
export function withValue(profile: Profile, key: ConfigKey, value: string | undefined): Profile {
  if (key.name === 'base-url') {
    const baseUrls = { ...profile.baseUrls };
    if (value === undefined) delete baseUrls[key.provider ?? ''];
    else baseUrls[key.provider ?? ''] = value;
    const { baseUrls: _old, ...rest } = profile;
    return Object.keys(baseUrls).length > 0 ? { ...rest, baseUrls } : rest;
  }
  const { [key.name]: _old, ...rest } = profile;
  return value === undefined ? rest : { ...rest, [key.name]: value };
}

/**
 * A key's effective value and its source: the flag, then the `UGC_*` variable, then the profile, then
 * `fallback` (the built-in default: `local`, a provider's documented base URL, or none).
 */
export function resolveSetting(ctx: Context, profile: Profile, key: ConfigKey, fallback: string | null): Setting {
  const flag = specOf(key.name).fromFlag(ctx);
  const variable = specOf(key.name).fromVariable(ctx);
  const stored = storedValue(profile, key);
  const text = keyText(key);
  if (flag) return { key: text, value: flag, source: 'flag' };
  if (variable) return { key: text, value: variable, source: 'environment' };
  if (stored) return { key: text, value: stored, source: 'profile' };
  return { key: text, value: fallback, source: 'default' };
}

/** The provider a command talks to, and why: --provider, UGC_PROVIDER, the profile, or `local`. */
export async function providerSetting(ctx: Context): Promise<Setting & { value: string }> {
  return resolveSetting(ctx, await readProfile(ctx), { name: 'provider', provider: null }, DEFAULT_PROVIDER) as Setting & { value: string };
}

/** A provider's base URL, and why: --base-url, UGC_BASE_URL, the profile's for that provider, or the documented one. */
export async function baseUrlSetting(ctx: Context, provider: string, documented: string | null): Promise<Setting> {
  return resolveSetting(ctx, await readProfile(ctx), { name: 'base-url', provider }, documented);
}

/** A source in words, for a line of text: `--provider`, `UGC_PROVIDER`, `profile "default"`, `default`. */
export function describeSource(ctx: Context, setting: Setting): string {
  const key = specOf(setting.key.split('.')[0] as ConfigKeyName);
  if (setting.source === 'flag' && key.flag) return key.flag;
  if (setting.source === 'environment' && key.variable) return key.variable;
  if (setting.source === 'profile') return `profile "${profileName(ctx)}"`;
  return 'default';
}
