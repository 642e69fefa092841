import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../core/context.js';
import { ExitCode, InterruptedError, UgcError, UsageError } from '../core/errors.js';
import { isProcessAlive, isTerminal, newJob, type Job, type JobStatus } from '../core/job.js';
import { note, retryNotice } from '../core/present.js';
import { readKey } from '../core/credentials.js';
import { baseUrlSetting, profileName } from '../core/profiles.js';
import { checkRules, requestFingerprint, type GenerateRequest, type InputRules } from '../core/request.js';
import { storedSecret } from '../core/webhook-secrets.js';
import type { HttpClient } from '../http/client.js';
import type { ProviderErrorBody } from '../http/errors.js';
import type { Account, Catalog, Estimate, KeySource, ProviderDefinition, UploadsPart, WebhooksPart } from './definition.js';
import { checkRequestMedia } from './media.js';

/** How to talk to the API: where it is, where the key goes, how it reports errors. */
export interface RemoteApi {
  /** null: self-hosted, `--base-url` required. */
  readonly documentedBaseUrl: string | null;
  readonly authHeader: 'authorization' | 'x-api-key';
  parseError(status: number, body: unknown): ProviderErrorBody;
  /** A 409 that means "busy, try later" rather than a real conflict (vidgen's one active job). */
  isBusy?(status: number, body: unknown): boolean;
}

/** A provider's job in the unified vocabulary; `providerStatus` keeps the provider's own word. */
export interface RemoteJob {
  remoteId: string;
  status: JobStatus;
  providerStatus: string;
  progress: number;
  outputUrl: string | null;
  /** What the provider said went wrong, for a failed job. */
  errorMessage?: string | null;
  /** Credits the provider says it charged (or holds) for the job; null or absent when it does not say. */
  creditsCharged?: number | null;
  /** The final cost, where the provider says (0 for a refunded failure); else the charge once completed. */
  creditsFinal?: number | null;
}

/** A job in the provider's list, as much as finding the one a lost create made needs. */
export interface ListedJob {
  remoteId: string;
  /** When the provider says it was created: ms since the epoch, by the provider's clock. */
  createdAt: number;
}

/**
 * What the provider's document says about a create sent twice. Required, so that no adapter can leave it
 * out, and said truthfully from the document:
 * - `{ documented: 'header' | 'body' }`: the document promises that a create resent with the same key (an
 *   `Idempotency-Key` header, or an `idempotency_key` body field) returns the first job. A create whose
 *   answer was lost is resent with its key.
 * - `{ documented: false, findCreated }`: nothing documented deduplicates it, so a create whose answer was
 *   lost is never resent blindly. `findCreated` lists the key's recent jobs that this request could have
 *   made (same kind, same fields where the list shows them); the one created after the request was sent
 *   and not held by another job record is adopted, and only when there is none is the create sent again.
 *   (An `Idempotency-Key` header still goes with every POST; nothing relies on it.)
 */
export type CreateIdempotency =
  | { readonly documented: 'header' | 'body' }
  | { readonly documented: false; findCreated(http: HttpClient, request: GenerateRequest, signal?: AbortSignal): Promise<ListedJob[]> };

export interface RemoteJobs {
  readonly pollIntervalSeconds: number;
  readonly maxConcurrency?: number;
  readonly inputs: InputRules;
  /** Whether a resent create makes a second job (see CreateIdempotency). */
  readonly idempotency: CreateIdempotency;
  /** Checks beyond `inputs` that need no network (throw an InputError naming the field). */
  check?(request: GenerateRequest): void;
  /** How the request maps where the user might expect otherwise (said on stderr when it is submitted). */
  notice?(request: GenerateRequest): string | null;
  create(http: HttpClient, request: GenerateRequest, options: { idempotencyKey: string; signal?: AbortSignal }): Promise<RemoteJob>;
  get(http: HttpClient, remoteId: string, signal?: AbortSignal): Promise<RemoteJob>;
  /** For providers with one account-wide webhook URL (U-Gen): point it at `url`, signed with `secret`. */
  configureWebhook?(http: HttpClient, url: string, secret: string): Promise<void>;
}

/**
 * A remote provider as its API document describes it, and nothing more: paths, shapes, status words,
 * and whether it deduplicates a resent create. Retries, auth, rate limits, idempotency keys and error
 * envelopes live in the HTTP client; job records, keys, recovery of lost creates and polling here.
 * Every operation gets an HTTP client for the current key and base URL.
 */
export interface RemoteProviderSpec {
  readonly name: string;
  readonly summary: string;
  readonly document: string;
  readonly api: RemoteApi;
  readonly jobs: RemoteJobs;
  cancel?(http: HttpClient, remoteId: string): Promise<void>;
  whoami(http: HttpClient): Promise<Account>;
  estimate?(http: HttpClient, request: GenerateRequest): Promise<Estimate>;
  readonly creators?: Catalog<HttpClient>;
  readonly voices?: Catalog<HttpClient>;
  readonly models?: Catalog<HttpClient>;
  readonly uploads?: UploadsPart<HttpClient>;
  readonly webhooks: WebhooksPart;
}

/** Batches run this many jobs at once at a remote provider unless told otherwise (or it allows fewer). */
const REMOTE_CONCURRENCY = 4;
/** Clocks differ, and the `Date` header has whole seconds: a listed job this much older than the create may still be its. */
const CLOCK_TOLERANCE_MS = 3_000;
/** How long after it was sent a create can still make its job (its retries and busy waits included). */
const CREATE_WINDOW_MS = 20 * 60_000;
/** A create whose answer was lost, and which made no job, is sent at most this many times in all. */
const CREATE_ATTEMPTS = 3;
/** Before concluding that a lost create made no job, look once more this much later (it may still be committing). */
const LOOK_AGAIN_MS = 2_000;

/** The provider definition of a remote API: job records, submission that never pays twice, and polling around the spec. */
/** What only the local renderer composes: a remote provider lays out and voices its own video. */
const LOCAL_LAYOUT_ONLY: InputRules['unsupported'] = {
  voiceSpeed: 'the provider voices the script at its own pace',
  hook: 'the provider composes its own video (no hook text)',
  broll: 'the provider composes its own video (no cut-ins of your shots)',
  url: 'the provider composes its own video (no end card with a URL)',
  platform: 'the provider lays out its own video (no safe zone per platform)',
  brand: 'the provider lays out its own video (no brand kit)',
};

export function defineRemoteProvider(spec: RemoteProviderSpec): ProviderDefinition {
  const { name, api, jobs } = spec;
  // Checked here too, for plug-ins written in JavaScript: a provider that does not say cannot be registered.
  const said = jobs.idempotency as CreateIdempotency | undefined;
  if (said?.documented !== 'header' && said?.documented !== 'body' && !(said?.documented === false && typeof said.findCreated === 'function')) {
    throw new Error(`${name}: jobs.idempotency must say what its document promises about a resent create: { documented: 'header' | 'body' }, or { documented: false, findCreated }`);
  }
  const findCreated = jobs.idempotency.documented === false ? jobs.idempotency.findCreated : null;

  /** The key: UGC_API_KEY wins over the stored key of the profile (the current one, or the one a job was made with). */
  async function key(ctx: Context, profile: string = profileName(ctx)): Promise<{ key: string; source: KeySource }> {
    if (ctx.settings.apiKey) return { key: ctx.settings.apiKey, source: 'environment' };
    const stored = await readKey(ctx.configDir, profile, name);
    if (stored) return { key: stored, source: 'profile' };
    const flag = profile === 'default' ? '' : ` --profile ${profile}`;
    throw new UgcError(`no API key for ${name}${flag ? ` in profile ${profile}` : ''}`, { exitCode: ExitCode.Auth, code: 'no_api_key', hint: `Run \`ugc login --provider ${name}${flag}\`, or set UGC_API_KEY.` });
  }

  /**
   * An HTTP client for this provider: the given key or the resolved one, at the given base URL or the
   * resolved one. A job's own calls go through `jobClient`, to the host (and with the profile) it was made with.
   */
  async function client(ctx: Context, apiKey?: string, connection?: Connection): Promise<HttpClient> {
    const [{ HttpClient }, baseUrl, auth] = await Promise.all([
      import('../http/client.js'),
      connection?.baseUrl ?? resolveBaseUrl(ctx, name, api.documentedBaseUrl),
      apiKey ? { key: apiKey, source: null } : key(ctx, connection?.profile),
    ]);
    return new HttpClient({
      provider: name,
      baseUrl,
      auth: { header: api.authHeader, key: auth.key },
      authHint: rejectedKeyHint(auth.source, connection?.profile ?? profileName(ctx)),
      idempotency: jobs.idempotency.documented === 'body' ? 'body' : 'header',
      resendUnansweredPosts: jobs.idempotency.documented !== false,
      parseError: (status, body) => api.parseError(status, body),
      isBusy: api.isBusy ? (status, body) => Boolean(api.isBusy?.(status, body)) : undefined,
      debug: ctx.global.debug ? (line) => ctx.io.stderr.write(`[debug] ${line}\n`) : undefined,
      onRetry: retryNotice(ctx),
    });
  }
  const connect = (ctx: Context) => client(ctx);
  /** A client for calls about `job`: the base URL and profile it was created with, never the current defaults. */
  const jobClient = (ctx: Context, job: Job) => client(ctx, undefined, connectionOf(job));

  /** Which key the provider refused, and what to do about that one. */
  function rejectedKeyHint(source: KeySource | null, profile: string): string {
    if (source === 'environment') return `${name} refused the key in UGC_API_KEY (it wins over a stored key): fix it, or unset it to use the one \`ugc login --provider ${name}\` stored.`;
    if (source === 'profile') return `${name} refused the key stored for profile "${profile}": run \`ugc login --provider ${name}${profile === 'default' ? '' : ` --profile ${profile}`}\` again with a valid key.`;
    return `${name} refused this key: check it in your ${name} dashboard.`;
  }

  async function validate(ctx: Context, request: GenerateRequest): Promise<void> {
    checkRules(request, { ...jobs.inputs, unsupported: { ...LOCAL_LAYOUT_ONLY, ...jobs.inputs.unsupported } }, name);
    jobs.check?.(request);
    await checkRequestMedia(ctx, request);
  }

  /**
   * For a provider without documented idempotency: the job that `job`'s create, sent at `sentAt`, made,
   * adopted into its record; null when the provider has none. The candidates are the provider's jobs this
   * request could have made, created after it was sent (by the provider's clock, with some tolerance) and
   * held by no other record; the earliest is taken. Run inside `oneAtATime`, where this process sends
   * creates to this provider one at a time, so another create of ours cannot be mistaken for this one.
   */
  async function adopt(ctx: Context, http: HttpClient, job: Job, request: GenerateRequest, sentAt: number, signal?: AbortSignal): Promise<Created | null> {
    if (!findCreated) return null;
    for (let look = 1; ; look++) {
      const listed = await findCreated(http, request, signal);
      const offset = http.serverClockOffsetMs ?? 0;
      const from = sentAt - CLOCK_TOLERANCE_MS;
      const until = Math.min(Date.now(), sentAt + CREATE_WINDOW_MS) + CLOCK_TOLERANCE_MS;
      const held = new Set((await ctx.jobs.list()).filter((j) => j.provider === name && j.id !== job.id && j.remoteId).map((j) => j.remoteId));
      const [made] = listed
        .map((listedJob) => ({ ...listedJob, at: listedJob.createdAt - offset }))
        .filter((candidate) => candidate.at >= from && candidate.at <= until && !held.has(candidate.remoteId))
        .sort((a, b) => a.at - b.at);
      if (made) {
        const remote = await jobs.get(http, made.remoteId, signal);
        return { job: await ctx.jobs.update(job.id, (current) => fieldsOf(current, remote)), remote };
      }
      if (look >= 2) return null;
      await sleep(LOOK_AGAIN_MS, undefined, { signal }).catch(() => {
        throw new InterruptedError('stopped looking for the job a lost create request made');
      });
    }
  }

  /**
   * Sends the create and records the job it made in `job`'s record. An answer lost on the way back is
   * handled as the document allows: resent with the same key (by the HTTP client) where it promises
   * idempotency; elsewhere the job the request made is adopted, and only when there is none is the
   * create sent again. When that cannot be settled now, the record says `unconfirmed` and the error says
   * to run `status`, which settles it the same way.
   */
  async function createJob(ctx: Context, http: HttpClient, job: Job, request: GenerateRequest, idempotencyKey: string, signal?: AbortSignal): Promise<Created> {
    const send = async () => {
      const remote = await jobs.create(http, request, { idempotencyKey, signal });
      return { job: await ctx.jobs.update(job.id, (current) => fieldsOf(current, remote)), remote };
    };
    if (!findCreated) {
      return send().catch(async (error: unknown) => {
        throw isLostAnswer(error) ? await unconfirmed(ctx, job, error) : error;
      });
    }
    return oneAtATime(name, async () => {
      for (let attempt = 1; ; attempt++) {
        const sentAt = Date.now();
        try {
          return await send();
        } catch (error) {
          // Interrupted, the request may have gone out: `status` looks for its job later (it never sends one).
          if (error instanceof InterruptedError) throw await unconfirmed(ctx, job, error);
          if (!isLostAnswer(error)) throw error;
          const adopted = await adopt(ctx, http, job, request, sentAt, signal).catch(async (lookError: unknown) => {
            throw await unconfirmed(ctx, job, lookError);
          });
          if (adopted) return adopted;
          if (attempt >= CREATE_ATTEMPTS) throw error;
          note(ctx, `${name} never answered the create request, and it made no job; sending it again`);
        }
      }
    });
  }

  /** Marks `job` as possibly created (it is settled by `status`), and says so; an interruption stays one. */
  async function unconfirmed(ctx: Context, job: Job, cause: unknown): Promise<Error> {
    await ctx.jobs.update(job.id, () => ({ providerStatus: 'unconfirmed', worker: null }));
    if (cause instanceof InterruptedError) return cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    return new UgcError(`${name} never answered the create request, so whether it made a job is not known yet (${why})`, {
      code: 'create_unconfirmed',
      cause,
      hint: `Run \`ugc status ${job.id}\` once ${name} answers again: it picks up the job that request made, and never makes a second one.`,
    });
  }

  async function refresh(ctx: Context, job: Job): Promise<Job> {
    if (!job.remoteId) {
      // Its create is still waiting for an answer in another process (a listener polls every record).
      if (isTerminal(job.status) || submitting(job)) return job;
      const http = await jobClient(ctx, job);
      const request = job.request as unknown as GenerateRequest;
      // The create may have reached the provider without its answer reaching us (the process died in
      // between, or the answer was lost): the same key returns that job where keys are documented;
      // elsewhere the provider's list is asked what it made, and nothing is sent again.
      if (findCreated) {
        const adopted = await oneAtATime(name, () => adopt(ctx, http, job, request, Date.parse(job.createdAt)));
        if (adopted) return adopted.job;
        return ctx.jobs.update(job.id, () => ({ status: 'failed', providerStatus: 'not_submitted', error: { code: 'not_submitted', message: `${name} has no record of this job; submit it again` } }));
      }
      const remote = await jobs.create(http, request, { idempotencyKey: String(job.request.idempotencyKey) });
      return ctx.jobs.update(job.id, (current) => fieldsOf(current, remote));
    }
    const remote = await jobs.get(await jobClient(ctx, job), job.remoteId);
    // Reads need no lock: many `status` calls on a running job mostly find nothing new to write.
    const stored = (await ctx.jobs.find(job.id)) ?? job;
    if (sameState(stored, remote)) return stored;
    try {
      return await ctx.jobs.update(job.id, (current) => (sameState(current, remote) ? null : fieldsOf(current, remote)), { giveUpAfterMs: REFRESH_LOCK_WAIT_MS });
    } catch (error) {
      // Another process is writing this record right now: what it writes is at least as new as the last record.
      if (error instanceof UgcError && error.code === 'lock_busy') return (await ctx.jobs.find(job.id)) ?? stored;
      throw error;
    }
  }

  const { cancel, estimate, uploads } = spec;

  /** Where the provider reports no charge, the estimate (its documented price), marked as one. */
  async function recordEstimate(ctx: Context, http: HttpClient, job: Job, request: GenerateRequest): Promise<Job> {
    const quoted = estimate ? await estimate(http, request).then((e) => e.credits, () => null) : null;
    if (quoted === null) return job;
    return ctx.jobs.update(job.id, (current) => ({ credits: { charged: quoted, final: current.status === 'completed' ? quoted : null, estimated: true } }));
  }

  return {
    name,
    summary: spec.summary,
    document: spec.document,
    jobs: {
      activity: `Generating with ${name}`,
      pollIntervalSeconds: jobs.pollIntervalSeconds,
      defaultConcurrency: Math.min(REMOTE_CONCURRENCY, jobs.maxConcurrency ?? REMOTE_CONCURRENCY),
      maxConcurrency: jobs.maxConcurrency,
      resumable: true,
      inputs: jobs.inputs,
      validate,
      refresh,
      /**
       * Records the job (with its idempotency key, and this process as the one submitting it), then
       * creates it at the provider (`createJob`: a lost answer never makes a second job).
       */
      async submit(ctx, request, options) {
        const fingerprint = requestFingerprint(request);
        if (request.idempotencyKey) {
          const existing = await ctx.jobs.findByIdempotencyKey(name, request.idempotencyKey, fingerprint);
          if (existing) return refresh(ctx, existing);
        }
        await validate(ctx, request);
        const connection: Connection = { baseUrl: await resolveBaseUrl(ctx, name, api.documentedBaseUrl), profile: profileName(ctx) };
        const http = await client(ctx, undefined, connection);
        // Claimed before anything is sent: of two submissions with one key at the same instant, one creates.
        if (request.idempotencyKey) {
          const existing = await ctx.jobs.claimIdempotencyKey(name, request.idempotencyKey, options.jobId, fingerprint);
          if (existing) return refresh(ctx, existing);
        }
        const idempotencyKey = request.idempotencyKey ?? randomUUID();
        const job = await ctx.jobs.create({
          ...newJob({ id: options.jobId, provider: name, request: { ...request, idempotencyKey, out: options.outputPath } }),
          worker: { pid: process.pid, host: hostname() },
          connection,
        });
        try {
          if (request.webhookUrl && jobs.configureWebhook) {
            await jobs.configureWebhook(http, request.webhookUrl, await storedSecret(ctx.configDir, name, spec.webhooks.scheme.newSecret));
            if (!ctx.global.quiet) ctx.io.stderr.write(`note: ${name} has one webhook URL per account; it now points at ${request.webhookUrl}\n`);
          }
          const notice = jobs.notice?.(request);
          if (notice) note(ctx, `note: ${notice}`);
          const created = await createJob(ctx, http, job, request, idempotencyKey, options.signal);
          return created.remote.creditsCharged == null ? await recordEstimate(ctx, http, created.job, request) : created.job;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          await ctx.jobs.update(job.id, (current) =>
            current.providerStatus === 'unconfirmed' ? null : { status: 'failed', providerStatus: 'not_submitted', worker: null, error: { code: error instanceof UgcError ? error.code : 'submit_failed', message } },
          );
          throw error;
        }
      },
      async download(ctx, job, target, options) {
        if (!job.output.url) throw new UgcError(`${job.id} completed but ${name} gave no video URL`, { code: 'no_output' });
        await (await jobClient(ctx, job)).download(job.output.url, target, options);
      },
    },
    cancel:
      cancel &&
      (async (ctx, job) => {
        if (!job.remoteId) return ctx.jobs.updateIfActive(job.id, { status: 'cancelled', providerStatus: 'not_submitted' });
        await cancel(await jobClient(ctx, job), job.remoteId);
        return refresh(ctx, job);
      }),
    estimate: estimate && (async (ctx, request) => estimate(await client(ctx), request)),
    api: { documentedBaseUrl: api.documentedBaseUrl },
    account: {
      verify: async (ctx, apiKey) => spec.whoami(await client(ctx, apiKey)),
      async whoami(ctx) {
        const { source } = await key(ctx);
        return { ...(await spec.whoami(await client(ctx))), keySource: source };
      },
    },
    creators: onClient(spec.creators, connect),
    voices: onClient(spec.voices, connect),
    models: onClient(spec.models, connect),
    uploads: uploads && { limits: uploads.limits, upload: async (ctx, kind, path) => uploads.upload(await client(ctx), kind, path) },
    webhooks: spec.webhooks,
  };
}

/** Where a job lives: the base URL and the profile (whose key) it was created with. */
interface Connection {
  baseUrl: string;
  profile: string;
}

/** A job's recorded connection; records made before it was kept have none (the current defaults apply). */
function connectionOf(job: Job): Connection | undefined {
  const recorded = job.connection;
  return recorded ? { baseUrl: recorded.baseUrl, profile: recorded.profile } : undefined;
}

/** How long a `status` refresh waits for a record another process is writing before showing the last one. */
const REFRESH_LOCK_WAIT_MS = 2_000;

/** A request that got no HTTP answer at all (the HTTP client's NetworkError), as opposed to one the provider refused. */
const isLostAnswer = (error: unknown): boolean => error instanceof UgcError && error.code === 'network_error';

/** A job record is being submitted by a process still running on this machine (it may be waiting for the answer). */
const submitting = (job: Job): boolean => Boolean(job.worker && job.worker.host === hostname() && isProcessAlive(job.worker.pid));

/** A job made at the provider, and its record. */
interface Created {
  job: Job;
  remote: RemoteJob;
}

/** Per provider without documented idempotency, this process's creates and recoveries, in turn. */
const queues = new Map<string, Promise<unknown>>();

function oneAtATime<T>(provider: string, work: () => Promise<T>): Promise<T> {
  const next = (queues.get(provider) ?? Promise.resolve()).catch(() => undefined).then(work);
  queues.set(provider, next);
  return next;
}

/** A catalog whose operations take an HTTP client, as one whose operations take the command's context. */
function onClient(catalog: Catalog<HttpClient> | undefined, connect: (ctx: Context) => Promise<HttpClient>): Catalog | undefined {
  if (!catalog) return undefined;
  const { list, get, add, remove } = catalog;
  return {
    table: catalog.table,
    list: async (ctx, options) => list(await connect(ctx), options),
    get: get && (async (ctx, id) => get(await connect(ctx), id)),
    add: add && (async (ctx, path, itemName) => add(await connect(ctx), path, itemName)),
    remove: remove && (async (ctx, id) => remove(await connect(ctx), id)),
  };
}

/** Base URL precedence: --base-url, then UGC_BASE_URL, then the profile's, then the provider's documented one. */
async function resolveBaseUrl(ctx: Context, provider: string, documented: string | null): Promise<string> {
  const url = (await baseUrlSetting(ctx, provider, documented)).value;
  if (!url) throw new UsageError(`${provider} has no public base URL: it is self-hosted`, `Pass --base-url <url>, or store one: \`ugc config set base-url.${provider} <url>\`.`);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw new UsageError(`--base-url must be an http(s) URL (got "${url}")`);
  }
  return url;
}

function fieldsOf(current: Job, remote: RemoteJob): Partial<Job> {
  return {
    output: { ...current.output, url: remote.outputUrl ?? current.output.url },
    remoteId: remote.remoteId,
    status: remote.status,
    providerStatus: remote.providerStatus,
    progress: remote.progress,
    error: remote.status === 'failed' ? { code: 'provider_failed', message: remote.errorMessage || 'the provider reported a failure' } : null,
    credits: creditsAfter(current.credits, remote),
    worker: null,
  };
}

/**
 * The credits a record shows: what the provider last reported, else the estimate recorded at submission
 * (still marked as one), else nothing (0). The final cost is the provider's, else the charge once it completed.
 */
function creditsAfter(current: Job['credits'], remote: RemoteJob): Job['credits'] {
  const reported = remote.creditsCharged ?? null;
  const charged = reported ?? current.charged;
  const final = remote.creditsFinal ?? (remote.status === 'completed' && (reported !== null || charged > 0) ? charged : current.final);
  return reported === null && current.estimated ? { charged, final, estimated: true } : { charged, final };
}

function sameState(job: Job, remote: RemoteJob): boolean {
  const credits = creditsAfter(job.credits, remote);
  return job.status === remote.status && job.providerStatus === remote.providerStatus && job.progress === remote.progress && job.remoteId === remote.remoteId && credits.charged === job.credits.charged && credits.final === job.credits.final;
}
