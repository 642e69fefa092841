import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../core/context.js';
import type { Job, ProviderName } from '../core/job.js';
import { printJsonLine } from '../core/present.js';
import { redactUrl } from '../core/redact-url.js';
import { EventLog, JobStateLog, type WebhookEvent } from './event-log.js';
import { Forwarder, type AttemptOutcome, type ForwardResult } from './forwarder.js';
import { JobEventSource } from './job-source.js';
import { buildPayload, eventsForChange, jobFingerprint } from './payloads.js';
import { startReceiver } from './receiver.js';
import { newToken, publishListener, withdrawListener, type TriggerAnswer } from './rendezvous.js';
import { providerNames, getProvider } from '../providers/registry.js';
import { schemeFor, webhookSecret } from './signing.js';

export interface ListenOptions {
  targets: string[];
  /** Only these event types (null: all). */
  events: string[] | null;
  /** Port of the receiver for inbound deliveries and triggers (null: any free port, not announced; 0: any free port). */
  port: number | null;
  signal: AbortSignal;
  /** How often job records are looked at, in ms. */
  tickMs?: number;
}

/** Local wall-clock time, `2026-12-01 08:22:48`, as `stripe listen` starts its lines. */
export function clock(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Every line the webhooks commands print, each starting with the time (JSON Lines with --json, each with `time`). */
export function eventPrinter(ctx: Context) {
  const json = (value: Record<string, unknown>) => printJsonLine(ctx, { time: new Date().toISOString(), ...value });
  const line = (stream: NodeJS.WritableStream, text: string) => stream.write(`${clock()}   ${text}\n`);
  return {
    event(event: WebhookEvent): void {
      if (ctx.global.json) json({ type: 'event', id: event.id, event: event.type, provider: event.provider, source: event.source, jobId: event.jobId });
      else line(ctx.io.stdout, `--> ${event.type} [${event.id}]`);
    },
    forward(event: WebhookEvent, target: string, { status, error, location }: AttemptOutcome): void {
      const url = redactUrl(target);
      const redirect = location ? redactUrl(location) : location;
      if (ctx.global.json) json({ type: 'forward', id: event.id, event: event.type, url, status, error, location: redirect });
      else line(ctx.io.stdout, `<-- [${status ?? error ?? 'ERR'}] POST ${url} [${event.id}]${redirect ? ` redirected to ${redirect}, not followed` : ''}`);
    },
    /** A notice or warning on stderr. */
    note(text: string): void {
      line(ctx.io.stderr, text);
    },
    ready(value: Record<string, unknown>, text: string[]): void {
      if (ctx.global.json) json({ type: 'ready', ...value });
      else for (const t of text) line(ctx.io.stderr, t);
    },
  };
}

export type EventPrinter = ReturnType<typeof eventPrinter>;

/** The forwarder every webhooks command uses: signs each attempt with the provider's secret and scheme, prints each result. */
export function createForwarder(ctx: Context, log: EventLog, print: EventPrinter): Forwarder {
  return new Forwarder({
    log,
    backoffMs: ctx.settings.webhookBackoffMs ?? undefined,
    sign: async (event) => schemeFor(event.provider).sign(await webhookSecret(ctx.configDir, event.provider), event.body, { id: event.id, timestamp: Math.floor(Date.now() / 1000) }),
    onAttempt: (event, target, outcome) => print.forward(event, target, outcome),
  });
}

/**
 * Records an event with a pending delivery per target, then starts forwarding it. Returns null for a
 * duplicate, else the event and its deliveries in progress (retries included).
 */
export async function recordAndForward(
  log: EventLog,
  forwarder: Forwarder,
  event: Omit<WebhookEvent, 'deliveries' | 'createdAt'>,
  targets: string[],
  print: EventPrinter,
): Promise<{ event: WebhookEvent; forwards: Promise<ForwardResult>[] } | null> {
  const now = new Date().toISOString();
  const recorded = await log.add({ ...event, createdAt: now, deliveries: targets.map((target) => ({ target, state: 'pending', attempts: 0, lastStatus: null, lastError: null, updatedAt: now })) });
  if (!recorded) return null;
  print.event(recorded);
  return { event: recorded, forwards: targets.map((target) => forwarder.forward(recorded, target)) };
}

/**
 * `ugc webhooks listen`: forwards events of local renders, of remote jobs recorded on this machine, of
 * deliveries posted to its receiver, and of `ugc webhooks trigger` runs (which find it through
 * rendezvous.ts). Prints the ready line once everything is up; on Ctrl-C stops retrying, lets the
 * attempts in flight finish and returns (what is still owed is delivered on the next run).
 */
export async function listen(ctx: Context, options: ListenOptions): Promise<void> {
  const log = new EventLog(ctx.configDir);
  const print = eventPrinter(ctx);
  const forwarder = createForwarder(ctx, log, print);
  const wanted = (type: string) => !options.events || options.events.includes(type);
  const warn = (message: string) => print.note(`warning: ${message}`);

  // What a killed listener still owed these targets goes first.
  for (const { event, target } of await log.pending(options.targets)) void forwarder.forward(event, target);

  const emitJob = async (job: Job, type: string, eventId: string) => {
    if (!wanted(type)) return;
    const timestamp = Math.floor(Date.now() / 1000);
    await recordAndForward(log, forwarder, { id: eventId, provider: job.provider, type, source: 'job', jobId: job.id, body: buildPayload(job.provider, type, job, { eventId, timestamp }) }, options.targets, print);
  };
  const jobs = new JobEventSource(ctx, {
    states: new JobStateLog(ctx.configDir),
    fingerprint: jobFingerprint,
    eventsFor: eventsForChange,
    emit: emitJob,
    onError: warn,
  });
  await jobs.start();

  const webhookProviders = providerNames().filter((name) => getProvider(name).webhooks);
  const token = newToken();
  const receiver = await startReceiver({
    port: options.port ?? 0,
    providers: webhookProviders,
    verify: async (provider: ProviderName, body, headers) => schemeFor(provider).verify(await webhookSecret(ctx.configDir, provider), body, headers).id,
    accept: async (delivery) => {
      // The exact id: distinct deliveries (`msg.col1`, `msg_col1`) must stay distinct events.
      const id = `in_${delivery.provider}_${delivery.deliveryId}`;
      if (await log.find(id)) return false;
      // The change this delivery reports may have been polled and sent already (under another id).
      if (!(await jobs.claimDelivery(delivery.provider, delivery.type, delivery.body))) return false;
      if (!wanted(delivery.type)) return true;
      const recorded = await recordAndForward(log, forwarder, { id, provider: delivery.provider, type: delivery.type, source: 'inbound', jobId: null, body: delivery.body }, options.targets, print);
      return recorded !== null;
    },
    onRejected: (provider, reason) => print.note(`rejected a delivery to /${provider}: ${reason}`),
    trigger: {
      token,
      handle: async (request): Promise<TriggerAnswer> => {
        if (!webhookProviders.includes(request.provider)) throw new Error(`${request.provider} has no webhook events`);
        if (!wanted(request.type)) return { filtered: options.events ?? [], results: [] };
        const recorded = await recordAndForward(log, forwarder, { ...request, provider: request.provider as ProviderName, source: 'trigger' }, options.targets, print);
        if (!recorded) throw new Error(`event ${request.id} was recorded already`);
        const results = await Promise.all(recorded.forwards);
        return { results: results.map(({ target, delivered, status, error }) => ({ target, delivered, status, error })) };
      },
    },
  });

  const address = { pid: process.pid, url: receiver.url, token, targets: options.targets, startedAt: new Date().toISOString() };
  try {
    await publishListener(ctx.configDir, address);
    const localSecret = await webhookSecret(ctx.configDir, 'local');
    print.ready({ targets: options.targets.map(redactUrl), receiver: receiver.url, localSecret }, [
      `Ready! Forwarding events to ${options.targets.map(redactUrl).join(', ')}${options.port !== null ? `; receiving deliveries at ${receiver.url}/<provider>` : ''}.`,
      `Local events are signed with ${localSecret} (Ctrl-C to stop).`,
    ]);
    while (!options.signal.aborted) {
      await jobs.tick().catch((error: unknown) => warn((error as Error).message));
      await sleep(options.tickMs ?? 300, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    // No new retries first, so that a trigger waiting on its deliveries gets its answer and the receiver can close.
    forwarder.stop();
    await withdrawListener(ctx.configDir, address.pid);
    await receiver.close();
    await forwarder.drain();
  }
}
