import { randomUUID } from 'node:crypto';
import type { Context } from '../core/context.js';
import { ExitCode, UgcError } from '../core/errors.js';
import { newJob, type Job } from '../core/job.js';
import { readKey } from '../core/credentials.js';
import { webhookSecret } from '../core/webhook-secrets.js';
import type { GenerateRequest } from '../core/request.js';
import { profileName, resolveBaseUrl } from '../core/profiles.js';
import { HttpClient } from '../http/client.js';
import type { Adapter, RemoteJob } from './adapter.js';
import type { Provider, SubmitOptions } from './types.js';

/** Where the key came from, for `whoami`. */
export type KeySource = 'environment' | 'profile';

/** Any remote provider: job records, idempotent submission and polling around a thin adapter. */
export class RemoteProvider implements Provider {
  readonly name: Adapter['name'];
  readonly capabilities: Adapter['capabilities'];
  readonly pollIntervalSeconds: number;

  constructor(readonly adapter: Adapter) {
    this.name = adapter.name;
    this.capabilities = adapter.capabilities;
    this.pollIntervalSeconds = adapter.pollIntervalSeconds;
  }

  /** The key: UGC_API_KEY wins over the stored profile's key. */
  async key(ctx: Context): Promise<{ key: string; source: KeySource }> {
    if (ctx.settings.apiKey) return { key: ctx.settings.apiKey, source: 'environment' };
    const stored = await readKey(ctx.configDir, profileName(ctx), this.name);
    if (stored) return { key: stored, source: 'profile' };
    throw new UgcError(`no API key for ${this.name}`, { exitCode: ExitCode.Auth, code: 'no_api_key', hint: `Run \`ugc login --provider ${this.name}\`, or set UGC_API_KEY.` });
  }

  /** An HTTP client for this provider, with the given key or the resolved one. */
  async client(ctx: Context, key?: string): Promise<HttpClient> {
    const apiKey = key ?? (await this.key(ctx)).key;
    return new HttpClient({
      provider: this.name,
      baseUrl: await resolveBaseUrl(ctx, this.name, this.adapter.documentedBaseUrl),
      auth: { header: this.adapter.authHeader, key: apiKey },
      idempotency: this.adapter.idempotency,
      parseError: (status, body) => this.adapter.parseError(status, body),
      isBusy: this.adapter.isBusy ? (status, body) => Boolean(this.adapter.isBusy?.(status, body)) : undefined,
      debug: ctx.global.debug ? (line) => ctx.io.stderr.write(`[debug] ${line}\n`) : undefined,
    });
  }

  async validate(_ctx: Context, request: GenerateRequest): Promise<void> {
    await this.adapter.validate?.(request);
  }

  /**
   * Records the job, then creates it at the provider. The record keeps the idempotency key, so a
   * submission whose response was lost is recovered by sending the same key again (see `refresh`),
   * never by a second job.
   */
  async submit(ctx: Context, request: GenerateRequest, options: SubmitOptions): Promise<Job> {
    if (request.idempotencyKey) {
      const existing = await ctx.jobs.findByIdempotencyKey(this.name, request.idempotencyKey);
      if (existing) return this.refresh(ctx, existing);
    }
    await this.validate(ctx, request);
    const http = await this.client(ctx);
    const idempotencyKey = request.idempotencyKey ?? randomUUID();
    const job = await ctx.jobs.create(newJob({ id: options.jobId, provider: this.name, request: { ...request, idempotencyKey, out: options.outputPath } }));
    let remote: RemoteJob;
    try {
      if (request.webhookUrl && this.adapter.configureWebhook) {
        await this.adapter.configureWebhook(http, request.webhookUrl, await webhookSecret(ctx.configDir, this.name));
        if (!ctx.global.quiet) ctx.io.stderr.write(`note: ${this.name} has one webhook URL per account; it now points at ${request.webhookUrl}\n`);
      }
      remote = await this.adapter.create(http, request, { idempotencyKey, signal: options.signal });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await ctx.jobs.update(job.id, () => ({ status: 'failed', providerStatus: 'not_submitted', error: { code: error instanceof UgcError ? error.code : 'submit_failed', message } }));
      throw error;
    }
    return ctx.jobs.update(job.id, (current) => fieldsOf(current, remote));
  }

  async refresh(ctx: Context, job: Job): Promise<Job> {
    const http = await this.client(ctx);
    if (!job.remoteId) {
      if (job.status === 'failed' || job.status === 'cancelled') return job;
      // The create request may have reached the provider without its answer reaching us (the process died
      // in between): the same key returns that job; a provider without keys is asked what it made instead.
      const remote = this.adapter.recoverCreated
        ? await this.adapter.recoverCreated(http, Date.parse(job.createdAt))
        : await this.adapter.create(http, job.request as unknown as GenerateRequest, { idempotencyKey: String(job.request.idempotencyKey) });
      if (!remote) return ctx.jobs.update(job.id, () => ({ status: 'failed', providerStatus: 'not_submitted', error: { code: 'not_submitted', message: `${this.name} has no record of this job; submit it again` } }));
      return ctx.jobs.update(job.id, (current) => fieldsOf(current, remote));
    }
    const remote = await this.adapter.get(http, job.remoteId);
    return ctx.jobs.update(job.id, (current) => (sameState(current, remote) ? null : fieldsOf(current, remote)));
  }

  async cancel(ctx: Context, job: Job): Promise<Job> {
    if (!this.adapter.cancel) throw new UgcError(`${this.name} has no cancel endpoint; the job runs to its end`, { code: 'unsupported' });
    if (!job.remoteId) return ctx.jobs.updateIfActive(job.id, { status: 'cancelled', providerStatus: 'not_submitted' });
    const http = await this.client(ctx);
    await this.adapter.cancel(http, job.remoteId);
    return this.refresh(ctx, job);
  }
}

function fieldsOf(current: Job, remote: RemoteJob): Partial<Job> {
  return {
    output: { ...current.output, url: remote.outputUrl ?? current.output.url },
    remoteId: remote.remoteId,
    status: remote.status,
    providerStatus: remote.providerStatus,
    progress: remote.progress,
    error: remote.error,
    ...(remote.creditsCharged !== undefined && remote.creditsCharged !== null ? { credits: { charged: remote.creditsCharged, final: remote.status === 'completed' ? remote.creditsCharged : null } } : {}),
  };
}

function sameState(job: Job, remote: RemoteJob): boolean {
  return job.status === remote.status && job.providerStatus === remote.providerStatus && job.progress === remote.progress && job.remoteId === remote.remoteId;
}
