import type { Context } from '../core/context.js';
import type { Job } from '../core/job.js';
import type { Cell } from '../core/present.js';
import type { GenerateRequest, InputRules } from '../core/request.js';
import type { RunnerFlags } from '../render/runners/configured.js';
import type { DeliveredJob, EventKind } from './webhook-bodies.js';
import type { WebhookScheme } from './webhook-schemes.js';

/**
 * Everything `ugc` knows about one provider, in one object. Every part but the name is optional, and
 * what a provider can do follows from which parts it has: a command needs its part (`requirePart`) and
 * says "the <name> provider does not support `ugc <command>`" (exit 1) when it is missing. Commands
 * never ask which kind of provider they have.
 *
 * The local provider (src/providers/local.ts) fills these parts from the render pipeline and its
 * catalogs; a remote one is written as a thin mapping of its HTTP API (`defineRemoteProvider` in
 * remote.ts turns it into this shape). Register one in built-in.ts, or with `registerProvider`.
 */
export interface ProviderDefinition {
  /** The `--provider` value. */
  readonly name: string;
  /** One line for help and docs. */
  readonly summary: string;
  /** The API document it follows, by name and address. */
  readonly document?: string;
  /** An HTTP API: its documented base URL, or null when it is self-hosted (a base URL must be given or configured). */
  readonly api?: { readonly documentedBaseUrl: string | null };
  /** Making videos: `generate`, `status`, `watch`, `batch`. */
  readonly jobs?: JobsPart;
  /** `cancel`: stops a job that has not ended. */
  readonly cancel?: (ctx: Context, job: Job) => Promise<Job>;
  /** `estimate`: what a request would cost, before anything is spent. */
  readonly estimate?: (ctx: Context, request: GenerateRequest) => Promise<Estimate>;
  /** `login`, `whoami`: an account behind an API key. */
  readonly account?: AccountPart;
  readonly creators?: Catalog;
  readonly voices?: Catalog;
  readonly models?: Catalog;
  /** `models add`: model runners configured on this machine by name (the local provider: a Cog server or a command). */
  readonly runners?: RunnersPart;
  /** `uploads`: presigned uploads of an avatar image or a voice sample. */
  readonly uploads?: UploadsPart;
  /** `webhooks`: the events it sends, how it signs them, and their bodies. */
  readonly webhooks?: WebhooksPart;
}

export interface SubmitOptions {
  /** The id the new job record gets (the default output file is named after it). */
  jobId: string;
  /** Resolved `--out`: where the finished video goes. */
  outputPath: string;
  /** Render or poll to completion in this process (`generate`), or hand off and return (`--no-wait`). */
  wait: boolean;
  onProgress?: (stage: string, percent: number) => void;
  signal: AbortSignal;
}

export interface JobsPart {
  /** What a waiting `generate` says it is doing (`Rendering`). */
  readonly activity: string;
  /** How often `watch` and a waiting `generate` poll (the provider's recommendation). */
  readonly pollIntervalSeconds: number;
  /** How many jobs a batch runs at once unless `--concurrency` says otherwise. */
  readonly defaultConcurrency: number;
  /** A hard limit on jobs at once per key (vidgen: one active job); more only queue up behind it. */
  readonly maxConcurrency?: number;
  /**
   * Whether a job outlives the process that submitted it (a remote job): a batch re-attaches to it after
   * a crash and never submits it twice. A local render dies with its process, costs nothing, and is redone.
   */
  readonly resumable: boolean;
  /** What it requires, refuses, and takes only as URLs or only as files (checked before anything else). */
  readonly inputs: InputRules;
  /** The checks that need the files or catalogs (media by content, creators and voices exist), before anything is spent. */
  validate(ctx: Context, request: GenerateRequest): Promise<void>;
  /** Records the job and starts it; with `wait`, a local render runs to its end in this process. */
  submit(ctx: Context, request: GenerateRequest, options: SubmitOptions): Promise<Job>;
  /** The job's current state (refreshing the stored record). */
  refresh(ctx: Context, job: Job): Promise<Job>;
  /** How many of these jobs can usefully run at once, when something outside limits it (a model runner's slots); null when nothing does. */
  slotsFor?(ctx: Context, requests: GenerateRequest[]): Promise<number | null>;
  /** Fetches a finished job's `output.url` to `target` (jobs whose video is elsewhere). */
  download?(ctx: Context, job: Job, target: string, options: { signal?: AbortSignal; onProgress?: (received: number, total: number | null) => void }): Promise<void>;
}

export interface RunnersPart {
  /** Stores a runner under `name` from `ugc models add`'s flags; returns it as `models show` would. */
  add(ctx: Context, name: string, flags: RunnerFlags): Promise<CatalogItem>;
}

export interface Estimate {
  credits: number;
  [field: string]: unknown;
}

export interface Account {
  account: string;
  plan?: string | null;
  credits?: number | null;
  [field: string]: unknown;
}

/** Where the key in use came from, for `whoami`. */
export type KeySource = 'environment' | 'profile';

export interface AccountPart {
  /** Checks `key` with the provider (`login`, before it is stored). */
  verify(ctx: Context, key: string): Promise<Account>;
  /** The account of the key in use, and where that key came from. */
  whoami(ctx: Context): Promise<Account & { keySource: KeySource }>;
}

export type CatalogItem = Record<string, unknown> & { id: string };

/** A table's columns, and one row per item. */
export interface Table<T> {
  readonly head: readonly string[];
  row(item: T): Cell[];
}

/**
 * Creators, voices or models. `S` is what each operation is given: the command's context here; an
 * HTTP client in a remote provider's spec (see remote.ts). `list` is required; the rest are optional.
 */
export interface Catalog<S = Context> {
  list(session: S, options: { include?: 'stock' | 'custom' }): Promise<CatalogItem[]>;
  get?(session: S, id: string): Promise<CatalogItem>;
  add?(session: S, path: string, name: string): Promise<CatalogItem>;
  remove?(session: S, id: string): Promise<void>;
  /** How the list shows as a table (with `--json` the items print as they are). */
  readonly table: Table<CatalogItem>;
  /** How one item shows as field lines, where some fields need a summary (default: the item as it is). */
  readonly fields?: (item: CatalogItem) => Record<string, unknown>;
}

export type UploadKind = 'avatar' | 'voice-sample';

/** What an upload may be: file extensions and the content type each is sent as, and a size limit. */
export interface UploadLimit {
  readonly maxBytes: number;
  readonly types: Readonly<Record<string, string>>;
}

export interface UploadsPart<S = Context> {
  readonly limits: Readonly<Record<UploadKind, UploadLimit>>;
  /** Uploads the file and returns the storage key to finalise with. */
  upload(session: S, kind: UploadKind, path: string): Promise<{ key: string; [field: string]: unknown }>;
}

export interface WebhooksPart {
  /** How its deliveries are signed, and the format of its secrets. */
  readonly scheme: WebhookScheme;
  /** Its event names, by what they mean. */
  readonly events: Partial<Record<EventKind, string>>;
  /** The JSON value it posts for `event` (of `kind`) about `job`; `timestamp` is the event's ISO time. */
  body(event: string, kind: EventKind, job: Job, timestamp: string): unknown;
  /** Which job a delivery's JSON body is about (its `remoteId`, or the id of a job without one): the inverse of `body`. */
  jobIn(body: unknown): DeliveredJob | null;
  /** What `webhooks trigger` without `--job` fills in, in the provider's own formats. */
  readonly sample: WebhookSample;
}

export interface WebhookSample {
  /** A fresh job id in the provider's format; null where a job has none of its own (local). */
  remoteId(): string | null;
  /** A finished sample job's output, plus any field its body reads (UltimateCreator's thumbnail URL). */
  finished(id: string): { output: Job['output'] } & Record<string, unknown>;
  /** Credits a sample job was charged. */
  readonly credits: number;
  /** The model a sample request names, if any. */
  readonly model: string | null;
}
