import { describe, expect, it } from 'vitest';
import { kebab, type CommandSpec } from '../src/commands/define.js';
import { COMMANDS, type CommandEntry } from '../src/commands/index.js';
import { tempDir, ugc } from './support.js';

/** Every command with its path (`webhooks events`) and declaration. */
async function allCommands(entries: readonly CommandEntry[] = COMMANDS, path: string[] = []): Promise<{ path: string[]; spec: CommandSpec }[]> {
  const found: { path: string[]; spec: CommandSpec }[] = [];
  for (const entry of entries) {
    if (entry.load) found.push({ path: [...path, entry.name], spec: await entry.load() });
    if (entry.subcommands) found.push(...(await allCommands(entry.subcommands, [...path, entry.name])));
  }
  return found;
}

/** A placeholder that promises a number: such a flag must be declared with number() (or be a request field the request layer checks). */
const NUMERIC_PLACEHOLDER = /^<(n|seconds|port|ms|count|factor|credits)>$/;

describe('numeric options', () => {
  it('every flag whose value is a number refuses a non-number before any work: exit 2, one line naming the flag', async () => {
    const dir = await tempDir();
    try {
      const numeric = (await allCommands()).flatMap(({ path, spec }) =>
        Object.entries(spec.flags ?? {})
          .filter(([, flag]) => flag.numeric || (flag.value !== undefined && NUMERIC_PLACEHOLDER.test(flag.value)))
          .map(([key, flag]) => ({ path, args: (spec.args ?? []).map(() => 'x'), name: flag.name ?? kebab(key), declared: Boolean(flag.numeric) })),
      );
      // The ones issue 10 named, and the request fields, are among them: the walk really finds the flags.
      expect(numeric.map((n) => `${n.path.join(' ')} --${n.name}`)).toEqual(expect.arrayContaining(['webhooks events --limit', 'webhooks listen --port', 'jobs --limit', 'generate --duration', 'generate --voice-speed', 'batch --concurrency', 'worker --concurrency']));
      for (const { path, args, name, declared } of numeric) {
        // (A request field left blank reads as not given, as an empty CSV cell does.)
        for (const bad of ['abc', '0x10', '1e3', 'Infinity', ...(declared ? [''] : [])]) {
          const result = await ugc([...path, ...args, '--script', 'A script.', `--${name}`, bad], { cwd: dir.path, env: { UGC_CONFIG_DIR: `${dir.path}/config` } }).catch((error: unknown) => ({ code: -1, stdout: '', stderr: String(error) }));
          const shown = `${path.join(' ')} --${name} ${JSON.stringify(bad)}`;
          expect(result.code, shown).toBe(2);
          expect(result.stderr, shown).toMatch(new RegExp(`^error: [^\\n]*--${name} must be [^\\n]*\\n(?:[^\\n]+\\n)?$`));
          expect(result.stdout, shown).toBe('');
        }
      }
    } finally {
      await dir.cleanup();
    }
  });
});
