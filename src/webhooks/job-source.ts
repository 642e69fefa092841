import { createHash } from 'node:crypto';
import type { Context } from '../core/context.js';
import { isTerminal, type Job } from '../core/job.js';
import { getProvider, requirePart } from '../providers/registry.js';
import type { JobStateLog } from './event-log.js';
import { deliveredState, fingerprintRank } from './payloads.js';

export interface JobSourceOptions {
  states: JobStateLog;
  /** The state that matters for events (status, plus progress steps where the provider sends progress events). */
  fingerprint: (job: Job) => string;
  /** The events a change from `previous` (null: a job not seen before) to `job` means, in order. */
  eventsFor: (job: Job, previous: string | null) => string[];
  emit: (job: Job, type: string, eventId: string) => Promise<void>;
  onError?: (message: string) => void;
}

/** The same job change always gets the same event id, so a restarted listener cannot send it twice. */
export function jobEventId(job: Job, type: string, fingerprint: string): string {
  return `evt_${createHash('sha256').update(`${job.id}|${type}|${fingerprint}`).digest('hex').slice(0, 24)}`;
}

/**
 * Turns job records into events: every job recorded on this machine that has not ended is refreshed at
 * its provider's interval — a local render's record (another terminal's `generate` shows up, and a
 * render whose process died is noticed), a remote job at its provider (the HTTP client keeps within the
 * provider's rate limits). The last state turned into events is
 * persisted per job: the first run takes the current states as its baseline; later runs also catch the
 * changes that happened while no listener ran.
 */
export class JobEventSource {
  private states: Record<string, string> = {};
  private nextPoll = new Map<string, number>();
  private readonly records = new Map<string, { mtimeMs: number; job: Job }>();

  constructor(
    private readonly ctx: Context,
    private readonly options: JobSourceOptions,
  ) {}

  async start(): Promise<void> {
    const saved = await this.options.states.load();
    if (saved) {
      this.states = saved;
      return;
    }
    for (const job of await this.ctx.jobs.list()) this.states[job.id] = this.options.fingerprint(job);
    await this.options.states.save(this.states);
  }

  /** One pass: poll the remote jobs that are due, then emit the events of every change. */
  async tick(): Promise<void> {
    const jobs = await this.ctx.jobs.listCached(this.records);
    const now = Date.now();
    const refreshed = await Promise.all(jobs.map((job) => (this.due(job, now) ? this.refresh(job) : job)));
    let changed = false;
    for (const job of refreshed.reverse()) {
      const fingerprint = this.options.fingerprint(job);
      const previous = this.states[job.id] ?? null;
      // Unchanged, or behind what the provider's own delivery already brought.
      if (previous === fingerprint || (previous !== null && fingerprintRank(fingerprint) < fingerprintRank(previous))) continue;
      // Taken before the events go out, so a delivery of the same change arriving meanwhile is not sent too.
      this.states[job.id] = fingerprint;
      for (const type of this.options.eventsFor(job, previous)) await this.options.emit(job, type, jobEventId(job, type, fingerprint));
      changed = true;
    }
    if (changed) await this.options.states.save(this.states);
  }

  /**
   * A provider's own delivery (`event`, this raw body) reached the receiver. When it is about a job
   * recorded here, it is the job's change now unless polling sent that change (or a later one) already:
   * true means forward it (and polling will not send it again), false means it is a duplicate.
   */
  async claimDelivery(provider: string, event: string, body: string): Promise<boolean> {
    const delivered = deliveredState(provider, event, body);
    if (!delivered) return true;
    const job = (await this.ctx.jobs.listCached(this.records)).find((j) => j.provider === provider && (j.remoteId ?? j.id) === delivered.id);
    if (!job) return true;
    const previous = this.states[job.id];
    if (previous !== undefined && fingerprintRank(previous) >= fingerprintRank(delivered.fingerprint)) return false;
    this.states[job.id] = delivered.fingerprint;
    await this.options.states.save(this.states);
    return true;
  }

  private due(job: Job, now: number): boolean {
    if (isTerminal(job.status)) return false;
    return now >= (this.nextPoll.get(job.id) ?? 0);
  }

  private async refresh(job: Job): Promise<Job> {
    try {
      const jobs = requirePart(getProvider(job.provider), 'jobs', 'webhooks listen');
      const interval = (this.ctx.settings.pollIntervalSeconds ?? jobs.pollIntervalSeconds) * 1000;
      this.nextPoll.set(job.id, Date.now() + interval * (0.9 + Math.random() * 0.2));
      return await jobs.refresh(this.ctx, job);
    } catch (error) {
      this.options.onError?.(`could not poll ${job.id} (${job.provider}): ${(error as Error).message}`);
      return job;
    }
  }
}
