import type { Context } from '../core/context.js';
import { JOB_STATUSES } from '../core/job.js';
import { REQUEST_FIELDS } from '../core/request.js';
import { getProvider, providerNames, requirePart } from '../providers/registry.js';
import { UsageError } from '../core/errors.js';
import { defineCommand, kebab, type Flags } from './define.js';
import { COMMANDS, GLOBAL_FLAGS, type CommandEntry } from './index.js';

/**
 * Shell completion. The scripts are thin: each asks `ugc __complete <words…>` for the candidates of the
 * word being typed, so commands, flags and ids (creators, voices, models, jobs on this machine) are
 * always the current ones. When there is no candidate the shell completes file names.
 */
const SCRIPTS = {
  bash: `# ugc completion for bash: add to ~/.bashrc:  source <(ugc completion bash)
_ugc() {
  local IFS=$'\\n'
  COMPREPLY=($(ugc __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -o nosort -F _ugc ugc
`,
  zsh: `#compdef ugc
# ugc completion for zsh: add to ~/.zshrc:  source <(ugc completion zsh)
_ugc() {
  local -a candidates
  candidates=("\${(@f)$(ugc __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -n "\${candidates[1]}" ]]; then compadd -Q -a candidates; else _files; fi
}
compdef _ugc ugc
`,
  fish: `# ugc completion for fish: ugc completion fish > ~/.config/fish/completions/ugc.fish
function __ugc_complete
  set -l words (commandline -opc) (commandline -ct)
  ugc __complete $words[2..-1] 2>/dev/null
end
complete -c ugc -a '(__ugc_complete)'
`,
} as const;

const SHELLS = ['bash', 'zsh', 'fish'] as const;

export const completion = defineCommand({
  args: ['shell'],
  examples: ['ugc completion fish > ~/.config/fish/completions/ugc.fish', 'source <(ugc completion bash)   # in ~/.bashrc', 'source <(ugc completion zsh)    # in ~/.zshrc'],
  async run(ctx, { shell }) {
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`no completion for "${shell}": the shells are ${SHELLS.join(', ')}`);
    ctx.io.stdout.write(SCRIPTS[shell as (typeof SHELLS)[number]]);
  },
});

/**
 * `ugc __complete <words…>` (hidden; cli.ts calls it before parsing, since the words are a command line
 * being typed, not arguments): the words after `ugc`, the last the one being typed (maybe empty).
 */
export async function printCandidates(ctx: Context, words: readonly string[]): Promise<void> {
  for (const candidate of await candidates(ctx, words)) ctx.io.stdout.write(`${candidate}\n`);
}

const visible = (entries: readonly CommandEntry[]) => entries.filter((e) => !e.hidden);
const globalFlagNames = GLOBAL_FLAGS.flatMap(([flags]) => flags.split(/,\s*/).map((f) => f.split(' ')[0] as string));
const globalWithValue = new Set(GLOBAL_FLAGS.filter(([flags]) => flags.includes('<')).map(([flags]) => flags.split(' ')[0] as string));

/** What may come next: command names, flags, or a flag's values. */
export async function candidates(ctx: Context, words: readonly string[]): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const positional = before.filter((w, i) => !w.startsWith('-') && !takesValue(before[i - 1]));
  let entries = visible(COMMANDS);
  const path: CommandEntry[] = [];
  for (const word of positional) {
    const entry = entries.find((e) => e.name === word);
    if (!entry) break;
    path.push(entry);
    entries = visible(entry.subcommands ?? []);
  }
  const command = path.at(-1);
  const spec = command?.load ? await command.load() : undefined;
  const flags = (spec?.flags ?? {}) as Flags;
  const flagNames = Object.entries(flags).flatMap(([key, flag]) => [`--${flag.negatable ? 'no-' : ''}${flag.name ?? kebab(key)}`, ...(flag.short ? [`-${flag.short}`] : [])]);
  const previous = before.at(-1);
  const match = (list: readonly string[]) => list.filter((c) => c.startsWith(current));

  if (previous && previous.startsWith('-') && (globalWithValue.has(previous) || Object.entries(flags).some(([key, f]) => f.value && (previous === `--${f.name ?? kebab(key)}` || previous === `-${f.short}`)))) {
    return match(await valuesOf(ctx, previous.startsWith('--') ? previous.slice(2) : longOf(flags, previous.slice(1))));
  }
  if (current.startsWith('-')) return match([...flagNames, ...globalFlagNames, '--help']);
  if (command?.subcommands) return match(entries.map((e) => e.name));
  if (!command) return match(entries.map((e) => e.name));
  const args = spec?.args ?? [];
  const argIndex = positional.length - path.length;
  if (argIndex < args.length) return match(await argumentValues(ctx, path.map((e) => e.name).join(' ')));
  return [];

}

/** Flags whose next word is their value, not a command or argument. */
const WITH_VALUE = new Set([...globalWithValue, ...Object.values(REQUEST_FIELDS).filter((f) => f.kind.type !== 'switch').map((f) => `--${f.flag}`), '--script-file', '--out', '-s', '-c', '-o']);
const takesValue = (word: string | undefined): boolean => word !== undefined && WITH_VALUE.has(word);

const longOf = (flags: Flags, short: string): string => {
  const found = Object.entries(flags).find(([, f]) => f.short === short);
  return found ? (found[1].name ?? kebab(found[0])) : short;
};

/** The values a flag takes, where they are a known set. */
async function valuesOf(ctx: Context, flag: string): Promise<string[]> {
  if (flag === 'provider') return providerNames();
  if (flag === 'creator') return catalogIds(ctx, 'creators');
  if (flag === 'voice') return catalogIds(ctx, 'voices');
  if (flag === 'model') return catalogIds(ctx, 'models');
  if (flag === 'status') return [...JOB_STATUSES];
  const field = Object.values(REQUEST_FIELDS).find((f) => f.flag === flag);
  return field && field.kind.type === 'choice' ? [...field.kind.choices] : [];
}

/** The values of a command's argument: ids of what it acts on. */
async function argumentValues(ctx: Context, command: string): Promise<string[]> {
  if (['status', 'watch', 'cancel', 'open'].includes(command)) return (await ctx.jobs.list()).map((j) => j.id);
  if (command === 'completion') return [...SHELLS];
  const [group, sub] = command.split(' ');
  if ((sub === 'show' || sub === 'rm') && (group === 'creators' || group === 'voices' || group === 'models')) return catalogIds(ctx, group);
  return [];
}

/** Ids (and slugs) of the local catalog: asking a remote provider would need the network at every Tab. */
async function catalogIds(ctx: Context, part: 'creators' | 'voices' | 'models'): Promise<string[]> {
  try {
    const items = await requirePart(getProvider('local'), part, part).list(ctx, {});
    return items.flatMap((item) => [...(typeof item.slug === 'string' && item.slug ? [item.slug] : []), item.id]);
  } catch {
    return [];
  }
}
