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

export interface ForwarderOptions {
  log: EventLog;
  /** Headers for one attempt: signed now, over the event's exact body. */
  sign: (event: WebhookEvent) => Promise<Record<string, string>>;
  /** Attempts per delivery before it goes to the dead-letter list. */
  attempts?: number;
  timeoutMs?: number;
  /** First backoff; it triples after each failed attempt. */
  backoffMs?: number;
  onAttempt?: (event: WebhookEvent, target: string, status: number | null, error: string | null) => void;
}

const agent = new Agent({ keepAliveTimeout: 5_000 });

/**
 * Delivers events to local endpoints: POSTs the recorded body byte for byte, re-signed on every attempt
 * (so a retry after a restart is not rejected as stale), retries a target that is down or answers
 * non-2xx with backoff, records every outcome, and after the last attempt marks the delivery dead
 * (`ugc webhooks replay` sends it again).
 */
export class Forwarder {
  private readonly inFlight = new Set<Promise<ForwardResult>>();
  private stopping = false;

  constructor(private readonly options: ForwarderOptions) {}

  forward(event: WebhookEvent, target: string): Promise<ForwardResult> {
    const delivery = this.deliver(event, target);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
    return delivery;
  }

  /** Stops retrying (the current attempts finish; what is left stays pending for the next run). */
  async drain(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(event: WebhookEvent, target: string): Promise<ForwardResult> {
    const attempts = this.options.attempts ?? 4;
    let backoff = this.options.backoffMs ?? 1_000;
    const previous = event.deliveries.find((d) => d.target === target)?.attempts ?? 0;
    for (let attempt = 1; ; attempt++) {
      const { status, error } = await this.attempt(event, target);
      const delivered = status !== null && status >= 200 && status < 300;
      this.options.onAttempt?.(event, target, status, error);
      const last = delivered || attempt >= attempts;
      await this.options.log.recordDelivery(event.id, target, () => ({
        attempts: previous + attempt,
        lastStatus: status,
        lastError: error,
        state: delivered ? 'delivered' : last ? 'dead' : 'pending',
      }));
      if (delivered || last) return { target, status, delivered, attempts: attempt, error };
      if (this.stopping) return { target, status, delivered: false, attempts: attempt, error };
      await sleep(backoff);
      backoff *= 3;
      if (this.stopping) return { target, status, delivered: false, attempts: attempt, error };
    }
  }

  private async attempt(event: WebhookEvent, target: string): Promise<{ status: number | null; error: string | null }> {
    try {
      const headers = { 'content-type': 'application/json', 'user-agent': 'ugc-webhooks', ...(await this.options.sign(event)) };
      const response = await fetch(target, { method: 'POST', body: event.body, headers, dispatcher: agent, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
      await response.body?.cancel();
      return { status: response.status, error: null };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return { status: null, error: cause };
    }
  }
}
