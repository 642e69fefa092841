import type { Context } from '../core/context.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { note, output, printLine } from '../core/present.js';
import {
  CONFIG_KEYS,
  describeSource,
  keyText,
  profileName,
  readProfile,
  resolveSetting,
  storedValue,
  updateProfile,
  withValue,
  type ConfigKey,
  type ConfigKeyName,
  type Profile,
  type Setting,
} from '../core/profiles.js';
import { DEFAULT_PROVIDER, getProvider, providerNames } from '../providers/registry.js';
import { defineCommand } from './define.js';

const KEYS_HINT = `Keys: ${Object.entries(CONFIG_KEYS).map(([name, key]) => (key.perProvider ? `${name}.<provider>` : name)).join(', ')} (\`ugc config list\` shows them).`;

/** `provider` or `base-url.<provider>`; anything else is a usage error listing the keys. */
function parseKey(text: string): ConfigKey {
  const [name = '', ...rest] = text.split('.');
  const provider = rest.join('.') || null;
  const key = (CONFIG_KEYS as Record<string, (typeof CONFIG_KEYS)[ConfigKeyName]>)[name];
  if (!key) throw new UsageError(`unknown config key "${text}"`, KEYS_HINT);
  if (!key.perProvider) {
    if (provider) throw new UsageError(`${name} is one value for the profile, not one per provider (got "${text}")`, KEYS_HINT);
    return { name: name as ConfigKeyName, provider: null };
  }
  if (!provider) throw new UsageError(`${name} is set per provider: ${name}.<provider> (e.g. ${name}.vidgen)`, KEYS_HINT);
  if (!getProvider(provider).api) throw new UsageError(`the ${provider} provider has no API, so no ${name}`, `Providers with one: ${apiProviders().join(', ')}.`);
  return { name: name as ConfigKeyName, provider };
}

const apiProviders = () => providerNames().filter((name) => getProvider(name).api);

/** A value checked for its key (the value a command would reject later is rejected now). */
function checkValue(key: ConfigKey, value: string): string {
  if (key.name === 'provider') {
    const provider = getProvider(value);
    if (!provider.jobs) throw new UsageError(`the ${value} provider makes no videos, so it cannot be the default provider`, `Providers: ${providerNames().filter((name) => getProvider(name).jobs).join(', ')}.`);
    return value;
  }
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // said below
  }
  throw new UsageError(`${keyText(key)} must be an http(s) URL (got "${value}")`);
}

/** A key's effective value and where it comes from; a per-provider key falls back to the provider's documented value. */
function settingOf(ctx: Context, profile: Profile, key: ConfigKey): Setting {
  const fallback = key.name === 'provider' ? DEFAULT_PROVIDER : (getProvider(key.provider ?? '').api?.documentedBaseUrl ?? null);
  return resolveSetting(ctx, profile, key, fallback);
}

/** Every key's effective value and source: the provider, then each API provider's base URL. */
export async function allSettings(ctx: Context): Promise<Setting[]> {
  const profile = await readProfile(ctx);
  return [{ name: 'provider' as const, provider: null }, ...apiProviders().map((provider) => ({ name: 'base-url' as const, provider }))].map((key) => settingOf(ctx, profile, key));
}

/** One key's effective value and source (for `whoami`: the base URL of the provider in use). */
export async function settingFor(ctx: Context, key: ConfigKey): Promise<Setting> {
  return settingOf(ctx, await readProfile(ctx), key);
}

/** A setting in words: `unrealugc (profile "default")`, `(none: set one with …)`. */
export const settingText = (ctx: Context, setting: Setting): string =>
  setting.value === null ? `none (set one: ugc config set ${setting.key} <value>)` : `${setting.value} (${describeSource(ctx, setting)})`;

const sourceCell = (ctx: Context, setting: Setting) => (setting.value === null ? '-' : describeSource(ctx, setting));

export const list = defineCommand({
  examples: ['ugc config list', 'ugc config list --profile work --json'],
  async run(ctx) {
    const settings = await allSettings(ctx);
    await output(ctx, { profile: profileName(ctx), settings }, { head: ['KEY', 'VALUE', 'SOURCE'], rows: (r) => r.settings.map((s) => [s.key, s.value ?? '-', sourceCell(ctx, s)]) });
  },
});

export const get = defineCommand({
  args: ['key'],
  examples: ['ugc config get provider', 'ugc config get base-url.vidgen --json'],
  async run(ctx, { key }) {
    const setting = await settingFor(ctx, parseKey(key));
    if (ctx.global.json) await output(ctx, setting, () => []);
    else if (setting.value !== null) printLine(ctx, setting.value);
    // Like `git config --get`: a key with no value prints nothing and exits 1.
    return setting.value === null ? ExitCode.Error : ExitCode.Ok;
  },
});

export const set = defineCommand({
  args: ['key', 'value'],
  examples: ['ugc config set provider unrealugc', 'ugc config set base-url.vidgen http://render-box:8080'],
  async run(ctx, { key: text, value }) {
    const key = parseKey(text);
    const checked = checkValue(key, value.trim());
    await updateProfile(ctx, (profile) => withValue(profile, key, checked));
    note(ctx, `${keyText(key)} = ${checked} (profile "${profileName(ctx)}")`);
    await output(ctx, { key: keyText(key), value: checked, profile: profileName(ctx) }, () => []);
  },
});

export const unset = defineCommand({
  args: ['key'],
  examples: ['ugc config unset provider', 'ugc config unset base-url.vidgen'],
  async run(ctx, { key: text }) {
    const key = parseKey(text);
    const removed = storedValue(await readProfile(ctx), key) !== undefined;
    if (removed) await updateProfile(ctx, (profile) => withValue(profile, key, undefined));
    const after = await settingFor(ctx, key);
    note(ctx, `${removed ? 'Removed' : 'No stored'} ${keyText(key)} ${removed ? 'from' : 'in'} profile "${profileName(ctx)}"; now ${settingText(ctx, after)}.`);
    await output(ctx, { key: keyText(key), removed, profile: profileName(ctx) }, () => []);
  },
});
