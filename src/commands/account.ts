import type { Context } from '../core/context.js';
import { ExitCode, UgcError, UsageError } from '../core/errors.js';
import { removeKey, saveKey } from '../core/credentials.js';
import { printJson, printLine } from '../core/present.js';
import { profileName, updateProfile } from '../core/profiles.js';
import { currentProvider } from '../providers/index.js';
import { RemoteProvider } from '../providers/remote.js';

async function remoteProvider(ctx: Context, command: string): Promise<RemoteProvider> {
  const provider = await currentProvider(ctx);
  if (!(provider instanceof RemoteProvider)) throw new UsageError(`\`ugc ${command}\` is for remote providers; the local provider needs no account`, 'Pass --provider <name>, e.g. --provider unrealugc.');
  return provider;
}

/** Reads the key (masked prompt on a terminal, stdin with --with-token), checks it with the provider, then stores it. */
export async function login(ctx: Context, flags: { withToken?: boolean }): Promise<number> {
  const provider = await remoteProvider(ctx, 'login');
  const key = (flags.withToken ? await readStdin(ctx) : await prompt(ctx, provider.name)).trim();
  if (!key) throw new UsageError('the API key is empty');
  const account = await provider.adapter.whoami(await provider.client(ctx, key));
  await saveKey(ctx.configDir, profileName(ctx), provider.name, key);
  await updateProfile(ctx, (profile) => ({ ...profile, provider: profile.provider ?? provider.name }));
  if (ctx.global.json) printJson(ctx, { provider: provider.name, profile: profileName(ctx), account: account.account });
  else ctx.io.stderr.write(`Logged in to ${provider.name} as ${account.account} (profile ${profileName(ctx)}).\n`);
  return ExitCode.Ok;
}

export async function logout(ctx: Context): Promise<number> {
  const provider = await remoteProvider(ctx, 'logout');
  const removed = await removeKey(ctx.configDir, profileName(ctx), provider.name);
  if (!ctx.global.quiet) ctx.io.stderr.write(removed ? `Removed the ${provider.name} key of profile ${profileName(ctx)}.\n` : `No ${provider.name} key was stored for profile ${profileName(ctx)}.\n`);
  return ExitCode.Ok;
}

export async function whoami(ctx: Context): Promise<number> {
  const provider = await remoteProvider(ctx, 'whoami');
  const { key, source } = await provider.key(ctx);
  const account = await provider.adapter.whoami(await provider.client(ctx, key));
  const result = { provider: provider.name, profile: profileName(ctx), keySource: source, ...account };
  if (ctx.global.json) printJson(ctx, result);
  else {
    printLine(ctx, `${account.account} on ${provider.name}`);
    if (account.plan) printLine(ctx, `plan      ${account.plan}`);
    if (account.credits !== undefined && account.credits !== null) printLine(ctx, `credits   ${account.credits}`);
    printLine(ctx, `key from  ${source === 'environment' ? 'UGC_API_KEY' : `profile "${profileName(ctx)}"`}`);
  }
  return ExitCode.Ok;
}

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
