import type { Context } from '../core/context.js';
import { ExitCode, UgcError, UsageError } from '../core/errors.js';
import { removeKey, saveKey } from '../core/credentials.js';
import { note, output, printJson } from '../core/present.js';
import { profileName, updateProfile } from '../core/profiles.js';
import type { AccountPart, ProviderDefinition } from '../providers/definition.js';
import { currentProvider } from '../providers/registry.js';
import { defineCommand, toggle } from './define.js';

/** The provider's account part: a provider without one (local) needs no account, which is a usage error. */
async function withAccount(ctx: Context, command: string): Promise<{ provider: ProviderDefinition; account: AccountPart }> {
  const provider = await currentProvider(ctx);
  if (!provider.account) throw new UsageError(`\`ugc ${command}\` is for providers with an account; the ${provider.name} provider needs none`, 'Pass --provider <name>, e.g. --provider unrealugc.');
  return { provider, account: provider.account };
}

/** Reads the key (masked prompt on a terminal, stdin with --with-token), checks it with the provider, then stores it. */
export const login = defineCommand({
  flags: { withToken: toggle('read the key from stdin instead of prompting') },
  examples: ['ugc login --provider unrealugc', 'echo "$UNREALUGC_KEY" | ugc login --provider unrealugc --with-token'],
  async run(ctx, { withToken }) {
    const { provider, account } = await withAccount(ctx, 'login');
    const key = (withToken ? await readStdin(ctx) : await prompt(ctx, provider.name)).trim();
    if (!key) throw new UsageError('the API key is empty');
    const verified = await account.verify(ctx, key);
    await saveKey(ctx.configDir, profileName(ctx), provider.name, key);
    // A provider that makes no videos (a speech engine's account) never becomes the default.
    if (provider.jobs) await updateProfile(ctx, (profile) => ({ ...profile, provider: profile.provider ?? provider.name }));
    if (ctx.global.json) printJson(ctx, { provider: provider.name, profile: profileName(ctx), account: verified.account });
    else ctx.io.stderr.write(`Logged in to ${provider.name} as ${verified.account} (profile ${profileName(ctx)}).\n`);
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
    await output(ctx, { provider: provider.name, profile: profileName(ctx), keySource, ...details }, (r) => [
      `${r.account} on ${r.provider}`,
      ...(r.plan ? [`plan      ${r.plan}`] : []),
      ...(r.credits !== undefined && r.credits !== null ? [`credits   ${r.credits}`] : []),
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
