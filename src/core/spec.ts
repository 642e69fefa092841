import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { UsageError } from './errors.js';
import {
  columnOf, describeIssue, isUrl, REQUEST_FIELDS, SCRIPT_FILE,
  type FieldSpec, type InputField, type InputIssue, type RawRequest, type RequestField, type Scene,
} from './request.js';

/**
 * An ad described in a file (`generate --spec ad.yaml`, a batch row's `spec` column): every request field
 * by its long flag (`product-name`) or its name in the request (`productName`), plus `scenes`, each with
 * its part of the script and who says it. Values are read like flags; paths are relative to the file.
 */

type SpecField = RequestField | 'scriptFile';

/** The file's name for each input: the long flag and the request's own name, both taken from the request table. */
const FIELD_OF_NAME = new Map<string, SpecField>([
  ...(Object.entries(REQUEST_FIELDS) as [RequestField, FieldSpec][]).flatMap(([field, spec]) => [[spec.flag, field], [field, field]] as const),
  [SCRIPT_FILE.flag, 'scriptFile'],
  ['scriptFile', 'scriptFile'],
]);

/** The request table's kinds whose values are paths: media, a list of shots, a file `ugc` reads itself. */
const PATH_KINDS: ReadonlySet<string> = new Set(['media', 'shots', 'file']);

/** Fields that hold paths (one, or a list for a repeatable one), and the script file. */
export const isPathField = (field: SpecField): boolean => field === 'scriptFile' || PATH_KINDS.has(REQUEST_FIELDS[field].kind.type);

/** A path (or each of a list) made absolute against `dir`; URLs and anything else pass. */
function resolvePaths(value: unknown, dir: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePaths(v, dir));
  return typeof value === 'string' && value.trim() && !isUrl(value.trim()) ? resolve(dir, value.trim()) : value;
}

const text = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') }).trim();
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'must be text, a number or true/false' });
const pairs = z.union([z.record(z.string(), scalar), z.array(z.string()), z.string()], { error: 'must be an object of key: value pairs' });

const path = text.min(1, 'must not be empty');
const SceneSchema = z.strictObject({
  script: text.min(1, 'must not be empty'),
  creator: text.min(1, 'must not be empty').optional(),
  image: path.optional(),
  voice: text.min(1, 'must not be empty').optional(),
  broll: z.union([path, z.array(path).min(1, 'must name at least one file')], { error: 'must be a file, or a list of files' }).optional(),
  product: z.boolean({ error: 'must be true or false' }).optional(),
}).refine((scene) => !(scene.creator && scene.image), { path: ['image'], message: 'give either creator or image, not both' });

const SpecSchema = z
  .strictObject({
    ...Object.fromEntries([...FIELD_OF_NAME].map(([name, field]) => [name, (field !== 'scriptFile' && REQUEST_FIELDS[field].kind.type === 'params' ? pairs : z.union([scalar, z.array(scalar)], { error: 'must be text, a number, true/false, or a list of them' })).optional()])),
    scenes: z.array(SceneSchema, { error: 'must be a list of scenes' }).min(1, 'must hold at least one scene').optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<SpecField, string>();
    for (const name of Object.keys(spec)) {
      const field = FIELD_OF_NAME.get(name);
      if (!field) continue;
      const other = seen.get(field);
      if (other) ctx.addIssue({ code: 'custom', path: [name], message: `the same field as "${other}": give it once` });
      seen.set(field, name);
    }
    for (const field of ['script', 'scriptFile'] as const) {
      if (seen.has(field) && spec.scenes) ctx.addIssue({ code: 'custom', path: [seen.get(field) as string], message: 'give the script either here or in scenes, not both' });
    }
  });

export interface AdSpec {
  /** The file as the user named it, for messages (`ad.yaml: scenes[1].creator: …`). */
  label: string;
  /** Its fields by request field (paths made absolute). */
  raw: RawRequest;
  /** Its scenes as written (paths made absolute); null when it has none. */
  scenes: Scene[] | null;
}

/**
 * Reads and checks a spec file's shape; the values are checked with the request (parseRequest). Problems
 * are UsageErrors naming the file. Read at once, like a script file: a batch reads each spec once.
 */
export function readSpec(path: string, label: string): AdSpec {
  const ext = extname(path).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) throw new UsageError(`${label}: a spec file must end in .json, .yaml or .yml`);
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the spec file ${label}${code === 'ENOENT' ? ' (no such file)' : code ? ` (${code})` : ''}`);
  }
  const parsed = SpecSchema.safeParse(parseSource(source, ext, label));
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new UsageError(`${label}: ${describeZodIssue(issue as z.core.$ZodIssue)}`, 'Spec fields are generate\'s long flags (see `ugc generate --help`) and `scenes`.');
  }
  const dir = dirname(path);
  const at = (value: string) => (isUrl(value) ? value : resolve(dir, value));
  const raw: RawRequest = {};
  for (const [name, value] of Object.entries(parsed.data as Record<string, unknown>)) {
    const field = FIELD_OF_NAME.get(name);
    if (field) raw[field] = isPathField(field) ? resolvePaths(value, dir) : value;
  }
  const scenes = parsed.data.scenes?.map((s) => ({
    script: s.script,
    creator: s.creator ?? null,
    image: s.image ? at(s.image) : null,
    voice: s.voice ?? null,
    broll: (typeof s.broll === 'string' ? [s.broll] : (s.broll ?? [])).map(at),
    product: s.product ?? false,
  }));
  return { label, raw, scenes: scenes ?? null };
}

function parseSource(source: string, ext: string, label: string): unknown {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  try {
    return ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0];
      throw new UsageError(`${label}${where ? ` line ${where.line}` : ''}: not valid YAML (${error.message.split('\n')[0]})`);
    }
    throw new UsageError(`${label}: not valid JSON (${(error as Error).message})`);
  }
}

/** `scenes[1].creator: must be text`, `unknown field "voise"`. */
function describeZodIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  if (issue.code === 'unrecognized_keys') {
    const known = path === '' ? [...new Set([...FIELD_OF_NAME].filter(([name, field]) => name === columnOf(field)).map(([name]) => name)), 'scenes'] : Object.keys(SceneSchema.shape);
    return `${path ? `${path}: ` : ''}unknown field "${issue.keys[0]}" (fields: ${known.join(', ')})`;
  }
  if (issue.code === 'invalid_type' && path === '') return 'must hold an object of fields (a JSON object, or YAML key: value lines)';
  return `${path}: ${issue.message}`;
}

// ---------------------------------------------------------------------------------------------
// A spec with the flags or cells that override it

const isGiven = (value: unknown) => value !== undefined && value !== null && value !== false && !(typeof value === 'string' && value.trim() === '') && !(Array.isArray(value) && value.length === 0);
const textOf = (value: unknown): string | null => (isGiven(value) && value !== true ? String(value).trim() : null);

/**
 * The spec's fields with `given` on top (flags, or a batch row's cells; their paths relative to `cwd`).
 * A given script replaces the spec's scenes. Scenes are settled: each gets the ad's creator, image and
 * voice where it names none, and when every scene ends up with the same ones the ad is one scene (any
 * provider renders it); the script is the scenes' scripts joined. `fromSpec`: the fields the spec decided.
 */
export function withSpec(spec: AdSpec, given: RawRequest, cwd: string): { raw: RawRequest; fromSpec: Set<InputField> } {
  const raw: RawRequest = { ...spec.raw };
  const fromSpec = new Set<InputField>(Object.keys(spec.raw) as InputField[]);
  for (const [name, value] of Object.entries(given) as [SpecField, unknown][]) {
    if (!isGiven(value)) continue;
    raw[name] = isPathField(name) ? resolvePaths(value, cwd) : value;
    fromSpec.delete(name);
  }
  const scripted = isGiven(given.script) || isGiven(given.scriptFile);
  if (scripted) delete raw[isGiven(given.script) ? 'scriptFile' : 'script'];
  else if (spec.scenes) settleScenes(raw, spec.scenes, fromSpec);
  return { raw, fromSpec };
}

function settleScenes(raw: RawRequest, scenes: Scene[], fromSpec: Set<InputField>): void {
  const ad = { creator: textOf(raw.creator), image: textOf(raw.image), voice: textOf(raw.voice) };
  const settled = scenes.map((scene): Scene => {
    const own = Boolean(scene.creator || scene.image);
    return {
      script: scene.script,
      creator: scene.creator ?? (scene.image ? null : ad.creator),
      image: scene.image ?? (scene.creator ? null : ad.image),
      voice: scene.voice ?? (own ? null : ad.voice),
      broll: scene.broll,
      product: scene.product,
    };
  });
  raw.script = settled.map((s) => s.script).join(' ');
  fromSpec.add('script');
  const [first] = settled as [Scene];
  const oneCast = settled.every((s) => s.creator === first.creator && s.image === first.image && s.voice === first.voice && s.broll.length === 0 && !s.product);
  if (!oneCast) {
    raw.scenes = settled;
    fromSpec.add('scenes');
    return;
  }
  for (const field of ['creator', 'image', 'voice'] as const) {
    if (first[field] !== ad[field]) fromSpec.add(field);
    raw[field] = first[field];
  }
}

/**
 * An input problem said where it came from: a flag's as the flag (`--aspect must be …`), the spec's with
 * the file and field (`ad.yaml: aspect: must be …`, `ad.yaml: scenes[1].creator: unknown creator "maxx"`).
 */
export function describeSpecIssue(issue: InputIssue, spec: AdSpec, fromSpec: ReadonlySet<InputField>): string {
  const field = issue.field === 'scriptFile' && fromSpec.has('script') ? 'script' : issue.field;
  if (issue.scene === undefined && !fromSpec.has(field)) return describeIssue(issue, 'flag');
  const where = issue.scene === undefined ? `${columnOf(issue.field)}: ` : '';
  return `${spec.label}: ${where}${describeIssue(issue, 'column')}`;
}
