import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';
import { PLATFORMS } from './platforms.js';
import { parseDecimal } from './decimal.js';

export const ASPECT_VALUES = ['9:16', '16:9', '1:1'] as const;
export const CAPTION_VALUES = ['karaoke', 'box', 'pop', 'clean', 'none'] as const;
export const RESOLUTION_VALUES = ['720p', '1080p'] as const;
export const SUBTITLE_VALUES = ['srt', 'vtt'] as const;
export const MAX_SCRIPT_CHARS = 5000;
export const MAX_DURATION_SECONDS = 600;
/** The speech rate factor every engine is asked for (OpenAI's range; an engine with a narrower one says so). */
export const VOICE_SPEED_RANGE = { min: 0.25, max: 4 } as const;

/** What a field holds, which decides how a raw value (a flag's text, a batch cell, a JSON value) is read. */
type Kind =
  | { readonly type: 'script' }
  | { readonly type: 'text' }
  | { readonly type: 'choice'; readonly choices: readonly string[]; readonly default: string | null }
  | { readonly type: 'seconds' }
  /** A number within bounds, e.g. a rate factor. */
  | { readonly type: 'number'; readonly min: number; readonly max: number; readonly what: string }
  /** On or off: a switch on the command line, `true`/`false` (or yes/no, 1/0) in a batch cell. */
  | { readonly type: 'switch' }
  /** A local file (checked to exist here, by content later) or an http(s) URL. */
  | { readonly type: 'media'; readonly media: 'image' | 'audio' }
  /** Local pictures or videos, repeatable (`;` between them in a batch cell), checked to exist here. */
  | { readonly type: 'shots' }
  /** A local file read by `ugc` itself (e.g. a JSON brand kit), checked to exist here. */
  | { readonly type: 'file' }
  /** `key=value` pairs passed through to the provider. */
  | { readonly type: 'params' };

export interface FieldSpec {
  /** The long flag of `generate` and `estimate`, and the batch column. */
  readonly flag: string;
  /** The placeholder shown in help: `<text>`. */
  readonly value: string;
  readonly help: string;
  readonly kind: Kind;
  /** Batch: `a|b` in this column makes one job per value. */
  readonly matrix?: boolean;
  /** Only means something when a job is submitted, so `estimate` does not offer it. */
  readonly submitOnly?: boolean;
  /** This field and that one cannot both be given. */
  readonly excludes?: string;
}

/**
 * The generate request, as one table: the CLI flags of `generate` and `estimate`, the request's
 * validation and type, and the batch columns all derive from it. A field's key is its name in the
 * request (and in job records); adding a field here adds the flag, the column and the check.
 */
export const REQUEST_FIELDS = {
  script: { flag: 'script', value: '<text>', help: 'what the creator says', kind: { type: 'script' } },
  creator: { flag: 'creator', value: '<id|slug>', help: 'stock or custom creator (see `ugc creators`)', kind: { type: 'text' }, matrix: true, excludes: 'image' },
  image: { flag: 'image', value: '<path>', help: 'your own photo instead of a stock creator', kind: { type: 'media', media: 'image' } },
  voice: { flag: 'voice', value: '<id>', help: "voice (see `ugc voices`), built in or added with `ugc voices add`; default: the creator's voice in the script's language", kind: { type: 'text' }, matrix: true },
  voiceSpeed: { flag: 'voice-speed', value: '<factor>', help: 'speech rate, 1 = the voice\'s own (0.25-4; ElevenLabs 0.7-1.2)', kind: { type: 'number', min: VOICE_SPEED_RANGE.min, max: VOICE_SPEED_RANGE.max, what: 'a speed factor' } },
  strict: { flag: 'strict', value: '', help: 'refuse a script in another language than the voice speaks (default: a warning)', kind: { type: 'switch' } },
  audio: { flag: 'audio', value: '<path>', help: 'your own voiceover (no TTS); the script then only feeds the captions', kind: { type: 'media', media: 'audio' } },
  aspect: { flag: 'aspect', value: '<ratio>', help: '9:16 (default), 16:9 or 1:1', kind: { type: 'choice', choices: ASPECT_VALUES, default: '9:16' }, matrix: true },
  captions: { flag: 'captions', value: '<style>', help: "karaoke (default, or the brand kit's), box, pop, clean or none", kind: { type: 'choice', choices: CAPTION_VALUES, default: null }, matrix: true },
  music: { flag: 'music', value: '<path>', help: 'background music, looped and ducked under the voice', kind: { type: 'media', media: 'audio' } },
  hook: { flag: 'hook', value: '<text>', help: 'big opening line shown over the first ~2 s (the voice starts at once)', kind: { type: 'text' }, matrix: true },
  productName: { flag: 'product-name', value: '<text>', help: 'product name: the end card, and the word that cues the product shot', kind: { type: 'text' } },
  productImage: { flag: 'product-image', value: '<path|url>', help: 'product photo, cut in full frame when the script first names the product', kind: { type: 'media', media: 'image' } },
  broll: { flag: 'broll', value: '<path>', help: 'your own picture or video cut in at a sentence boundary, repeatable', kind: { type: 'shots' } },
  cta: { flag: 'cta', value: '<text>', help: 'call-to-action button on the end card', kind: { type: 'text' } },
  url: { flag: 'url', value: '<text>', help: 'web address shown under the end card\'s button', kind: { type: 'text' } },
  platform: { flag: 'platform', value: '<name>', help: 'tiktok, reels, shorts or generic (all three): its safe zone for the layout, its length range', kind: { type: 'choice', choices: PLATFORMS, default: null } },
  brand: { flag: 'brand', value: '<brand.json>', help: 'brand kit: font, colours, logo and corner, caption style, CTA style (default: the profile\'s `brand`)', kind: { type: 'file' } },
  prompt: { flag: 'prompt', value: '<text>', help: 'scene prompt (providers that take one)', kind: { type: 'text' } },
  model: { flag: 'model', value: '<id>', help: 'model (see `ugc models`)', kind: { type: 'text' } },
  fallback: { flag: 'fallback', value: '<runner>', help: "a built-in runner (talking or still) to render with if --model's is unavailable", kind: { type: 'text' }, submitOnly: true },
  durationSeconds: { flag: 'duration', value: '<seconds>', help: 'minimum length in seconds: the ad is never shorter than the speech (remote providers: their target length)', kind: { type: 'seconds' } },
  resolution: { flag: 'resolution', value: '<res>', help: '720p or 1080p (default)', kind: { type: 'choice', choices: RESOLUTION_VALUES, default: '1080p' } },
  params: { flag: 'param', value: '<key=value>', help: 'provider-specific field, repeatable', kind: { type: 'params' } },
  subtitles: { flag: 'subtitles', value: '<format>', help: 'also write subtitles beside the video: srt (phrases) or vtt (word by word)', kind: { type: 'choice', choices: SUBTITLE_VALUES, default: null }, submitOnly: true },
  webhookUrl: { flag: 'webhook-url', value: '<url>', help: 'URL the provider calls when the job ends', kind: { type: 'text' }, submitOnly: true },
  idempotencyKey: { flag: 'idempotency-key', value: '<key>', help: 'reuse to make a retried submission return the same job', kind: { type: 'text' }, submitOnly: true },
} as const satisfies Record<string, FieldSpec>;

/** Not a field: another way to give the script. */
export const SCRIPT_FILE = { flag: 'script-file', value: '<path>', help: 'read the script from a file' } as const;

type Fields = typeof REQUEST_FIELDS;
export type RequestField = keyof Fields;
/** Where an input problem is: a request field, the script file the script came from, or the scenes of a spec file. */
export type InputField = RequestField | 'scriptFile' | 'scenes' | SceneField;

type ValueOf<K extends Kind> = K extends { type: 'script' }
  ? string
  : K extends { type: 'choice'; choices: readonly (infer C)[]; default: infer D }
    ? null extends D
      ? C | null
      : C
    : K extends { type: 'seconds' } | { type: 'number' }
      ? number | null
      : K extends { type: 'switch' }
        ? boolean
        : K extends { type: 'params' }
          ? Record<string, string>
          : K extends { type: 'shots' }
            ? string[]
            : string | null;

/**
 * One scene of an ad told in scenes (a spec file's `scenes`): its part of the script, who says it, and
 * what is shown instead of the creator while it is said. Unset fields take the ad's own; a scene that
 * names its own creator or image speaks with that one's voice.
 */
export interface Scene {
  script: string;
  creator: string | null;
  image: string | null;
  voice: string | null;
  /** The user's own shots (images or videos, absolute paths), shown in turn while the scene is said. */
  broll: string[];
  /** The product (`productImage`) shown full frame while the scene is said. */
  product: boolean;
}

/** A scene's own fields that are no request field. */
export type SceneField = 'broll' | 'product';

/**
 * The unified request every provider maps from. Paths are absolute by the time it is stored in a job record.
 * `scenes` is set only when scenes differ in more than their script (several creators); `script` is then
 * the scenes' scripts joined.
 */
export type GenerateRequest = { -readonly [F in RequestField]: ValueOf<Fields[F]['kind']> } & { scenes?: Scene[] };
export type MediaField = { [F in RequestField]: Fields[F]['kind'] extends { type: 'media' } ? F : never }[RequestField];
export const MEDIA_FIELDS = (Object.keys(REQUEST_FIELDS) as RequestField[]).filter((f) => REQUEST_FIELDS[f].kind.type === 'media') as MediaField[];
export const mediaKindOf = (field: MediaField): 'image' | 'audio' => REQUEST_FIELDS[field].kind.media;

export const isUrl = (value: string | null | undefined): value is string => Boolean(value && /^https?:\/\//i.test(value));

// ---------------------------------------------------------------------------------------------
// Problems with an input, said once and shown two ways

/**
 * A problem with one field. `message` names fields in braces: `{}` is the field itself, `{creator}`
 * another one; the CLI shows them as flags (`--creator`), a batch as columns (`creator`, the row's
 * field column saying which).
 */
export interface InputIssue {
  field: InputField;
  message: string;
  hint?: string;
  /** The field is the one of this scene (0-based), not the ad's. */
  scene?: number;
}

const flagOf = (field: string): string | null =>
  field === 'scriptFile' ? SCRIPT_FILE.flag : field in REQUEST_FIELDS ? REQUEST_FIELDS[field as RequestField].flag : null;

/** The field's batch column: its long flag without the dashes. */
export const columnOf = (field: InputField): string => flagOf(field) ?? field;

function render(text: string, self: InputField, as: 'flag' | 'column'): string {
  const body = as === 'column' ? text.replace(/^\{\}:? /, '') : text;
  return body.replace(/\{(\w*)\}/g, (whole, name: string) => {
    const flag = flagOf(name || self);
    return flag === null ? whole : as === 'flag' ? `--${flag}` : flag;
  });
}

/** The issue as the CLI says it (`--aspect must be one of …`) or as a batch row error says it (`must be one of …`). */
export function describeIssue(issue: InputIssue, as: 'flag' | 'column'): string {
  if (issue.scene !== undefined) return `scenes[${issue.scene}].${columnOf(issue.field)}: ${render(issue.message, issue.field, 'column')}`;
  return render(issue.message, issue.field, as);
}

/** An input problem found before anything is spent (exit 2), knowing its field. */
export class InputError extends UsageError {
  constructor(readonly issue: InputIssue) {
    super(describeIssue(issue, 'flag'), issue.hint === undefined ? undefined : render(issue.hint, issue.field, 'flag'));
    this.name = 'InputError';
  }
}

// ---------------------------------------------------------------------------------------------
// Reading raw values

/**
 * A raw request: flags' text, a batch row's cells or JSON values, keyed by field (`scriptFile` for the
 * script file); `scenes` as a spec file gives them (core/spec.ts), or as a job record or queue holds them.
 */
export type RawRequest = Partial<Record<RequestField | 'scriptFile' | 'scenes', unknown>>;

type Read<T> = { value: T } | { issue: Omit<InputIssue, 'field'> };

const blank = (raw: unknown) => raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
const normalize = (text: string) => text.replace(/\r\n?/g, '\n').trim();

function readText(raw: unknown): Read<string | null> {
  if (blank(raw)) return { value: null };
  if (typeof raw === 'string') return { value: normalize(raw) };
  if (typeof raw === 'number' || typeof raw === 'boolean') return { value: String(raw) };
  return { issue: { message: '{} must be text' } };
}

function readChoice(raw: unknown, kind: Extract<Kind, { type: 'choice' }>): Read<string | null> {
  const text = readText(raw);
  if ('issue' in text || text.value === null) return 'issue' in text ? text : { value: kind.default };
  if (!kind.choices.includes(text.value)) return { issue: { message: `{} must be one of ${kind.choices.join(', ')} (got "${text.value}")` } };
  return text;
}

function readNumber(raw: unknown, kind: Extract<Kind, { type: 'number' }>): Read<number | null> {
  if (blank(raw)) return { value: null };
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDecimal(raw) : Number.NaN;
  if (!Number.isFinite(value) || value < kind.min || value > kind.max) return { issue: { message: `{} must be ${kind.what} from ${kind.min} to ${kind.max} (got "${String(raw).trim()}")` } };
  return { value };
}

function readSwitch(raw: unknown): Read<boolean> {
  if (blank(raw) || raw === false) return { value: false };
  if (raw === true) return { value: true };
  const text = String(raw).trim().toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(text)) return { value: true };
  if (['false', 'no', '0', 'off'].includes(text)) return { value: false };
  return { issue: { message: `{} must be true or false (got "${String(raw).trim()}")` } };
}

function readSeconds(raw: unknown): Read<number | null> {
  if (blank(raw)) return { value: null };
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDecimal(raw) : Number.NaN;
  if (!Number.isFinite(value)) return { issue: { message: `{} must be a number of seconds (got "${String(raw).trim()}")` } };
  if (!(value >= 1 && value <= MAX_DURATION_SECONDS)) return { issue: { message: `{} must be a number of seconds between 1 and ${MAX_DURATION_SECONDS}` } };
  return { value };
}

/** null when `path` is a readable file, else what is wrong with it. */
function fileProblem(path: string): Omit<InputIssue, 'field'> | null {
  try {
    if (!statSync(path).isFile()) return { message: `{}: ${path} is not a file` };
    accessSync(path, constants.R_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { message: `{}: no such file ${path}` };
    if (code === 'EACCES') return { message: `{}: cannot read ${path} (EACCES)`, hint: 'Permission denied: make the file readable, or pass another one.' };
    return { message: `{}: cannot read ${path}${code ? ` (${code})` : ''}` };
  }
}

/** A URL passes through (the provider decides whether it takes one); a path becomes absolute and must be a readable file. */
function readMedia(raw: unknown, cwd: string): Read<string | null> {
  const text = readText(raw);
  if ('issue' in text || text.value === null || isUrl(text.value)) return text;
  const path = resolve(cwd, text.value);
  const problem = fileProblem(path);
  return problem ? { issue: problem } : { value: path };
}

/** A local file, made absolute. */
function readFile(raw: unknown, cwd: string): Read<string | null> {
  const text = readText(raw);
  if ('issue' in text || text.value === null) return text;
  const path = resolve(cwd, text.value);
  const problem = fileProblem(path);
  return problem ? { issue: problem } : { value: path };
}

/** Repeated flags, or one batch cell with `;` between paths (a JSON array in a rows file). */
function readShots(raw: unknown, cwd: string): Read<string[]> {
  if (blank(raw)) return { value: [] };
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(';');
  const paths: string[] = [];
  for (const item of items.map((i) => i.trim()).filter(Boolean)) {
    if (isUrl(item)) return { issue: { message: `{} takes files on this machine, not URLs (got "${item}")` } };
    const read = readFile(item, cwd);
    if ('issue' in read) return read;
    if (read.value) paths.push(read.value);
  }
  return { value: paths };
}

/** One `key=value` pair: the one reading of `--param` and of each pair in a batch `param` cell. */
function readPair(text: string, into: Record<string, string>): Omit<InputIssue, 'field'> | null {
  const eq = text.indexOf('=');
  if (eq < 1 || !text.slice(0, eq).trim()) return { message: `{} must be key=value (got "${text.trim()}")` };
  into[text.slice(0, eq).trim()] = text.slice(eq + 1).trim();
  return null;
}

/**
 * `--param` values (each one pair), a batch cell (`k=v;k2=v2`, or a JSON object), or a JSON rows file's
 * object. Numbers and booleans become text; the provider's own validation decides the rest.
 */
function readParams(raw: unknown): Read<Record<string, string>> {
  const params: Record<string, string> = {};
  if (blank(raw)) return { value: params };
  if (Array.isArray(raw)) {
    for (const pair of raw) {
      const problem = readPair(String(pair), params);
      if (problem) return { issue: problem };
    }
    return { value: params };
  }
  let object: unknown = raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (!text.startsWith('{')) {
      for (const pair of text.split(';').filter((p) => p.trim())) {
        const problem = readPair(pair, params);
        if (problem) return { issue: problem };
      }
      return { value: params };
    }
    try {
      object = JSON.parse(text);
    } catch {
      return { issue: { message: '{} is not valid JSON: write a JSON object or k=v;k2=v2' } };
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return { issue: { message: '{} must be a JSON object or k=v;k2=v2' } };
  for (const [key, value] of Object.entries(object)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return { issue: { message: `{}: the value of "${key}" must be text, a number or a boolean` } };
    params[key] = String(value);
  }
  return { value: params };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Scenes read like the fields they hold (text, media paths resolved against `cwd` and checked to be
 * readable files), each problem naming its scene: whoever wrote them (a spec file, a job record, a queue).
 */
function readScenes(raw: unknown, cwd: string): { value: Scene[] | null; issues: InputIssue[] } {
  if (blank(raw)) return { value: null, issues: [] };
  if (!Array.isArray(raw) || raw.length === 0) return { value: null, issues: [{ field: 'scenes', message: '{} must be a list of one scene or more' }] };
  const issues: InputIssue[] = [];
  const scenes = raw.map((item: unknown, scene): Scene => {
    const at = <T>(field: InputField, read: Read<T>, fallback: T): T => {
      if (!('issue' in read)) return read.value;
      issues.push({ field, scene, ...read.issue });
      return fallback;
    };
    const fields = isRecord(item) ? item : {};
    if (!isRecord(item)) issues.push({ field: 'scenes', message: `{}: scene ${scene} must be an object with a script` });
    const script = at('script', readText(fields.script), null);
    if (isRecord(item) && !script) issues.push({ field: 'script', scene, message: 'is empty' });
    const broll = Array.isArray(fields.broll) ? fields.broll : blank(fields.broll) ? [] : [fields.broll];
    return {
      script: script ?? '',
      creator: at('creator', readText(fields.creator), null),
      image: at('image', readMedia(fields.image, cwd), null),
      voice: at('voice', readText(fields.voice), null),
      broll: broll.map((path: unknown) => at('broll', readMedia(path, cwd), null)).filter((path): path is string => path !== null),
      product: at('product', readSwitch(fields.product), false),
    };
  });
  return { value: scenes, issues };
}

function readScript(raw: RawRequest, cwd: string): { value: string; issues: InputIssue[] } {
  const fromFlag = readText(raw.script);
  if ('issue' in fromFlag) return { value: '', issues: [{ field: 'script', ...fromFlag.issue }] };
  if (blank(raw.scriptFile)) return { value: fromFlag.value ?? '', issues: [] };
  if (fromFlag.value !== null) return { value: fromFlag.value, issues: [{ field: 'scriptFile', message: 'pass either {script} or {scriptFile}, not both' }] };
  const path = resolve(cwd, String(raw.scriptFile).trim());
  try {
    return { value: normalize(readFileSync(path, 'utf8')), issues: [] };
  } catch {
    return { value: '', issues: [{ field: 'scriptFile', message: `{}: cannot read ${path}` }] };
  }
}

// ---------------------------------------------------------------------------------------------
// What a provider takes

/** A provider's rules for a request, checked before anything is spent; the messages name the provider. */
export interface InputRules {
  /** Fields that must be given; a list means one of them. */
  readonly required: readonly (RequestField | readonly RequestField[])[];
  /** Fields it cannot use, each with why (said after "does not take --x: "). */
  readonly unsupported?: Partial<Record<RequestField, string>>;
  /** Media it takes only as public URLs (it fetches them itself). */
  readonly urlOnly?: readonly MediaField[];
  /** Media it takes only as local files (uploaded from this machine). */
  readonly pathOnly?: readonly MediaField[];
  /** What to do about a missing or refused field (e.g. where to list creator ids). */
  readonly hints?: Partial<Record<RequestField, string>>;
  /** It renders `scenes` (each scene its own creator and voice); without this, a request with scenes is refused. */
  readonly scenes?: boolean;
}

/** What most providers need: a script. */
export const SCRIPT_REQUIRED: InputRules = { required: ['script'] };

/** Whether the request sets `field` at all (a switch left off, an empty list or text count as not given). */
export const given = (request: GenerateRequest, field: RequestField): boolean => {
  const value = request[field];
  return value !== null && value !== '' && value !== false && !(typeof value === 'object' && Object.keys(value).length === 0);
};

function ruleIssues(request: GenerateRequest, rules: InputRules, provider: string, skip: Set<InputField>): InputIssue[] {
  const issues: InputIssue[] = [];
  if (request.scenes && !rules.scenes) {
    issues.push({ field: 'scenes', message: `${provider} renders one creator for the whole ad: it cannot render scenes with their own creator, image, voice or shots`, hint: 'Render this spec with --provider local, or give the creator once, at the top of the spec.' });
  }
  for (const requirement of rules.required) {
    const fields = typeof requirement === 'string' ? [requirement] : requirement;
    if (fields.some((f) => given(request, f) || skip.has(f))) continue;
    const [first] = fields as [RequestField];
    if (first === 'script') issues.push({ field: 'script', message: 'the script is empty', hint: 'Pass {script} "<text>" or {scriptFile} <path>.' });
    else issues.push({ field: first, message: `${provider} needs ${fields.map((f) => `{${f}}`).join(' or ')}`, hint: rules.hints?.[first] });
  }
  for (const [field, why] of Object.entries(rules.unsupported ?? {}) as [RequestField, string][]) {
    if (given(request, field)) issues.push({ field, message: `${provider} does not take {}: ${why}`, hint: rules.hints?.[field] });
  }
  for (const field of rules.urlOnly ?? []) {
    const value = request[field];
    if (value && !isUrl(value)) issues.push({ field, message: `${provider} takes {} as a public URL (https://…), not a file` });
  }
  for (const field of rules.pathOnly ?? []) {
    if (isUrl(request[field])) issues.push({ field, message: `${provider} uploads {} from this machine: pass a file path, not a URL` });
  }
  return issues;
}

/** The first way `request` breaks `provider`'s rules, as an InputError; for callers that did not parse with them. */
export function checkRules(request: GenerateRequest, rules: InputRules, provider: string): void {
  const [issue] = ruleIssues(request, rules, provider, new Set());
  if (issue) throw new InputError(issue);
}

// ---------------------------------------------------------------------------------------------
// Parsing

export interface ParseOptions {
  /** Where relative paths resolve: the working directory, or a rows file's directory. */
  cwd: string;
  /** The provider's rules, and its name for their messages (default: a script is required). */
  rules?: InputRules;
  provider?: string;
}

/**
 * Reads a raw request into the unified one, collecting every problem (not just the first): each value
 * by its field's kind, then the fields that exclude each other, then the provider's rules. The request
 * is only meaningful when `issues` is empty.
 */
export function parseRequest(raw: RawRequest, options: ParseOptions): { request: GenerateRequest; issues: InputIssue[] } {
  const scenes = readScenes(raw.scenes, options.cwd);
  // An ad in scenes says their scripts, one after the other.
  const script = scenes.value ? { value: scenes.value.map((s) => s.script).join(' '), issues: [] } : readScript(raw, options.cwd);
  const issues: InputIssue[] = [...scenes.issues, ...script.issues];
  if (script.value.length > MAX_SCRIPT_CHARS) {
    issues.push({ field: 'script', message: `the script is ${script.value.length} characters; the limit is ${MAX_SCRIPT_CHARS}`, hint: 'Shorten it, or split it into several ads with `ugc batch`.' });
  }
  // Emoji, symbols and punctuation alone give a speech engine nothing to say: refused before any record exists.
  if (script.value && !/[\p{L}\p{N}]/u.test(script.value)) {
    issues.push({ field: 'script', message: 'the script has no words to speak (only emoji, symbols or punctuation)', hint: 'Write what the creator says in words.' });
  }
  const request: Record<string, unknown> = { script: script.value };
  for (const [field, spec] of Object.entries(REQUEST_FIELDS) as [RequestField, FieldSpec][]) {
    if (field === 'script') continue;
    const kind = spec.kind;
    const read: Read<unknown> =
      kind.type === 'choice' ? readChoice(raw[field], kind)
      : kind.type === 'seconds' ? readSeconds(raw[field])
      : kind.type === 'number' ? readNumber(raw[field], kind)
      : kind.type === 'switch' ? readSwitch(raw[field])
      : kind.type === 'media' ? readMedia(raw[field], options.cwd)
      : kind.type === 'params' ? readParams(raw[field])
      : kind.type === 'shots' ? readShots(raw[field], options.cwd)
      : kind.type === 'file' ? readFile(raw[field], options.cwd)
      : readText(raw[field]);
    if ('issue' in read) {
      issues.push({ field, ...read.issue });
      request[field] = null;
    } else request[field] = read.value;
  }
  // Filled field by field, `request` is a slow dictionary object; its copy is a plain fast one (a batch copies and hashes each row's).
  const parsed = { ...request } as GenerateRequest;
  if (scenes.value) parsed.scenes = scenes.value;
  for (const [field, spec] of Object.entries(REQUEST_FIELDS) as [RequestField, FieldSpec][]) {
    if (spec.excludes && given(parsed, field) && given(parsed, spec.excludes as RequestField)) {
      issues.push({ field, message: `pass either {${field}} or {${spec.excludes}}, not both` });
    }
  }
  const skip = new Set(issues.map((i) => (i.field === 'scriptFile' ? 'script' : i.field)));
  issues.push(...ruleIssues(parsed, options.rules ?? SCRIPT_REQUIRED, options.provider ?? 'this provider', skip));
  return { request: parsed, issues };
}

/** The request, or the first problem as an InputError (exit 2): for one request given on the command line or through the API. */
export function checkRequest(raw: RawRequest, options: ParseOptions = { cwd: process.cwd() }): GenerateRequest {
  const { request, issues } = parseRequest(raw, options);
  if (issues[0]) throw new InputError(issues[0]);
  return request;
}

/**
 * A stable hash of what `request` asks for: every request field but the idempotency key, given fields
 * only, keys sorted. The same idempotency key with another fingerprint is another request (an error).
 */
export function requestFingerprint(request: GenerateRequest): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(object).sort().filter((key) => object[key] != null).map((key) => [key, canonical(object[key])]));
  };
  const fields = (Object.keys(REQUEST_FIELDS) as RequestField[]).filter((field) => field !== 'idempotencyKey' && given(request, field));
  const asked = Object.fromEntries(fields.map((field) => [field, request[field]]));
  return createHash('sha256').update(JSON.stringify(canonical(asked))).digest('hex').slice(0, 32);
}
