import { randomUUID } from 'node:crypto';
import type { Context } from '../core/context.js';
import { ExitCode, UgcError, UsageError } from '../core/errors.js';
import { newJob, type Job, type JobStatus } from '../core/job.js';
import { readKey } from '../core/credentials.js';
import { profileName, readProfile } from '../core/profiles.js';
import { checkRules, type GenerateRequest, type InputRules } from '../core/request.js';
import { storedSecret } from '../core/webhook-secrets.js';
import type { HttpClient } from '../http/client.js';
import type { ProviderErrorBody } from '../http/errors.js';
import type { Account, Catalog, Estimate, KeySource, ProviderDefinition, UploadsPart, WebhooksPart } from './definition.js';
import { checkRequestMedia } from './media.js';

/** How to talk to the API: where it is, where the key and each POST's idempotency key go, how it reports errors. */
export interface RemoteApi {
  /** null: self-hosted, `--base-url` required. */
  readonly documentedBaseUrl: string | null;
  readonly authHeader: 'authorization' | 'x-api-key';
  readonly idempotency: 'header' | 'body';
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
  creditsCharged?: number | null;
}

export interface RemoteJobs {
  readonly pollIntervalSeconds: number;
  readonly maxConcurrency?: number;
  readonly inputs: InputRules;
  /** Checks beyond `inputs` that need no network (throw an InputError naming the field). */
  check?(request: GenerateRequest): void;
  create(http: HttpClient, request: GenerateRequest, options: { idempotencyKey: string; signal?: AbortSignal }): Promise<RemoteJob>;
  get(http: HttpClient, remoteId: string, signal?: AbortSignal): Promise<RemoteJob>;
  /**
   * For providers that cannot deduplicate a resent create (no idempotency key): the job a create sent at
   * `sentAt` made, if it reached the provider. Used instead of resending when that create's answer was lost.
   */
  recoverCreated?(http: HttpClient, sentAt: number): Promise<RemoteJob | null>;
  /** For providers with one account-wide webhook URL (U-Gen): point it at `url`, signed with `secret`. */
  configureWebhook?(http: HttpClient, url: string, secret: string): Promise<void>;
}

/**
 * A remote provider as its API document describes it, and nothing more: paths, shapes, status words.
 * Retries, auth, rate limits, idempotency and error envelopes live in the HTTP client; job records,
 * keys and polling here. Every operation gets an HTTP client for the current key and base URL.
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

/** The provider definition of a remote API: job records, idempotent submission and polling around the spec. */
export function defineRemoteProvider(spec: RemoteProviderSpec): ProviderDefinition {
  const { name, api, jobs } = spec;

  /** The key: UGC_API_KEY wins over the stored profile's key. */
  async function key(ctx: Context): Promise<{ key: string; source: KeySource }> {
    if (ctx.settings.apiKey) return { key: ctx.settings.apiKey, source: 'environment' };
    const stored = await readKey(ctx.configDir, profileName(ctx), name);
    if (stored) return { key: stored, source: 'profile' };
    throw new UgcError(`no API key for ${name}`, { exitCode: ExitCode.Auth, code: 'no_api_key', hint: `Run \`ugc login --provider ${name}\`, or set UGC_API_KEY.` });
  }

  /** An HTTP client for this provider, with the given key or the resolved one. */
  async function client(ctx: Context, apiKey?: string): Promise<HttpClient> {
    const [{ HttpClient }, baseUrl, auth] = await Promise.all([import('../http/client.js'), resolveBaseUrl(ctx, name, api.documentedBaseUrl), apiKey ?? key(ctx).then((k) => k.key)]);
    return new HttpClient({
      provider: name,
      baseUrl,
      auth: { header: api.authHeader, key: auth },
      idempotency: api.idempotency,
      parseError: (status, body) => api.parseError(status, body),
      isBusy: api.isBusy ? (status, body) => Boolean(api.isBusy?.(status, body)) : undefined,
      debug: ctx.global.debug ? (line) => ctx.io.stderr.write(`[debug] ${line}\n`) : undefined,
    });
  }
  const connect = (ctx: Context) => client(ctx);

  async function validate(ctx: Context, request: GenerateRequest): Promise<void> {
    checkRules(request, { ...jobs.inputs, unsupported: { voiceSpeed: 'the provider voices the script at its own pace', ...jobs.inputs.unsupported } }, name);
    jobs.check?.(request);
    await checkRequestMedia(ctx, request);
  }

  async function refresh(ctx: Context, job: Job): Promise<Job> {
    const http = await client(ctx);
    if (!job.remoteId) {
      if (job.status === 'failed' || job.status === 'cancelled') return job;
      // The create request may have reached the provider without its answer reaching us (the process died
      // in between): the same key returns that job; a provider without keys is asked what it made instead.
      const remote = jobs.recoverCreated
        ? await jobs.recoverCreated(http, Date.parse(job.createdAt))
        : await jobs.create(http, job.request as unknown as GenerateRequest, { idempotencyKey: String(job.request.idempotencyKey) });
      if (!remote) return ctx.jobs.update(job.id, () => ({ status: 'failed', providerStatus: 'not_submitted', error: { code: 'not_submitted', message: `${name} has no record of this job; submit it again` } }));
      return ctx.jobs.update(job.id, (current) => fieldsOf(current, remote));
    }
    const remote = await jobs.get(http, job.remoteId);
    return ctx.jobs.update(job.id, (current) => (sameState(current, remote) ? null : fieldsOf(current, remote)));
  }

  const { cancel, estimate, uploads } = spec;
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
       * Records the job, then creates it at the provider. The record keeps the idempotency key, so a
       * submission whose response was lost is recovered by sending the same key again (see `refresh`),
       * never by a second job.
       */
      async submit(ctx, request, options) {
        if (request.idempotencyKey) {
          const existing = await ctx.jobs.findByIdempotencyKey(name, request.idempotencyKey);
          if (existing) return refresh(ctx, existing);
        }
        await validate(ctx, request);
        const http = await client(ctx);
        const idempotencyKey = request.idempotencyKey ?? randomUUID();
        const job = await ctx.jobs.create(newJob({ id: options.jobId, provider: name, request: { ...request, idempotencyKey, out: options.outputPath } }));
        let remote: RemoteJob;
        try {
          if (request.webhookUrl && jobs.configureWebhook) {
            await jobs.configureWebhook(http, request.webhookUrl, await storedSecret(ctx.configDir, name, spec.webhooks.scheme.newSecret));
            if (!ctx.global.quiet) ctx.io.stderr.write(`note: ${name} has one webhook URL per account; it now points at ${request.webhookUrl}\n`);
          }
          remote = await jobs.create(http, request, { idempotencyKey, signal: options.signal });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          await ctx.jobs.update(job.id, () => ({ status: 'failed', providerStatus: 'not_submitted', error: { code: error instanceof UgcError ? error.code : 'submit_failed', message } }));
          throw error;
        }
        return ctx.jobs.update(job.id, (current) => fieldsOf(current, remote));
      },
      async download(ctx, job, target, options) {
        if (!job.output.url) throw new UgcError(`${job.id} completed but ${name} gave no video URL`, { code: 'no_output' });
        await (await client(ctx)).download(job.output.url, target, options);
      },
    },
    cancel:
      cancel &&
      (async (ctx, job) => {
        if (!job.remoteId) return ctx.jobs.updateIfActive(job.id, { status: 'cancelled', providerStatus: 'not_submitted' });
        await cancel(await client(ctx), job.remoteId);
        return refresh(ctx, job);
      }),
    estimate: estimate && (async (ctx, request) => estimate(await client(ctx), request)),
    account: {
      verify: async (ctx, apiKey) => spec.whoami(await client(ctx, apiKey)),
      async whoami(ctx) {
        const { key: apiKey, source } = await key(ctx);
        return { ...(await spec.whoami(await client(ctx, apiKey))), keySource: source };
      },
    },
    creators: onClient(spec.creators, connect),
    voices: onClient(spec.voices, connect),
    models: onClient(spec.models, connect),
    uploads: uploads && { limits: uploads.limits, upload: async (ctx, kind, path) => uploads.upload(await client(ctx), kind, path) },
    webhooks: spec.webhooks,
  };
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
  const url = ctx.global.baseUrl ?? ctx.settings.baseUrl ?? (await readProfile(ctx)).baseUrls?.[provider] ?? documented;
  if (!url) throw new UsageError(`${provider} has no public base URL: it is self-hosted`, 'Pass --base-url <url> (or set UGC_BASE_URL).');
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
    ...(remote.creditsCharged !== undefined && remote.creditsCharged !== null ? { credits: { charged: remote.creditsCharged, final: remote.status === 'completed' ? remote.creditsCharged : null } } : {}),
  };
}

function sameState(job: Job, remote: RemoteJob): boolean {
  return job.status === remote.status && job.providerStatus === remote.providerStatus && job.progress === remote.progress && job.remoteId === remote.remoteId;
}
