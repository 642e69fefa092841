import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import type { EventLog, WebhookEvent } from './event-log.js';

export interface ForwardResult {
  target: string;
  status: number | null;
  delivered: boolean;
  attempts: number;
  error: string | null;
}

/** One attempt's answer: its status (null: none came), what went wrong, and where a 3xx pointed. */
export interface AttemptOutcome {
  status: number | null;
  error: string | null;
  location: string | null;
}

export interface ForwarderOptions {
  log: EventLog;
  /** Headers for one attempt: signed now, over the event's exact body. */
  sign: (event: WebhookEvent) => Promise<Record<string, string>>;
  /** Attempts per delivery before it goes to the dead-letter list. */
  attempts?: number;
  timeoutMs?: number;
  /** First backoff; it triples after each failed attempt. */
  backoffMs?: number;
  /** Attempts in flight per target at once: also the most events a kill can make that target see twice. */
  maxInFlight?: number;
  /** Called once the attempt's outcome is recorded. */
  onAttempt?: (event: WebhookEvent, target: string, outcome: AttemptOutcome) => void;
}

export const MAX_IN_FLIGHT_PER_TARGET = 4;

const agent = new Agent({ keepAliveTimeout: 5_000 });

/** A counting semaphore: at most `size` holders at once, the others wait in order. */
class Slots {
  private readonly waiting: (() => void)[] = [];

  constructor(private free: number) {}

  async take(): Promise<void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * Delivers events to local endpoints: POSTs the recorded body byte for byte, re-signed on every attempt
 * (so a retry after a restart is not rejected as stale), never following a redirect (a 3xx is a failed
 * attempt: following it would hand a freshly signed event to another host), retries a target that is
 * down or answers non-2xx with backoff, and after the last attempt marks the delivery dead (`ugc
 * webhooks replay` sends it again).
 *
 * At most `maxInFlight` attempts per target are between being sent and having their outcome recorded:
 * a slot is held from before the request until the outcome is written, so a listener killed at any
 * instant leaves at most that many events per target sent but not recorded — the only ones its
 * next run sends again.
 */
export class Forwarder {
  private readonly inFlight = new Set<Promise<ForwardResult>>();
  private readonly slots = new Map<string, Slots>();
  private readonly stopped = new AbortController();

  constructor(private readonly options: ForwarderOptions) {}

  forward(event: WebhookEvent, target: string): Promise<ForwardResult> {
    const delivery = this.deliver(event, target);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
    return delivery;
  }

  /** Starts no more attempts (those under way finish; what is left stays pending for the next run). */
  stop(): void {
    this.stopped.abort();
  }

  private get stopping(): boolean {
    return this.stopped.signal.aborted;
  }

  /** Stops, then waits for the attempts under way. */
  async drain(): Promise<void> {
    this.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  private slotsFor(target: string): Slots {
    let slots = this.slots.get(target);
    if (!slots) this.slots.set(target, (slots = new Slots(this.options.maxInFlight ?? MAX_IN_FLIGHT_PER_TARGET)));
    return slots;
  }

  private async deliver(event: WebhookEvent, target: string): Promise<ForwardResult> {
    const attempts = this.options.attempts ?? 4;
    let backoff = this.options.backoffMs ?? 1_000;
    const previous = event.deliveries.find((d) => d.target === target)?.attempts ?? 0;
    const slots = this.slotsFor(target);
    for (let attempt = 1; ; attempt++) {
      await slots.take();
      let outcome: AttemptOutcome;
      let last: boolean;
      try {
        if (this.stopping) return { target, status: null, delivered: false, attempts: attempt - 1, error: 'stopped' };
        outcome = await this.attempt(event, target);
        const delivered = isSuccess(outcome.status);
        last = delivered || attempt >= attempts;
        // Recorded before the slot is given back and before anything is printed: an answer shown is an answer kept.
        await this.options.log.recordDelivery(event.id, target, () => ({
          attempts: previous + attempt,
          lastStatus: outcome.status,
          lastError: outcome.error,
          state: delivered ? 'delivered' : last ? 'dead' : 'pending',
        }));
      } finally {
        slots.give();
      }
      this.options.onAttempt?.(event, target, outcome);
      const result = { target, status: outcome.status, delivered: isSuccess(outcome.status), attempts: attempt, error: outcome.error };
      if (last || this.stopping) return result;
      await sleep(backoff, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      backoff *= 3;
      if (this.stopping) return result;
    }
  }

  private async attempt(event: WebhookEvent, target: string): Promise<AttemptOutcome> {
    try {
      const headers = { 'content-type': 'application/json', 'user-agent': 'ugc-webhooks', ...(await this.options.sign(event)) };
      const response = await fetch(target, { method: 'POST', body: event.body, headers, redirect: 'manual', dispatcher: agent, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
      await response.body?.cancel();
      if (response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location');
        return { status: response.status, error: `redirected to ${location ?? '(no Location)'}; redirects are not followed`, location };
      }
      return { status: response.status, error: null, location: null };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return { status: null, error: cause, location: null };
    }
  }
}

const isSuccess = (status: number | null): boolean => status !== null && status >= 200 && status < 300;
