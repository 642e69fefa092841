import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kebab } from '../src/commands/define.js';
import { COMMANDS, type CommandEntry } from '../src/commands/index.js';
import { VARIABLES } from '../src/core/settings.js';
import { providerNames } from '../src/providers/registry.js';

/** The contract and the architecture live in docs/; these checks keep them true to the code. */

const ROOT = new URL('..', import.meta.url).pathname;
const read = (path: string) => readFile(join(ROOT, path), 'utf8');

/** The text of `### \`ugc <name>...\`` up to the next heading. */
function section(doc: string, name: string): string | null {
  const heading = new RegExp(`^### \`ugc ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?: [^\`]*)?\`$`, 'm');
  const match = heading.exec(doc);
  if (!match) return null;
  const rest = doc.slice(match.index + match[0].length);
  const next = rest.search(/^#{2,3} /m);
  return next < 0 ? rest : rest.slice(0, next);
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name)).map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

describe('docs/cli.md', () => {
  it('documents every command of the program, with every flag it declares', async () => {
    const doc = await read('docs/cli.md');
    // Every command, a group's subcommands (nested too), and a group that runs something itself (`ugc serve`).
    const flatten = (entries: readonly CommandEntry[], prefix: string): { name: string; load?: CommandEntry['load'] }[] =>
      entries.filter((c) => !c.hidden).flatMap((c) => [...(!c.subcommands || c.load ? [{ name: `${prefix}${c.name}`, load: c.load }] : []), ...flatten(c.subcommands ?? [], `${prefix}${c.name} `)]);
    const commands = flatten(COMMANDS, '');
    const missing: string[] = [];
    for (const command of commands) {
      const text = section(doc, command.name);
      if (text === null) {
        missing.push(`ugc ${command.name}`);
        continue;
      }
      const spec = await command.load?.();
      for (const [key, flag] of Object.entries(spec?.flags ?? {})) {
        const long = `--${flag.negatable ? 'no-' : ''}${flag.name ?? kebab(key)}`;
        if (!new RegExp(`${long}(?![a-z-])`).test(text)) missing.push(`ugc ${command.name} ${long}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents every environment variable ugc reads, and every global flag', async () => {
    const doc = await read('docs/cli.md');
    for (const variable of VARIABLES) expect(doc, variable).toContain(`\`${variable}\``);
    for (const flag of ['--provider', '--base-url', '--profile', '--json', '--quiet', '--no-input', '--no-color', '--debug']) expect(doc, flag).toContain(`\`${flag}`);
    // And no module reads a UGC_ variable the settings module does not list.
    for (const file of await sourceFiles('src')) {
      for (const [, name] of (await read(file)).matchAll(/\benv(?:\.|\[')(UGC_[A-Z_]+)/g)) expect(VARIABLES as readonly string[], file).toContain(name);
    }
  });
});

describe('docs/providers.md', () => {
  it('has a section for every built-in provider', async () => {
    const doc = await read('docs/providers.md');
    for (const name of providerNames()) expect(doc, name).toMatch(new RegExp(`^## \`${name}\`$`, 'm'));
  });
});

describe('the repository stands on its own', () => {
  it('links nothing outside itself: no shared design notes, no numbered API document files, no absolute paths of this machine', async () => {
    const files = ['README.md', 'docs/cli.md', 'docs/architecture.md', 'docs/providers.md', ...(await sourceFiles('src')), ...(await sourceFiles('test')), ...(await sourceFiles('bench')), ...(await sourceFiles('scripts'))];
    const offending: string[] = [];
    for (const file of files) {
      const text = await read(file);
      // Spelled in two pieces so this file does not match itself.
      for (const pattern of [new RegExp('\\.\\./' + 'shared'), new RegExp('api-docs/' + '00\\d'), new RegExp('/work/' + '(shared|main|wt)')]) if (pattern.test(text)) offending.push(`${file}: ${pattern.source}`);
    }
    expect(offending).toEqual([]);
  });
});

describe('docs/architecture.md: what may import what', () => {
  const importsOf = async (file: string) => [...(await read(file)).matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)].map((m) => join(file, '..', m[1] as string));
  const rules: [string, RegExp][] = [
    ['src/core/', /^src\/(?!core\/)/],
    ['src/render/', /^src\/(providers|commands|batch|webhooks|http|speech|serve)\//],
    ['src/http/', /^src\/(providers|commands|batch|webhooks|render|speech|serve)\//],
    ['src/speech/', /^src\/(providers|commands|batch|webhooks|serve)\//],
    ['src/providers/', /^src\/(commands|batch|webhooks|serve)\//],
    ['src/webhooks/', /^src\/(commands|batch|serve)\//],
    ['src/batch/', /^src\/(commands|webhooks|serve)\//],
    ['src/serve/', /^src\/(commands|batch|webhooks)\//],
  ];

  it.each(rules)('%s imports nothing it must not', async (folder, forbidden) => {
    const bad: string[] = [];
    for (const file of (await sourceFiles('src')).filter((f) => f.startsWith(folder))) {
      for (const target of await importsOf(file)) if (forbidden.test(target)) bad.push(`${file} → ${target}`);
    }
    expect(bad).toEqual([]);
  });

  it('nothing but cli.ts imports commands/', async () => {
    const bad: string[] = [];
    for (const file of (await sourceFiles('src')).filter((f) => !f.startsWith('src/commands/') && f !== 'src/cli.ts')) {
      for (const target of await importsOf(file)) if (target.startsWith('src/commands/')) bad.push(`${file} → ${target}`);
    }
    expect(bad).toEqual([]);
  });
});
