import { randomBytes } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { isTerminal, JOB_STATUSES, newJob, type Job, type JobStatus } from '../core/job.js';
import type { WebhooksPart } from '../providers/definition.js';
import { getProvider, requirePart } from '../providers/registry.js';
import { stepCrossed, type EventKind } from '../providers/webhook-bodies.js';

export { PROGRESS_STEPS, type EventKind } from '../providers/webhook-bodies.js';

/**
 * Events in each provider's own names and JSON bodies, built from the unified Job by the provider's
 * definition (its `webhooks` part). Where a document leaves a field out, the emulators in test/emulators decided.
 */

const webhooksOf = (provider: string): WebhooksPart => requirePart(getProvider(provider), 'webhooks', 'webhooks');

/** The events `provider` sends, in the provider's own names. */
export function eventNames(provider: string): string[] {
  return Object.values(webhooksOf(provider).events);
}

/** What an event name means for `provider`; a UsageError listing the valid names otherwise. */
export function eventKind(provider: string, event: string): EventKind {
  for (const [kind, name] of Object.entries(webhooksOf(provider).events) as [EventKind, string][]) if (name === event) return kind;
  throw new UsageError(`${provider} has no "${event}" event`, `Its events: ${eventNames(provider).join(', ')}.`);
}

/** The events a change from (`previousStatus`, `previousProgress`) to `job` means, in order. */
function changeEvents(job: Job, previousStatus: JobStatus | null, previousProgress: number): string[] {
  const { events } = webhooksOf(job.provider);
  if (previousStatus !== null && isTerminal(previousStatus)) return [];
  const out: string[] = [];
  if (previousStatus === null && events.created) out.push(events.created);
  if (job.status === 'completed') {
    if (events.completed) out.push(events.completed);
  } else if (job.status === 'failed' || job.status === 'cancelled') {
    // No provider has a cancel event: a cancelled job is reported as failed (its status says cancelled where the provider has the word).
    if (events.failed) out.push(events.failed);
  } else if (job.status === 'processing' && events.progress && stepCrossed(previousProgress, job.progress) !== null) {
    out.push(events.progress);
  }
  return out;
}

/**
 * The state of `job` that matters for events, as a string to store and compare: its status, plus
 * the progress step reached (`processing:50`) for providers that send progress events.
 */
export function jobFingerprint(job: Job): string {
  if (job.status !== 'processing' || !webhooksOf(job.provider).events.progress) return job.status;
  return `processing:${stepCrossed(-1, job.progress) ?? 0}`;
}

/**
 * The events a change from the fingerprint `previous` (null: a job not seen before) to `job` means,
 * in order; at most one progress event per change (the highest step crossed).
 */
export function eventsForChange(job: Job, previous: string | null): string[] {
  if (previous === null) return changeEvents(job, null, 0);
  const [status, step] = previous.split(':');
  if (!(JOB_STATUSES as readonly string[]).includes(status ?? '')) return changeEvents(job, null, 0);
  const previousStatus = status as JobStatus;
  const previousStep = previousStatus === 'processing' ? Number(step ?? 0) || 0 : 0;
  if (previousStatus === job.status && jobFingerprint(job) === previous) return [];
  return changeEvents(job, previousStatus, previousStep);
}

/**
 * How far along a fingerprint is: queued, then the progress steps, then ended. A job's events only move
 * forward, whichever source (polling, or the provider's own delivery) saw a change first.
 */
export function fingerprintRank(fingerprint: string): number {
  const [status, step] = fingerprint.split(':');
  if (status === 'processing') return 1 + (Number(step ?? 0) || 0) / 100;
  return status === 'completed' || status === 'failed' || status === 'cancelled' ? 3 : 0;
}

/**
 * The job a provider's own delivery (`event`, with this raw body) is about, by the provider's id, and
 * the fingerprint its state would have once this event is sent; null when the body does not say.
 */
export function deliveredState(provider: string, event: string, body: string): { id: string; fingerprint: string } | null {
  let kind: EventKind;
  let parsed: unknown;
  try {
    kind = eventKind(provider, event);
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const job = webhooksOf(provider).jobIn(parsed);
  if (!job) return null;
  const fingerprint = kind === 'created' ? 'queued' : kind === 'progress' ? `processing:${stepCrossed(-1, job.progress ?? 0) ?? 0}` : kind;
  return { id: job.id, fingerprint };
}

/** A fresh event id: `msg_…` for Standard Webhooks providers (the `webhook-id`), `evt_…` for the others. */
export function newEventId(provider: string): string {
  return `${webhooksOf(provider).scheme.eventIdPrefix}${randomBytes(16).toString('base64url')}`;
}

export interface PayloadMeta {
  /** The event id (Standard Webhooks: the `webhook-id` header; none of the documented bodies carries one). */
  eventId: string;
  /** Unix seconds: the event's time, in the body's ISO `timestamp`. */
  timestamp: number;
}

const isoSeconds = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The exact JSON body `provider` would post for `event` about `job`. Sign these bytes as they are.
 * The provider's job id is `job.remoteId ?? job.id`; a local output path becomes a file: URL.
 */
export function buildPayload(provider: string, event: string, job: Job, meta: PayloadMeta): string {
  const kind = eventKind(provider, event);
  return JSON.stringify(webhooksOf(provider).body(event, kind, job, isoSeconds(meta.timestamp)));
}

/** A realistic job in the state `event` reports, for `ugc webhooks trigger` without `--job`. */
export function sampleJob(provider: string, event: string, now: Date = new Date()): Job {
  const kind = eventKind(provider, event);
  const { sample } = webhooksOf(provider);
  const created = new Date(now.getTime() - (kind === 'created' ? 0 : 240_000));
  const job = newJob({
    provider,
    now: created,
    request: { script: 'Meet Glow Serum. Two weeks, and my skin has never looked better.', creator: 'mia', aspect: '9:16', productName: 'Glow Serum', cta: 'Shop now', resolution: '1080p', model: sample.model },
  });
  const remoteId = sample.remoteId();
  job.remoteId = remoteId;
  job.updatedAt = now.toISOString();
  job.credits = { charged: sample.credits, final: null };
  if (kind === 'created') return job;
  if (kind === 'progress') return { ...job, status: 'processing', providerStatus: 'processing', progress: 50 };
  if (kind === 'failed') {
    return { ...job, status: 'failed', providerStatus: 'failed', progress: 40, credits: { ...job.credits, final: 0 }, error: { code: 'provider_failed', message: 'Generation failed' } };
  }
  return { ...job, ...sample.finished(remoteId ?? job.id), status: 'completed', providerStatus: 'completed', progress: 100, credits: { ...job.credits, final: job.credits.charged } };
}

/** A realistic body for `event` in `provider`'s shape (a fresh sample job; meta defaults to a new id and now). */
export function samplePayload(provider: string, event: string, meta?: PayloadMeta): string {
  const at = meta ?? { eventId: newEventId(provider), timestamp: Math.floor(Date.now() / 1000) };
  return buildPayload(provider, event, sampleJob(provider, event, new Date(at.timestamp * 1000)), at);
}
