import { statSync } from 'node:fs';
import { resolve } from 'node:path';
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
  const key = Object.hasOwn(CONFIG_KEYS, name) ? CONFIG_KEYS[name as ConfigKeyName] : undefined;
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

/** Per key: the value checked (what a command would reject later is rejected now), and the built-in default. */
const KEYS: Record<ConfigKeyName, { check(value: string, key: ConfigKey, cwd: string): string; fallback(key: ConfigKey): string | null }> = {
  provider: {
    check(value) {
      if (!getProvider(value).jobs) throw new UsageError(`the ${value} provider makes no videos, so it cannot be the default provider`, `Providers: ${providerNames().filter((name) => getProvider(name).jobs).join(', ')}.`);
      return value;
    },
    fallback: () => DEFAULT_PROVIDER,
  },
  'base-url': {
    check(value, key) {
      if (!isHttpUrl(value)) throw new UsageError(`${keyText(key)} must be an http(s) URL (got "${value}")`);
      return value;
    },
    // The provider's documented base URL (none for a self-hosted one).
    fallback: (key) => getProvider(key.provider ?? '').api?.documentedBaseUrl ?? null,
  },
  brand: {
    // Stored absolute, so a render from any directory finds it; its content is checked by each render (`--brand`'s errors).
    check(value, _key, cwd) {
      const path = resolve(cwd, value);
      if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`brand: no such file ${path}`, 'Pass the path of a brand kit JSON file (see `ugc generate --brand`).');
      return path;
    },
    fallback: () => null,
  },
};

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

const settingOf = (ctx: Context, profile: Profile, key: ConfigKey): Setting => resolveSetting(ctx, profile, key, KEYS[key.name].fallback(key));

/** Every key's effective value and source: each plain key, and each per-provider key for every provider with an API. */
export async function allSettings(ctx: Context): Promise<Setting[]> {
  const profile = await readProfile(ctx);
  const keys = (Object.keys(CONFIG_KEYS) as ConfigKeyName[]).flatMap((name): ConfigKey[] => (CONFIG_KEYS[name].perProvider ? apiProviders().map((provider) => ({ name, provider })) : [{ name, provider: null }]));
  return keys.map((key) => settingOf(ctx, profile, key));
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
    const checked = KEYS[key.name].check(value.trim(), key, ctx.cwd);
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
