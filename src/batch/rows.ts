import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import {
  columnOf, describeIssue, InputError, isUrl, MEDIA_FIELDS, parseRequest, REQUEST_FIELDS, SCRIPT_FILE,
  type FieldSpec, type GenerateRequest, type InputField, type RawRequest, type RequestField,
} from '../core/request.js';
import { describeSpecIssue, readSpec, withSpec, type AdSpec } from '../core/spec.js';
import { DEFAULT_PROVIDER, getProvider, providerNames } from '../providers/registry.js';

/** One row as read from the rows file, before any validation. */
export interface RawRow {
  /** 1-based data row number (the header and blank lines are not counted). */
  row: number;
  /** 1-based line where the row starts (CSV, JSONL). */
  line?: number;
  fields: Record<string, unknown>;
}

export interface RowError {
  row: number;
  line?: number;
  field: string;
  message: string;
}

/** The columns a row may have: `name` (the output file name), `provider`, `spec` (a spec file), and `generate`'s long flag names. */
export const ROW_COLUMNS: readonly string[] = ['name', 'provider', 'spec', REQUEST_FIELDS.script.flag, SCRIPT_FILE.flag, ...(Object.values(REQUEST_FIELDS) as FieldSpec[]).slice(1).map((f) => f.flag)];

/** Values used where a row leaves a column empty (long column names; paths should be absolute). */
export type RowDefaults = Partial<Record<string, string>>;

export interface BatchJob {
  /** Stable content hash (a UUID) of the normalised request + provider + name: the manifest key and idempotency key. */
  key: string;
  row: number;
  line?: number;
  /** Output file name without extension, unique within the batch. */
  name: string;
  provider: ProviderName | null;
  /** For an expanded matrix row: the value taken in each expanded column (empty otherwise). */
  combination: Record<string, string>;
  /** The row's spec file as its `spec` cell names it, when it has one. */
  spec?: string;
  request: GenerateRequest;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Reads a rows file by its extension: `.csv`, `.jsonl` or `.json`. Structural problems throw a UsageError naming the line. */
export async function parseRowsFile(path: string): Promise<RawRow[]> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.jsonl' && ext !== '.json') {
    throw new UsageError(`${path}: a rows file must end in .csv, .jsonl or .json`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the rows file ${path}${code === 'ENOENT' ? ' (no such file)' : code ? ` (${code})` : ''}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = ext === '.csv' ? rowsFromCsv(text, path) : ext === '.jsonl' ? rowsFromJsonl(text, path) : rowsFromJson(text, path);
  if (rows.length === 0) throw new UsageError(`${path} has no rows`);
  return rows;
}

interface CsvRecord {
  line: number;
  values: string[];
}

/** RFC 4180: quoted fields with `""` escapes, commas and newlines inside quotes, CRLF or LF line ends. */
export function parseCsv(text: string, label = 'CSV'): CsvRecord[] {
  const records: CsvRecord[] = [];
  let values: string[] = [];
  let field = '';
  let inQuotes = false;
  let afterQuote = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  const endField = () => {
    values.push(field);
    field = '';
    afterQuote = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
          afterQuote = true;
        }
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
      }
    } else if (c === ',') {
      endField();
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      records.push({ line: recordLine, values });
      values = [];
      line++;
      recordLine = line;
    } else if (afterQuote) {
      throw new UsageError(`${label} line ${line}: unexpected text after a closing quote (write a quote inside a quoted field as "")`);
    } else if (c === '"' && field === '') {
      inQuotes = true;
      quoteLine = line;
    } else {
      field += c;
    }
  }
  if (inQuotes) throw new UsageError(`${label} line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || afterQuote || values.length > 0) {
    endField();
    records.push({ line: recordLine, values });
  }
  return records;
}

const isBlank = (values: string[]) => values.every((v) => v.trim() === '');

function rowsFromCsv(text: string, path: string): RawRow[] {
  const records = parseCsv(text, path).filter((r) => !isBlank(r.values));
  const [header, ...data] = records;
  if (!header) return [];
  const columns = header.values.map((v) => v.trim());
  columns.forEach((column, i) => {
    if (!column) throw new UsageError(`${path} line ${header.line}: column ${i + 1} of the header has no name`);
    if (columns.indexOf(column) !== i) throw new UsageError(`${path} line ${header.line}: the header names "${column}" twice`);
  });
  const ragged = data.filter((r) => r.values.length !== columns.length);
  if (ragged.length > 0) {
    const lines = ragged.slice(0, 5).map((r) => `line ${r.line} has ${r.values.length} fields`).join(', ');
    throw new UsageError(
      `${path}: ${lines}${ragged.length > 5 ? ` (and ${ragged.length - 5} more)` : ''}, but the header has ${columns.length}`,
      'Quote any field that contains a comma or a line break: "like, this".',
    );
  }
  return data.map((record, i) => ({
    row: i + 1,
    line: record.line,
    fields: Object.fromEntries(columns.map((column, c) => [column, record.values[c] ?? ''])),
  }));
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function rowsFromJsonl(text: string, path: string): RawRow[] {
  const rows: RawRow[] = [];
  text.split(/\r?\n/).forEach((source, i) => {
    if (!source.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (error) {
      throw new UsageError(`${path} line ${i + 1}: not valid JSON (${(error as Error).message})`);
    }
    if (!isObject(value)) throw new UsageError(`${path} line ${i + 1}: each line must be a JSON object`);
    rows.push({ row: rows.length + 1, line: i + 1, fields: value });
  });
  return rows;
}

function rowsFromJson(text: string, path: string): RawRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value)) throw new UsageError(`${path}: must hold a JSON array of row objects`);
  return value.map((item: unknown, i) => {
    if (!isObject(item)) throw new UsageError(`${path}: element ${i + 1} of the array is not an object`);
    return { row: i + 1, fields: item };
  });
}

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * Text columns whose `a|b` variants (A/B tests) are named by their column's letter and their number, as
 * `glow-h2-s1-c1` says hook 2, script 1, CTA 1; a field takes part once the request table has it.
 */
const VARIANT_LETTERS: Readonly<Record<string, string>> = { hook: 'h', script: 's', cta: 'c' };
const VARIANT_COLUMNS = new Map<string, string>(
  Object.entries(VARIANT_LETTERS)
    .filter(([field]) => field in REQUEST_FIELDS)
    .map(([field, letter]) => [REQUEST_FIELDS[field as RequestField].flag, letter]),
);

/**
 * A value with `|` in one of these columns expands into one job per value (the cartesian product over
 * columns): the text variants, then the fields marked `matrix` in the request table (named by value).
 */
export const MATRIX_COLUMNS: readonly string[] = [...VARIANT_COLUMNS.keys(), ...(Object.values(REQUEST_FIELDS) as FieldSpec[]).filter((f) => f.matrix && !VARIANT_COLUMNS.has(f.flag)).map((f) => f.flag)];

/** Column → the request input it fills. */
const FIELD_OF_COLUMN = new Map<string, RequestField | 'scriptFile'>([
  ...(Object.entries(REQUEST_FIELDS) as [RequestField, FieldSpec][]).map(([field, spec]) => [spec.flag, field] as const),
  [SCRIPT_FILE.flag, 'scriptFile'],
]);

/** `productName`, `product_name`, `Product Name` → `product-name` (each heading worked out once: every row has the same). */
const normalizedColumns = new Map<string, string>();
function normalizeColumn(name: string): string {
  let normal = normalizedColumns.get(name);
  if (normal === undefined) {
    normal = name.trim().replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[_\s]+/g, '-').toLowerCase();
    if (normalizedColumns.size < 10_000) normalizedColumns.set(name, normal);
  }
  return normal;
}
const isColumn = (name: string): boolean => ROW_COLUMNS.includes(name);

export interface ValidateOptions {
  /** Where relative paths in the rows resolve: the rows file's directory. */
  cwd: string;
  /** For columns a row leaves empty, e.g. `{ provider: 'local' }`. Pass the resolved provider so keys never depend on where it came from. */
  defaults?: RowDefaults;
}

interface Candidate {
  raw: RawRow;
  name: string;
  provider: ProviderName | null;
  combination: Record<string, string>;
  spec?: string;
  request: GenerateRequest;
}

/**
 * Checks every row and expands matrix rows into jobs. Returns every problem found (not just the first),
 * each naming its row and the column its issue is about; `jobs` holds the jobs of the rows without
 * problems. Checks that need the file contents or a catalog (is this an image, does this creator exist)
 * are the provider's: run `provider.jobs.validate` on each job before anything is spent.
 */
export function validateRows(rows: RawRow[], options: ValidateOptions): { jobs: BatchJob[]; errors: RowError[] } {
  const errors: RowError[] = [];
  const candidates: Candidate[] = [];
  const failed = new Set<RawRow>();
  const reportedColumns = new Set<string>();
  const columnOrder = new Map<number, string[]>();
  const specs = new Map<string, AdSpec | Error>();
  const errorAt = (raw: RawRow, field: string, message: string): RowError => ({ row: raw.row, ...(raw.line !== undefined ? { line: raw.line } : {}), field, message });

  for (const raw of rows) {
    const seen = new Set<string>();
    const add = (field: string, message: string) => {
      if (seen.has(`${field}\0${message}`)) return;
      seen.add(`${field}\0${message}`);
      errors.push(errorAt(raw, field, message));
      failed.add(raw);
    };

    columnOrder.set(raw.row, Object.keys(raw.fields).flatMap((c) => [c, normalizeColumn(c)]));
    // Columns: known names only (`#…` columns are comments); each unknown column is reported once, at its first row.
    const values = new Map<string, unknown>();
    for (const [column, value] of Object.entries(raw.fields)) {
      if (column.trim().startsWith('#')) continue;
      const name = normalizeColumn(column);
      if (!isColumn(name)) {
        if (!reportedColumns.has(column)) add(column, `unknown column "${column}" (columns: ${ROW_COLUMNS.join(', ')})`);
        reportedColumns.add(column);
      } else if (values.has(name)) add(column, `the column ${name} appears twice`);
      else values.set(name, value);
    }
    const present = (column: string): unknown => {
      const value = values.get(column);
      return value === undefined || value === null || (typeof value === 'string' && value.trim() === '') ? options.defaults?.[column] : value;
    };

    const name = typeof present('name') === 'string' || typeof present('name') === 'number' ? String(present('name')).trim() : null;
    const baseName = checkName(name, add);
    const providerValue = present('provider');
    const providerText = providerValue === undefined || providerValue === null ? null : String(providerValue).trim();
    let provider: ProviderName | null = null;
    if (providerText && !providerNames().includes(providerText)) add('provider', `unknown provider "${providerText}" (one of ${providerNames().join(', ')})`);
    else provider = providerText;
    // The provider's rules (what it requires, refuses, takes only as URLs) are checked with the row itself.
    const rulesOf = getProvider(provider ?? DEFAULT_PROVIDER);

    const specCell = present('spec');
    const specLabel = specCell === undefined || specCell === null ? '' : String(specCell).trim();
    const spec = specLabel ? specOf(specs, resolve(options.cwd, specLabel), specLabel) : null;
    if (spec instanceof Error) {
      add('spec', spec.message);
      continue;
    }

    for (const { values: combo, combination, parts } of expand(MATRIX_COLUMNS, present)) {
      const suffix = parts.join('-');
      const input: RawRequest = {};
      for (const [column, field] of FIELD_OF_COLUMN) input[field] = combo[column] ?? present(column);
      // Cells override the row's spec, as flags override `generate --spec`.
      const { raw: merged, fromSpec } = spec ? withSpec(spec, input, options.cwd) : { raw: input, fromSpec: new Set<InputField>() };
      const { request, issues } = parseRequest(merged, { cwd: options.cwd, rules: rulesOf.jobs?.inputs, provider: rulesOf.name });
      for (const issue of issues) {
        if (spec && (fromSpec.has(issue.field) || issue.scene !== undefined)) add('spec', describeSpecIssue(issue, spec, fromSpec));
        else add(columnOf(issue.field), describeIssue(issue, 'column'));
      }
      if (request.idempotencyKey && suffix) request.idempotencyKey = `${request.idempotencyKey}-${suffix}`;
      candidates.push({ raw, name: [baseName ?? `row-${raw.row}`, suffix].filter(Boolean).join('-'), provider, combination, request, ...(spec ? { spec: specLabel } : {}) });
    }
  }

  // Output names (case-insensitively: macOS and Windows file systems) and explicit idempotency keys are unique.
  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  for (const c of candidates) {
    const problem = failed.has(c.raw) ? null : nameProblem(c.name);
    if (problem) {
      errors.push(errorAt(c.raw, 'name', problem));
      failed.add(c.raw);
      continue;
    }
    const at = names.get(c.name.toLowerCase());
    if (at !== undefined) {
      errors.push(errorAt(c.raw, 'name', `the output name "${c.name}" is already used by row ${at}`));
      failed.add(c.raw);
    } else names.set(c.name.toLowerCase(), c.raw.row);
    const key = c.request.idempotencyKey;
    if (!key) continue;
    const keyAt = keys.get(key);
    if (keyAt !== undefined) {
      errors.push(errorAt(c.raw, 'idempotency-key', `"${key}" is already used by row ${keyAt}`));
      failed.add(c.raw);
    } else keys.set(key, c.raw.row);
  }

  const jobs: BatchJob[] = [];
  for (const c of candidates) {
    if (failed.has(c.raw)) continue;
    const key = jobKey(c.request, c.provider, c.name, options.cwd);
    jobs.push({
      key,
      row: c.raw.row,
      ...(c.raw.line !== undefined ? { line: c.raw.line } : {}),
      name: c.name,
      provider: c.provider,
      combination: c.combination,
      ...(c.spec !== undefined ? { spec: c.spec } : {}),
      request: { ...c.request, idempotencyKey: c.request.idempotencyKey ?? key },
    });
  }
  // By row, then in the order of the row's columns (duplicate names last).
  const rank = (e: RowError) => {
    const order = columnOrder.get(e.row) ?? [];
    const at = order.indexOf(e.field);
    return e.field === 'name' && e.message.includes('already used') ? order.length + 1 : at < 0 ? order.length : at;
  };
  errors.sort((a, b) => a.row - b.row || rank(a) - rank(b));
  return { jobs, errors };
}

function checkName(name: string | null, add: (field: string, message: string) => void): string | null {
  if (name === null || name === '') return null;
  const base = name.replace(/\.mp4$/i, '');
  const problem = nameProblem(base);
  if (problem) {
    add('name', problem);
    return null;
  }
  return base;
}

/** A row's spec file, read once per batch however many rows name it; what is wrong with it otherwise. */
function specOf(specs: Map<string, AdSpec | Error>, path: string, label: string): AdSpec | Error {
  let spec = specs.get(path);
  if (!spec) {
    try {
      spec = readSpec(path, label);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      spec = error;
    }
    specs.set(path, spec);
  }
  return spec;
}

interface Combination {
  values: Record<string, string>;
  combination: Record<string, string>;
  /** What the job's name says of it: `s2` for a text variant, the value (`9x16`) for another column. */
  parts: string[];
}

/**
 * Longest output name, in bytes as the file system counts them (UTF-8): file names are limited to 255
 * bytes, and `<name>.mp4` gets temp files beside it with a longer name (`.<name>.mp4.<pid>.<hex>.tmp`).
 */
export const MAX_NAME_BYTES = 200;

/** Why `name` cannot be an output file name (the `.mp4` is added), or null when it can. */
export function nameProblem(name: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (!name || /[\u0000-\u001f\u007f-\u009f/\\]/.test(name) || name.startsWith('.')) {
    return `${JSON.stringify(name)} cannot be a file name (no slashes, control characters or leading dot)`;
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return `the name is ${bytes} bytes long; a file name takes at most ${MAX_NAME_BYTES} bytes (letters outside ASCII take 2 to 4 each)`;
  return null;
}

/** The cartesian product over the matrix columns whose value holds `a|b`; the first column varies slowest. */
function expand(columns: readonly string[], present: (column: string) => unknown): Combination[] {
  let result: Combination[] = [{ values: {}, combination: {}, parts: [] }];
  for (const column of columns) {
    const value = present(column);
    if (typeof value !== 'string' || !value.includes('|')) continue;
    const options = [...new Set(value.split('|').map((v) => v.trim()).filter(Boolean))];
    if (options.length <= 1) {
      for (const r of result) r.values[column] = options[0] ?? '';
      continue;
    }
    const letter = VARIANT_COLUMNS.get(column);
    result = result.flatMap((r) =>
      options.map((option, i) => ({
        values: { ...r.values, [column]: option },
        combination: { ...r.combination, [column]: option },
        parts: [...r.parts, letter ? `${letter}${i + 1}` : slug(option)],
      })),
    );
  }
  return result;
}

/** `9:16` → `9x16`, `en-US Female` → `en-us-female`. */
const slug = (value: string) => value.toLowerCase().replace(/:/g, 'x').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'x';

/** A provider's validate error for a job, as a row error: the field its issue names (a scene's: the spec's), else the whole row. */
export function rowErrorFor(job: Pick<BatchJob, 'row' | 'line' | 'spec'>, error: unknown): RowError {
  const at = { row: job.row, ...(job.line !== undefined ? { line: job.line } : {}) };
  if (error instanceof InputError && job.spec && (error.issue.scene !== undefined || error.issue.field === 'scenes')) {
    return { ...at, field: 'spec', message: `${job.spec}: ${describeIssue(error.issue, 'column')}` };
  }
  if (error instanceof InputError) return { ...at, field: columnOf(error.issue.field), message: describeIssue(error.issue, 'column') };
  if (error instanceof UsageError && error.field) return { ...at, field: columnOf(error.field as RequestField), message: error.message };
  return { ...at, field: 'row', message: error instanceof Error ? error.message : String(error) };
}

/** One line per error: `row 3, creator: unknown creator "zed"`. */
export function formatRowErrors(errors: RowError[]): string {
  return errors.map((e) => `row ${e.row}, ${e.field}: ${e.message}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Keys

/** A fixed namespace for batch job keys (UUIDv5). */
const KEY_NAMESPACE = Buffer.from('3b0c6a1e9f5d4c8a8e27d5b1f04a6c93', 'hex');

/** Key order does not matter: objects are written with sorted keys. (Built by appending: it runs for every row.) */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${text}]`;
  }
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    let text = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      text += `${i > 0 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(value[key])}`;
    }
    return `${text}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The job's key: a UUIDv5 over the canonical JSON of `{ v, provider, name, request }`, with local file paths
 * relative to the rows file's directory (moving the folder keeps the keys). Any change to a row's values,
 * its provider or its output name changes the key; the same row content gives the same key on every run.
 */
export function jobKey(request: GenerateRequest, provider: string | null, name: string, cwd: string): string {
  const portable = (p: string | null) => (p && !isUrl(p) && isAbsolute(p) ? relative(cwd, p).split(sep).join('/') : p);
  const paths = Object.fromEntries(MEDIA_FIELDS.map((field) => [field, portable(request[field])]));
  const scenes = request.scenes?.map((scene) => ({ ...scene, image: portable(scene.image), broll: scene.broll.map(portable) }));
  const basis = { v: 1, provider, name, request: { ...request, ...paths, ...(scenes ? { scenes } : {}) } };
  const hash = createHash('sha1').update(KEY_NAMESPACE).update(canonicalJson(basis), 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
