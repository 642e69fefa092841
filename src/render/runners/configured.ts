import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { UsageError } from '../../core/errors.js';
import { withFileLock } from '../../core/file-lock.js';
import { readJsonFile } from '../../core/json-files.js';
import { parseCommandTemplate, TEMPLATE_PLACEHOLDERS } from './command-template.js';

/**
 * Model runners configured on this machine (`ugc models add`), by name, in `<config dir>/models.json`:
 * a Cog model server (`--cog <url>`) or a command line (`--exec "<template>"`). A worker on another
 * machine uses the ones configured there (the same `ugc models add` line, or a copy of the file).
 */

/** What we hand a lip-sync model: the framed creator picture (a JPEG), the voice on the ad's timeline (a WAV), or the picture as a still video (an MP4). */
export const MODEL_INPUTS = ['image', 'audio', 'video'] as const;
export type ModelInput = (typeof MODEL_INPUTS)[number];

export const BUILT_IN_RUNNERS = ['still', 'talking'] as const;
export const DEFAULT_TIMEOUT_SECONDS = 1800;

const ParamValue = z.union([z.string(), z.number(), z.boolean()]);
const Common = { name: z.string(), addedAt: z.string(), timeoutSeconds: z.number().positive(), slots: z.number().int().min(1).max(64) };

export const CogSettingsSchema = z.object({
  ...Common,
  kind: z.literal('cog'),
  /** The Cog server's origin (and path prefix, if a proxy adds one), without a trailing slash. */
  url: z.string(),
  /** Our input → the model's input name. Only these are sent. */
  inputs: z.partialRecord(z.enum(MODEL_INPUTS), z.string()),
  /** Fixed inputs sent with every prediction, typed. */
  params: z.record(z.string(), ParamValue),
  /** This machine as the model server reaches it: files are served there and the result comes back by webhook. */
  callback: z.string().nullable(),
});
export const ExecSettingsSchema = z.object({
  ...Common,
  kind: z.literal('exec'),
  /** A shell-like word list with {image} {audio} {video} {out} {fps} {width} {height}; run without a shell. */
  command: z.string(),
  /** Where the command runs (where `models add` was run, unless --cwd said otherwise). */
  cwd: z.string(),
});
export const RunnerSettingsSchema = z.discriminatedUnion('kind', [CogSettingsSchema, ExecSettingsSchema]);
export type CogSettings = z.infer<typeof CogSettingsSchema>;
export type ExecSettings = z.infer<typeof ExecSettingsSchema>;
export type RunnerSettings = z.infer<typeof RunnerSettingsSchema>;

const StoreSchema = z.object({ runners: z.record(z.string(), RunnerSettingsSchema) });
type Store = z.infer<typeof StoreSchema>;

const fileOf = (configDir: string) => join(configDir, 'models.json');

async function readStore(configDir: string): Promise<Store> {
  const path = fileOf(configDir);
  const raw = await readJsonFile<unknown>(path).catch((error: unknown) => {
    throw new UsageError(`${path} is not valid JSON (${(error as Error).message})`, 'Fix or delete the file, then add the runners again with `ugc models add`.');
  });
  if (raw === null) return { runners: {} };
  const parsed = StoreSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${path} is not a models file ugc can read: ${parsed.error.issues[0]?.message ?? 'bad shape'}`, 'Fix or delete the file, then add the runners again with `ugc models add`.');
  return parsed.data;
}

async function changeStore<T>(configDir: string, change: (store: Store) => T): Promise<T> {
  await mkdir(configDir, { recursive: true });
  return withFileLock(join(configDir, '.models.json.lock'), async () => {
    const store = await readStore(configDir);
    const result = change(store);
    await writeFileAtomic(fileOf(configDir), `${JSON.stringify(store, null, 2)}\n`);
    return result;
  });
}

export async function listConfiguredRunners(configDir: string): Promise<RunnerSettings[]> {
  return Object.values((await readStore(configDir)).runners);
}

/** A configured runner by name, or null. */
export async function findConfiguredRunner(configDir: string, name: string): Promise<RunnerSettings | null> {
  return (await readStore(configDir)).runners[name] ?? null;
}

export const alreadyConfigured = (name: string): UsageError => new UsageError(`a model runner named "${name}" is already configured`, `Remove it first with \`ugc models rm ${name}\`, or pick another name.`);

export async function addConfiguredRunner(configDir: string, settings: RunnerSettings): Promise<RunnerSettings> {
  return changeStore(configDir, (store) => {
    if (store.runners[settings.name]) throw alreadyConfigured(settings.name);
    store.runners[settings.name] = settings;
    return settings;
  });
}

export async function removeConfiguredRunner(configDir: string, name: string): Promise<void> {
  if ((BUILT_IN_RUNNERS as readonly string[]).includes(name)) throw new UsageError(`"${name}" is a built-in runner and cannot be removed`);
  await changeStore(configDir, (store) => {
    if (!store.runners[name]) throw new UsageError(`no model runner named "${name}" is configured`, 'See `ugc models`.');
    delete store.runners[name];
  });
}

// ---------------------------------------------------------------------------------------------
// `ugc models add`: flags to settings, every problem a usage error naming its flag

export interface RunnerFlags {
  cog?: string;
  exec?: string;
  input: string[];
  param: string[];
  timeout?: number;
  slots?: number;
  callback?: string;
  cwd?: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,39}$/;
/** Cog input names are the model's Python argument names. */
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function runnerSettingsFrom(name: string, flags: RunnerFlags, where: { cwd: string; now?: Date }): RunnerSettings {
  if (!NAME.test(name)) throw new UsageError(`model name must be 1–40 lowercase letters, digits, dots, dashes or underscores (got "${name}")`);
  if ((BUILT_IN_RUNNERS as readonly string[]).includes(name)) throw new UsageError(`"${name}" is a built-in runner; pick another name`);
  if (Boolean(flags.cog) === Boolean(flags.exec)) throw new UsageError('pass either --cog <url> or --exec "<command>"', 'e.g. ugc models add sadtalker --cog http://gpu-box:5000 --input image=source_image --input audio=driven_audio');
  const common = { name, addedAt: (where.now ?? new Date()).toISOString(), timeoutSeconds: flags.timeout ?? DEFAULT_TIMEOUT_SECONDS, slots: flags.slots ?? 1 };
  if (flags.exec !== undefined) {
    for (const flag of ['input', 'param'] as const) {
      if (flags[flag].length > 0) throw new UsageError(`--${flag} is for --cog runners; a command names its files with ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
    }
    if (flags.callback) throw new UsageError('--callback is for --cog runners');
    checkTemplate(flags.exec);
    return { ...common, kind: 'exec', command: flags.exec.trim(), cwd: flags.cwd ?? where.cwd };
  }
  if (flags.cwd) throw new UsageError('--cwd is for --exec runners');
  const url = httpUrl(flags.cog as string, '--cog');
  const inputs: CogSettings['inputs'] = {};
  for (const pair of flags.input) {
    const [kind, field] = splitPair(pair, '--input', 'image=source_image');
    if (!(MODEL_INPUTS as readonly string[]).includes(kind)) throw new UsageError(`--input must name one of ${MODEL_INPUTS.join(', ')} (got "${kind}")`);
    if (!FIELD.test(field)) throw new UsageError(`--input ${kind}= must be the model's input name, a Python identifier (got "${field}")`);
    inputs[kind as ModelInput] = field;
  }
  // Our picture goes as `image` and the voice as `audio` unless mapped; a model fed a still video takes no image.
  if (!inputs.image && !inputs.video) inputs.image = 'image';
  inputs.audio ??= 'audio';
  const params: CogSettings['params'] = {};
  for (const pair of flags.param) {
    const [key, value] = splitPair(pair, '--param', 'preprocess=full');
    if (!FIELD.test(key)) throw new UsageError(`--param key must be the model's input name, a Python identifier (got "${key}")`);
    if (Object.values(inputs).includes(key)) throw new UsageError(`--param ${key} is already the model's ${Object.entries(inputs).find(([, f]) => f === key)?.[0]} input`);
    params[key] = typedValue(value);
  }
  const callback = flags.callback ? callbackUrl(flags.callback) : null;
  return { ...common, kind: 'cog', url, inputs, params, callback };
}

function splitPair(pair: string, flag: string, example: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq < 1 || eq === pair.length - 1) throw new UsageError(`${flag} must be key=value, e.g. ${flag} ${example} (got "${pair}")`);
  return [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
}

/** `--param` values go typed: numbers and booleans as JSON numbers and booleans, the rest as text. */
export function typedValue(raw: string): string | number | boolean {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw)) return Number(raw);
  return raw;
}

function httpUrl(raw: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, e.g. http://gpu-box:5000 (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} must be an http(s) URL (got "${raw}")`);
  if (url.search || url.hash || url.username || url.password) throw new UsageError(`${flag} takes the server's address only, without a query, fragment or credentials (got "${raw}")`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function callbackUrl(raw: string): string {
  const url = httpUrl(raw, '--callback');
  if (!/^https?:\/\/(\[[^\]]*\]|[^/@[]*):\d+(\/|$)/i.test(raw.trim())) {
    throw new UsageError(`--callback needs the port ugc listens on, e.g. http://10.0.0.5:7000 (got "${raw}")`, 'Pick a port the model server can reach; 0 picks a free one (only useful when the server runs on this machine).');
  }
  return url;
}

/** The template must parse, name only known placeholders, and write {out} from the voice and the picture. */
function checkTemplate(template: string): void {
  let words: string[];
  try {
    words = parseCommandTemplate(template);
  } catch (error) {
    throw new UsageError(`--exec: ${(error as Error).message}`);
  }
  if (words.length === 0) throw new UsageError('--exec is empty');
  const used = new Set<string>();
  for (const word of words) {
    for (const [, name] of word.matchAll(/\{([^{}]*)\}/g)) {
      if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name as string)) throw new UsageError(`--exec: unknown placeholder {${name}}; known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
      used.add(name as string);
    }
  }
  if (words[0]?.includes('{')) throw new UsageError('--exec: the program itself cannot be a placeholder');
  if (!used.has('out')) throw new UsageError('--exec must name {out}, where the command writes the video');
  if (!used.has('audio')) throw new UsageError('--exec must name {audio}, the voice the lips follow');
  if (!used.has('image') && !used.has('video')) throw new UsageError('--exec must name {image} or {video}, the creator to animate');
}
