import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { GlobalOptions, World } from './core/context.js';
import { ExitCode, UsageError } from './core/errors.js';
import { COMMANDS, GLOBAL_FLAGS, type CommandEntry } from './commands/index.js';
import { dismissEarlyProgress, showEarlyProgress } from './core/progress.js';
import { isFancy, readSettings } from './core/settings.js';
import { InvalidValue, kebab, type CommandSpec, type Flag } from './commands/define.js';

export type { World } from './core/context.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** The global flags: accepted before or after the command, shown in every command's help. */
function globalOptions(program: Command): Command {
  for (const [flags, description] of GLOBAL_FLAGS) program.addOption(new Option(flags, description));
  return program;
}

const wantsJson = (argv: string[]) => argv.slice(2).some((arg) => arg === '--json' || arg === '-j');

/** Colour on stderr: a terminal, and neither NO_COLOR, CI nor --no-color. */
function colourFor(world: World, argv: string[]): boolean {
  try {
    return isFancy(world.stderr, readSettings(world.env, world.cwd), !argv.includes('--no-color'));
  } catch {
    return false;
  }
}

/** A long command's bar, shown on a terminal before its modules load, unless the command line turns it off. */
function earlyProgress(world: World, argv: string[], title: string): void {
  const args = argv.slice(2);
  if (['--quiet', '-q', '--no-color', '--help', '-h'].some((flag) => args.includes(flag))) return;
  try {
    if (isFancy(world.stderr, readSettings(world.env, world.cwd), true)) showEarlyProgress(world.stderr, title);
  } catch {
    // A bad setting is reported by the command itself.
  }
}

function buildProgram(world: World, argv: string[], setExitCode: (code: number) => void): Command {
  const program = new Command('ugc')
    .description('Render UGC-style video ads on this machine, or drive remote UGC video APIs, from one CLI.')
    .version(version, '-v, --version')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => world.stdout.write(s),
      writeErr: (s) => world.stderr.write(s),
      outputError: (s, write) => write(colourFor(world, argv) ? s.replace(/^error:/, '\x1b[31merror:\x1b[39m') : s),
    })
    .exitOverride();
  globalOptions(program);
  program.addHelpText('after', examples(['ugc generate -s "Two weeks in and my skin is glowing." -c mia -o ads/glow.mp4', 'ugc jobs', 'ugc creators --jq \'.[].slug\'', 'ugc generate --help']));
  const declared = new WeakSet<Command>();
  addCommands(program, COMMANDS, (title) => earlyProgress(world, argv, title), (command, spec) => {
    if (declared.has(command)) return;
    declared.add(command);
    declare(command, spec, world, setExitCode);
  });
  return program;
}

const examples = (lines: readonly string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

/**
 * Adds each entry as a command, named and summarised; its declaration is loaded and applied just before
 * it parses its own arguments (commander's preSubcommand hook), so only the command that runs is loaded.
 * A group (`creators`) declares all its subcommands when it is entered, so its help shows their arguments.
 */
function addCommands(parent: Command, entries: readonly CommandEntry[], starting: (title: string) => void, apply: (command: Command, spec: CommandSpec) => void): void {
  const pending = new Map<string, { command: Command; entry: CommandEntry }>();
  for (const entry of entries) {
    const command = parent.command(entry.name, { isDefault: entry.isDefault, hidden: entry.hidden }).description(entry.summary);
    pending.set(entry.name, { command, entry });
    if (entry.subcommands) addCommands(command, entry.subcommands, starting, apply);
    if (entry.examples) command.addHelpText('after', examples(entry.examples));
  }
  const declare = async (name: string) => {
    const found = pending.get(name);
    if (!found) return;
    pending.delete(name);
    if (found.entry.progress) starting(found.entry.progress);
    if (found.entry.load) apply(found.command, await found.entry.load());
    for (const sub of found.entry.subcommands ?? []) {
      const subcommand = found.command.commands.find((c) => c.name() === sub.name);
      if (sub.load && subcommand) apply(subcommand, await sub.load());
    }
  };
  parent.hook('preSubcommand', (_parent, command) => declare(command.name()));
}

/** A declared flag as a commander option; a value it cannot read is a usage error naming the flag. */
function optionOf(key: string, flag: Flag<unknown>): Option {
  const name = flag.name ?? kebab(key);
  const option = new Option(`${flag.short ? `-${flag.short}, ` : ''}--${flag.negatable ? 'no-' : ''}${name}${flag.value ? ` ${flag.value}` : ''}`, flag.description);
  const parse = flag.parse;
  if (parse) {
    option.argParser((raw: string, previous: unknown) => {
      try {
        return parse(raw, previous);
      } catch (error) {
        if (error instanceof InvalidValue) throw new UsageError(`--${name} ${error.message}`);
        throw error;
      }
    });
  }
  // Shown in help; a list's empty default is not worth showing (the handler still gets []).
  if (flag.defaultValue !== undefined && !flag.negatable && !Array.isArray(flag.defaultValue)) option.default(flag.defaultValue);
  if (flag.required) option.makeOptionMandatory();
  return option;
}

/** Applies a command's declaration: its arguments, flags, examples, and the handler that gets them typed. */
function declare(command: Command, spec: CommandSpec, world: World, setExitCode: (code: number) => void): void {
  const args = spec.args ?? [];
  for (const arg of args) command.argument(`<${kebab(arg)}>`);
  const flags = Object.entries(spec.flags ?? {}).map(([key, flag]) => {
    const option = optionOf(key, flag);
    command.addOption(option);
    return [key, option.attributeName(), flag.defaultValue] as const;
  });
  command.addHelpText('after', examples(spec.examples));
  command.action(async (...values: unknown[]) => {
    const self = values[values.length - 1] as Command;
    const { createContext } = await import('./core/context.js');
    const global = self.optsWithGlobals() as GlobalOptions;
    // --jq implies --json: the JSON goes through jq on its way to stdout.
    const jq = global.jq === undefined ? null : (await import('./core/jq-filter.js')).jqFilter(world.stdout, global.jq);
    const ctx = createContext(jq ? { ...world, stdout: jq.stream } : world, jq ? { ...global, json: true } : global);
    const own = self.opts();
    const input = { ...Object.fromEntries(args.map((arg, i) => [arg, values[i]])), ...Object.fromEntries(flags.map(([key, attribute, fallback]) => [key, own[attribute] ?? fallback])) };
    try {
      setExitCode((await spec.run(ctx, input as Parameters<CommandSpec['run']>[1])) ?? ExitCode.Ok);
    } finally {
      await jq?.done();
    }
  });
}

const wantsHelp = (argv: string[]) => argv.slice(2).some((arg) => arg === '--help' || arg === '-h' || arg === 'help') || argv.length <= 2;

/** Runs the CLI and resolves to the exit code. Never throws; never calls process.exit. */
export async function run(argv: string[], world: World = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() }): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(world, argv, (code) => (exitCode = code));
  try {
    if (argv[2] === '__complete') {
      const [{ printCandidates }, { createContext }] = await Promise.all([import('./commands/completion.js'), import('./core/context.js')]);
      await printCandidates(createContext(world, { json: false, quiet: true, input: false, color: false, debug: false }), argv.slice(3));
      return ExitCode.Ok;
    }
    if (wantsHelp(argv)) {
      // Help lists the providers; the registry loads only then (and when a command needs it).
      const { providerNames } = await import('./providers/registry.js');
      const option = program.options.find((o) => o.long === '--provider');
      if (option) option.description = `provider: ${providerNames().join(', ')} (default: local)`;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    dismissEarlyProgress();
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.Ok;
      // commander printed the line; a program reading --json gets it as JSON too.
      if (wantsJson(argv)) world.stdout.write(`${JSON.stringify({ error: { code: 'invalid_input', message: error.message.replace(/^error: /, ''), hint: '(run with --help for usage)' } })}\n`);
      return ExitCode.Usage;
    }
    const { reportError } = await import('./core/report-error.js');
    return reportError(world.stderr, error, { debug: argv.includes('--debug'), colour: colourFor(world, argv), json: wantsJson(argv) ? world.stdout : null });
  } finally {
    dismissEarlyProgress();
  }
}
