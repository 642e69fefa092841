import { randomUUID } from 'node:crypto';
import { ExitCode, UgcError, UsageError } from '../core/errors.js';
import { eachRow, output, when } from '../core/present.js';
import { redactUrl } from '../core/redact-url.js';
import { currentProvider, getProvider, requirePart } from '../providers/registry.js';
import { EventLog, type WebhookEvent } from '../webhooks/event-log.js';
import { createForwarder, eventPrinter, listen as listenFor, recordAndForward, type EventPrinter } from '../webhooks/listener.js';
import { findListener, triggerThrough, type ListenerAddress } from '../webhooks/rendezvous.js';
import { buildPayload, eventNames, samplePayload } from '../webhooks/payloads.js';
import { webhookSecret } from '../webhooks/signing.js';
import { defineCommand, isWholeIn, list, number, text, withDefault } from './define.js';
import { withInterrupt } from './interrupt.js';

function targetsFrom(values: string[]): string[] {
  if (values.length === 0) throw new UsageError('--forward-to <url> is required', 'e.g. --forward-to http://localhost:3000/webhooks');
  for (const target of values) {
    let url: URL | null = null;
    try {
      url = new URL(target);
    } catch {
      url = null;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol)) throw new UsageError(`--forward-to must be an http(s) URL (got "${redactUrl(target)}")`);
    // fetch refuses URLs with a user and password in them; say so now rather than fail every attempt.
    if (url.username || url.password) throw new UsageError(`--forward-to cannot carry a user and password (${redactUrl(target)})`, 'Put a token in the URL\'s query or path instead; the signature already proves the event came from ugc.');
  }
  return values;
}

/** Prints this provider's signing secret, alone, on stdout. */
export const secret = defineCommand({
  examples: ['ugc webhooks secret --provider ugen', 'export UGC_WEBHOOK_SECRET=$(ugc webhooks secret --provider local)'],
  async run(ctx) {
    const provider = await currentProvider(ctx);
    requirePart(provider, 'webhooks', 'webhooks secret');
    ctx.io.stdout.write(`${await webhookSecret(ctx.configDir, provider.name)}\n`);
  },
});

export const listen = defineCommand({
  flags: {
    forwardTo: list('<url>', 'where to POST events, repeatable'),
    events: text('<a,b>', 'only these event types'),
    port: number('<n>', 'receive provider deliveries at http://127.0.0.1:<n>/<provider> (0: any free port, shown; default: a free port, not shown)', 'a port number (0 for any free port)', isWholeIn(0, 65535)),
  },
  examples: ['ugc webhooks listen --forward-to http://localhost:3000/webhooks', 'ugc webhooks listen --forward-to http://localhost:3000/hooks --events video.completed,video.failed --port 4242 --json'],
  async run(ctx, { forwardTo, events, port }) {
    const targets = targetsFrom(forwardTo);
    const only = events ? events.split(',').map((e) => e.trim()).filter(Boolean) : null;
    await withInterrupt((signal) => listenFor(ctx, { targets, events: only, port: port ?? null, signal }));
  },
});

/**
 * Sends one signed event — a sample, or a real job's — and says whether it was accepted: to --forward-to,
 * or else through the `ugc webhooks listen` running on this machine (to its targets, shown in its output).
 */
export const trigger = defineCommand({
  args: ['event'],
  flags: {
    forwardTo: list('<url>', 'where to POST it, repeatable (default: through the running `ugc webhooks listen`)'),
    job: text('<id>', 'use this job instead of a sample'),
  },
  examples: [
    'ugc webhooks trigger video.completed',
    'ugc webhooks trigger video.completed --forward-to http://localhost:3000/webhooks',
    'ugc webhooks trigger job.completed --provider ugen --forward-to http://localhost:3000/ugen',
  ],
  async run(ctx, { event: type, forwardTo, job: jobId }) {
    const targets = forwardTo.length > 0 ? targetsFrom(forwardTo) : null;
    const listener = targets ? null : await findListener(ctx.configDir);
    if (!targets && !listener) {
      throw new UsageError('no --forward-to, and no `ugc webhooks listen` is running on this machine', 'Start `ugc webhooks listen --forward-to <url>` in another terminal, or pass --forward-to <url>.');
    }
    const job = jobId ? await ctx.jobs.get(jobId) : null;
    const provider = job ? getProvider(job.provider) : await currentProvider(ctx);
    requirePart(provider, 'webhooks', 'webhooks trigger');
    if (!eventNames(provider.name).includes(type)) throw new UsageError(`${provider.name} has no "${type}" event`, `Its events: ${eventNames(provider.name).join(', ')}.`);
    const id = `evt_${randomUUID().replaceAll('-', '')}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const body = job ? buildPayload(provider.name, type, job, { eventId: id, timestamp }) : samplePayload(provider.name, type, { eventId: id, timestamp });
    const event = { id, provider: provider.name, type, source: 'trigger' as const, jobId: job?.id ?? null, body };
    const print = eventPrinter(ctx);
    if (listener) return triggerListener(listener, event, print);
    const log = new EventLog(ctx.configDir);
    const forwarder = createForwarder(ctx, log, print);
    const recorded = await recordAndForward(log, forwarder, event, targets ?? [], print);
    await Promise.all(recorded?.forwards ?? []);
    return deliveredTo(log, id, targets ?? []);
  },
});

/** Hands the event to the running listener, which records and forwards it to its own targets; prints what they answered. */
async function triggerListener(listener: ListenerAddress, event: Omit<WebhookEvent, 'deliveries' | 'createdAt'>, print: EventPrinter): Promise<number> {
  print.note(`Sending ${event.type} through \`ugc webhooks listen\` (pid ${listener.pid}), forwarding to ${listener.targets.map(redactUrl).join(', ')}.`);
  const answer = await triggerThrough(listener, event);
  if (answer.filtered) throw new UgcError(`the running \`ugc webhooks listen\` forwards only ${answer.filtered.join(', ')} events, not ${event.type}`, { hint: 'Pass --forward-to <url> to send it anyway.' });
  const shown = { ...event, createdAt: new Date().toISOString(), deliveries: [] };
  print.event(shown);
  for (const result of answer.results) print.forward(shown, result.target, { status: result.status, error: result.error, location: null });
  const failed = answer.results.filter((r) => !r.delivered).map((r) => `${redactUrl(r.target)}${r.error ? ` (${r.error})` : r.status ? ` (${r.status})` : ''}`);
  if (failed.length > 0) throw new UgcError(`not delivered to ${failed.join(', ')}`, { hint: `Run \`ugc webhooks replay ${event.id}\` once the handler is up.` });
  return ExitCode.Ok;
}

export const events = defineCommand({
  flags: { limit: withDefault(number('<n>', 'at most this many', 'a positive whole number', isWholeIn(1, Number.MAX_SAFE_INTEGER)), 50) },
  examples: ['ugc webhooks events', 'ugc webhooks events --json'],
  async run(ctx, { limit }) {
    const recent = (await new EventLog(ctx.configDir).list()).slice(0, limit).map(({ body: _body, ...rest }) => rest);
    await output(ctx, recent, eachRow({
      head: ['ID', 'TYPE', 'PROVIDER', 'SOURCE', 'CREATED AT', 'DELIVERIES'],
      row: (e: Omit<WebhookEvent, 'body'>) => [e.id, e.type, e.provider, e.source, when(ctx, e.createdAt), e.deliveries.map((d) => `${d.state}${d.lastStatus ? ` ${d.lastStatus}` : ''} ${redactUrl(d.target)}`).join('\n')],
    }));
  },
});

/** Sends a recorded event again (re-signed, same bytes) to its targets or to --forward-to. */
export const replay = defineCommand({
  args: ['eventId'],
  flags: { forwardTo: list('<url>', 'send it here instead of its original targets, repeatable') },
  examples: ['ugc webhooks replay evt_3f2a9c1b7d4e', 'ugc webhooks replay evt_3f2a9c1b7d4e --forward-to http://localhost:3001/hooks'],
  async run(ctx, { eventId: id, forwardTo }) {
    const log = new EventLog(ctx.configDir);
    const event = await log.find(id);
    if (!event) throw new UsageError(`no webhook event "${id}"`, 'Run `ugc webhooks events` to list them.');
    const targets = forwardTo.length ? targetsFrom(forwardTo) : event.deliveries.map((d) => d.target);
    if (targets.length === 0) throw new UsageError(`event ${id} has no target`, 'Pass --forward-to <url>.');
    const print = eventPrinter(ctx);
    const forwarder = createForwarder(ctx, log, print);
    print.event(event);
    await Promise.all(targets.map((target) => forwarder.forward(event, target)));
    return deliveredTo(log, id, targets);
  },
});

async function deliveredTo(log: EventLog, id: string, targets: string[]): Promise<number> {
  const event = await log.find(id);
  const failed = targets
    .map((target) => ({ target, delivery: event?.deliveries.find((d) => d.target === target) }))
    .filter(({ delivery }) => delivery?.state !== 'delivered')
    .map(({ target, delivery }) => `${redactUrl(target)}${delivery?.lastError ? ` (${delivery.lastError})` : delivery?.lastStatus ? ` (${delivery.lastStatus})` : ''}`);
  if (failed.length > 0) throw new UgcError(`not delivered to ${failed.join(', ')}`, { hint: `Run \`ugc webhooks replay ${id}\` once the handler is up.` });
  return ExitCode.Ok;
}
