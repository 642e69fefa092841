import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../core/context.js';
import type { Job, ProviderName } from '../core/job.js';
import { printJsonLine } from '../core/present.js';
import { EventLog, JobStateLog, type WebhookEvent } from './event-log.js';
import { Forwarder, type ForwardResult } from './forwarder.js';
import { JobEventSource } from './job-source.js';
import { buildPayload, eventsForChange, jobFingerprint } from './payloads.js';
import { startReceiver } from './receiver.js';
import { providerNames, getProvider } from '../providers/registry.js';
import { schemeFor, webhookSecret } from './signing.js';

export interface ListenOptions {
  targets: string[];
  /** Only these event types (null: all). */
  events: string[] | null;
  /** Port of the receiver for inbound deliveries (null: no receiver; 0: any free port). */
  port: number | null;
  signal: AbortSignal;
  /** How often job records are looked at, in ms. */
  tickMs?: number;
}

/** Prints the `-->` / `<--` lines (or JSON Lines with --json) on stdout. */
export function eventPrinter(ctx: Context) {
  return {
    event(event: WebhookEvent): void {
      if (ctx.global.json) printJsonLine(ctx, { type: 'event', id: event.id, event: event.type, provider: event.provider, source: event.source, jobId: event.jobId });
      else ctx.io.stdout.write(`--> ${event.type} [${event.id}]\n`);
    },
    forward(event: WebhookEvent, target: string, status: number | null, error: string | null): void {
      if (ctx.global.json) printJsonLine(ctx, { type: 'forward', id: event.id, event: event.type, url: target, status, error });
      else ctx.io.stdout.write(`<-- [${status ?? error ?? 'ERR'}] POST ${target} [${event.id}]\n`);
    },
  };
}

/** The forwarder every webhooks command uses: signs each attempt with the provider's secret and scheme, prints each result. */
export function createForwarder(ctx: Context, log: EventLog, print: ReturnType<typeof eventPrinter>): Forwarder {
  return new Forwarder({
    log,
    backoffMs: ctx.settings.webhookBackoffMs ?? undefined,
    sign: async (event) => schemeFor(event.provider).sign(await webhookSecret(ctx.configDir, event.provider), event.body, { id: event.id, timestamp: Math.floor(Date.now() / 1000) }),
    onAttempt: (event, target, status, error) => print.forward(event, target, status, error),
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
  print: ReturnType<typeof eventPrinter>,
): Promise<{ event: WebhookEvent; forwards: Promise<ForwardResult>[] } | null> {
  const now = new Date().toISOString();
  const recorded = await log.add({ ...event, createdAt: now, deliveries: targets.map((target) => ({ target, state: 'pending', attempts: 0, lastStatus: null, lastError: null, updatedAt: now })) });
  if (!recorded) return null;
  print.event(recorded);
  return { event: recorded, forwards: targets.map((target) => forwarder.forward(recorded, target)) };
}

/**
 * `ugc webhooks listen`: forwards events of local renders, of remote jobs recorded on this machine, and of
 * deliveries posted to its receiver. Prints the ready line once everything is up; on Ctrl-C lets the
 * forwards in flight finish their attempt and returns (what is still owed is delivered on the next run).
 */
export async function listen(ctx: Context, options: ListenOptions): Promise<void> {
  const log = new EventLog(ctx.configDir);
  const print = eventPrinter(ctx);
  const forwarder = createForwarder(ctx, log, print);
  const wanted = (type: string) => !options.events || options.events.includes(type);

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
    onError: (message) => ctx.io.stderr.write(`warning: ${message}\n`),
  });
  await jobs.start();

  const receiver =
    options.port === null
      ? null
      : await startReceiver({
          port: options.port,
          providers: providerNames().filter((name) => getProvider(name).webhooks),
          verify: async (provider: ProviderName, body, headers) => schemeFor(provider).verify(await webhookSecret(ctx.configDir, provider), body, headers).id,
          accept: async (delivery) => {
            const id = `in_${delivery.provider}_${delivery.deliveryId}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120);
            if (await log.find(id)) return false;
            // The change this delivery reports may have been polled and sent already (under another id).
            if (!(await jobs.claimDelivery(delivery.provider, delivery.type, delivery.body))) return false;
            if (!wanted(delivery.type)) return true;
            const recorded = await recordAndForward(log, forwarder, { id, provider: delivery.provider, type: delivery.type, source: 'inbound', jobId: null, body: delivery.body }, options.targets, print);
            return recorded !== null;
          },
          onRejected: (provider, reason) => ctx.io.stderr.write(`rejected a delivery to /${provider}: ${reason}\n`),
        });

  const ready = { targets: options.targets, receiver: receiver?.url ?? null, localSecret: await webhookSecret(ctx.configDir, 'local') };
  if (ctx.global.json) printJsonLine(ctx, { type: 'ready', ...ready });
  else {
    ctx.io.stderr.write(`Ready! Forwarding events to ${options.targets.join(', ')}${receiver ? `; receiving deliveries at ${receiver.url}/<provider>` : ''}.\n`);
    ctx.io.stderr.write(`Local events are signed with ${ready.localSecret} (Ctrl-C to stop).\n`);
  }

  try {
    while (!options.signal.aborted) {
      await jobs.tick().catch((error: unknown) => ctx.io.stderr.write(`warning: ${(error as Error).message}\n`));
      await sleep(options.tickMs ?? 300, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await receiver?.close();
    await forwarder.drain();
  }
}
