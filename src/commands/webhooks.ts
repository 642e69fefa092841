import { randomUUID } from 'node:crypto';
import type { Context } from '../core/context.js';
import { ExitCode, UgcError, UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { printJson, printTable } from '../core/present.js';
import { resolveProviderName } from '../core/profiles.js';
import { EventLog } from '../webhooks/event-log.js';
import { createForwarder, eventPrinter, listen, recordAndForward } from '../webhooks/listener.js';
import { buildPayload, eventNames, samplePayload } from '../webhooks/payloads.js';
import { webhookSecret } from '../core/webhook-secrets.js';
import { withInterrupt } from './interrupt.js';

function targetsFrom(values: string[] | undefined): string[] {
  const targets = values ?? [];
  if (targets.length === 0) throw new UsageError('--forward-to <url> is required', 'e.g. --forward-to http://localhost:3000/webhooks');
  for (const target of targets) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(target).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new UsageError(`--forward-to must be an http(s) URL (got "${target}")`);
  }
  return targets;
}

/** Prints this provider's signing secret, alone, on stdout. */
export async function secret(ctx: Context): Promise<number> {
  ctx.io.stdout.write(`${await webhookSecret(ctx.configDir, await resolveProviderName(ctx))}\n`);
  return ExitCode.Ok;
}

export async function listenCommand(ctx: Context, flags: { forwardTo?: string[]; events?: string; port?: string }): Promise<number> {
  const targets = targetsFrom(flags.forwardTo);
  const events = flags.events ? flags.events.split(',').map((e) => e.trim()).filter(Boolean) : null;
  const port = flags.port === undefined ? null : Number(flags.port);
  if (port !== null && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new UsageError('--port must be a port number (0 for any free port)');
  await withInterrupt(ctx, (signal) => listen(ctx, { targets, events, port, signal }));
  return ExitCode.Ok;
}

/** Sends one signed event — a sample, or a real job's — to a handler, and says whether it was accepted. */
export async function trigger(ctx: Context, type: string, flags: { forwardTo?: string[]; job?: string }): Promise<number> {
  const targets = targetsFrom(flags.forwardTo);
  const job = flags.job ? await ctx.jobs.get(flags.job) : null;
  const provider: ProviderName = job?.provider ?? (await resolveProviderName(ctx));
  if (!eventNames(provider).includes(type)) throw new UsageError(`${provider} has no "${type}" event`, `Its events: ${eventNames(provider).join(', ')}.`);
  const id = `evt_${randomUUID().replaceAll('-', '')}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const body = job ? buildPayload(provider, type, job, { eventId: id, timestamp }) : samplePayload(provider, type, { eventId: id, timestamp });
  const log = new EventLog(ctx.configDir);
  const print = eventPrinter(ctx);
  const forwarder = createForwarder(ctx, log, print);
  const recorded = await recordAndForward(log, forwarder, { id, provider, type, source: 'trigger', jobId: job?.id ?? null, body }, targets, print);
  await Promise.all(recorded?.forwards ?? []);
  return deliveredTo(log, id, targets);
}

export async function events(ctx: Context, flags: { limit?: string }): Promise<number> {
  const limit = Number(flags.limit ?? 50);
  const list = (await new EventLog(ctx.configDir).list()).slice(0, limit);
  if (ctx.global.json) {
    printJson(ctx, list.map(({ body: _body, ...rest }) => rest));
    return ExitCode.Ok;
  }
  await printTable(
    ctx,
    ['ID', 'EVENT', 'PROVIDER', 'SOURCE', 'CREATED', 'DELIVERIES'],
    list.map((e) => [e.id, e.type, e.provider, e.source, e.createdAt.replace('T', ' ').slice(0, 19), e.deliveries.map((d) => `${d.state}${d.lastStatus ? ` ${d.lastStatus}` : ''} ${d.target}`).join('\n')]),
  );
  return ExitCode.Ok;
}

/** Sends a recorded event again (re-signed, same bytes) to its targets or to --forward-to. */
export async function replay(ctx: Context, id: string, flags: { forwardTo?: string[] }): Promise<number> {
  const log = new EventLog(ctx.configDir);
  const event = await log.find(id);
  if (!event) throw new UsageError(`no webhook event "${id}"`, 'Run `ugc webhooks events` to list them.');
  const targets = flags.forwardTo?.length ? targetsFrom(flags.forwardTo) : event.deliveries.map((d) => d.target);
  if (targets.length === 0) throw new UsageError(`event ${id} has no target`, 'Pass --forward-to <url>.');
  const print = eventPrinter(ctx);
  const forwarder = createForwarder(ctx, log, print);
  print.event(event);
  await Promise.all(targets.map((target) => forwarder.forward(event, target)));
  return deliveredTo(log, id, targets);
}

async function deliveredTo(log: EventLog, id: string, targets: string[]): Promise<number> {
  const event = await log.find(id);
  const failed = targets.filter((t) => event?.deliveries.find((d) => d.target === t)?.state !== 'delivered');
  if (failed.length > 0) throw new UgcError(`not delivered to ${failed.join(', ')}`, { hint: `Run \`ugc webhooks replay ${id}\` once the handler is up.` });
  return ExitCode.Ok;
}
