import type { Context } from '../core/context.js';
import { ExitCode, UgcError, UsageError } from '../core/errors.js';
import { removeKey, saveKey } from '../core/credentials.js';
import { note, output, printJson } from '../core/present.js';
import { profileName, providerSetting, updateProfile, withValue } from '../core/profiles.js';
import type { AccountPart, ProviderDefinition } from '../providers/definition.js';
import { currentProvider } from '../providers/registry.js';
import { settingFor, settingText } from './config.js';
import { defineCommand, toggle } from './define.js';

/** The provider's account part: a provider without one (local) needs no account, which is a usage error. */
async function withAccount(ctx: Context, command: string): Promise<{ provider: ProviderDefinition; account: AccountPart }> {
  const provider = await currentProvider(ctx);
  if (!provider.account) throw new UsageError(`\`ugc ${command}\` is for providers with an account; the ${provider.name} provider needs none`, 'Pass --provider <name>, e.g. --provider unrealugc.');
  return { provider, account: provider.account };
}

/**
 * Reads the key (masked prompt on a terminal, stdin with --with-token), checks it with the provider, then
 * stores it, with --base-url when given. The default provider changes only with --set-default.
 */
export const login = defineCommand({
  flags: {
    withToken: toggle('read the key from stdin instead of prompting'),
    setDefault: toggle('also make this provider the default of the profile (as `ugc config set provider <name>`)'),
  },
  examples: ['ugc login --provider unrealugc', 'echo "$UNREALUGC_KEY" | ugc login --provider unrealugc --with-token', 'ugc login --provider vidgen --base-url http://render-box:8080 --set-default'],
  async run(ctx, { withToken, setDefault }) {
    const { provider, account } = await withAccount(ctx, 'login');
    // A provider that makes no videos (a speech engine's account) cannot be the default.
    if (setDefault && !provider.jobs) throw new UsageError(`the ${provider.name} provider makes no videos, so it cannot be the default provider`);
    const key = (withToken ? await readStdin(ctx) : await prompt(ctx, provider.name)).trim();
    if (!key) throw new UsageError('the API key is empty');
    const verified = await account.verify(ctx, key);
    await saveKey(ctx.configDir, profileName(ctx), provider.name, key);
    const baseUrl = ctx.global.baseUrl ?? null;
    if (baseUrl || setDefault) {
      await updateProfile(ctx, (profile) => {
        const withUrl = baseUrl ? withValue(profile, { name: 'base-url', provider: provider.name }, baseUrl) : profile;
        return setDefault ? withValue(withUrl, { name: 'provider', provider: null }, provider.name) : withUrl;
      });
    }
    const chosen = await providerSetting({ ...ctx, global: { ...ctx.global, provider: undefined } });
    if (ctx.global.json) {
      printJson(ctx, { provider: provider.name, profile: profileName(ctx), account: verified.account, baseUrl, defaultProvider: chosen.value });
      return;
    }
    ctx.io.stderr.write(`Logged in to ${provider.name} as ${verified.account} (profile ${profileName(ctx)}).\n`);
    if (baseUrl) note(ctx, `Stored the base URL ${baseUrl} for ${provider.name}.`);
    if (provider.jobs && chosen.value !== provider.name) {
      note(ctx, `The default provider is ${settingText(ctx, chosen)}: pass --provider ${provider.name}, or run \`ugc config set provider ${provider.name}\`.`);
    }
  },
});

export const logout = defineCommand({
  examples: ['ugc logout --provider unrealugc'],
  async run(ctx) {
    const { provider } = await withAccount(ctx, 'logout');
    const removed = await removeKey(ctx.configDir, profileName(ctx), provider.name);
    note(ctx, removed ? `Removed the ${provider.name} key of profile ${profileName(ctx)}.` : `No ${provider.name} key was stored for profile ${profileName(ctx)}.`);
  },
});

export const whoami = defineCommand({
  examples: ['ugc whoami --provider ugen --json'],
  async run(ctx) {
    const { provider, account } = await withAccount(ctx, 'whoami');
    const { keySource, ...details } = await account.whoami(ctx);
    const [chosen, baseUrl] = await Promise.all([providerSetting(ctx), settingFor(ctx, { name: 'base-url', provider: provider.name })]);
    const shown = { provider: provider.name, providerSource: chosen.source, baseUrl: baseUrl.value, baseUrlSource: baseUrl.source, profile: profileName(ctx), keySource, ...details };
    await output(ctx, shown, (r) => [
      `${r.account} on ${r.provider}`,
      ...(r.plan ? [`plan      ${r.plan}`] : []),
      ...(r.credits !== undefined && r.credits !== null ? [`credits   ${r.credits}`] : []),
      `provider  ${settingText(ctx, chosen)}`,
      `base URL  ${settingText(ctx, baseUrl)}`,
      `key from  ${keySource === 'environment' ? String((r as Record<string, unknown>).keyVariable ?? 'UGC_API_KEY') : `profile "${r.profile}"`}`,
    ]);
  },
});

async function prompt(ctx: Context, provider: string): Promise<string> {
  if (!ctx.interactive) {
    throw new UsageError('no terminal to prompt for the API key', `Pipe it in instead: \`echo "$KEY" | ugc login --provider ${provider} --with-token\`.`);
  }
  const { password } = await import('@inquirer/prompts');
  return password({ message: `${provider} API key`, mask: '*' }, { input: ctx.io.stdin, output: ctx.io.stderr });
}

async function readStdin(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length > 4096) throw new UgcError('stdin is too long to be an API key', { exitCode: ExitCode.Usage });
  return text;
}
