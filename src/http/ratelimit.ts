import { setTimeout as sleep } from 'node:timers/promises';

/** Margin past a reset, for clock skew and reset times rounded to whole seconds. */
const SKEW_MS = 50;
/** How often a request waiting on an unconfirmed window looks again. */
const RECHECK_MS = 50;

/** Any Headers-like object (the `undici` package's Headers is not Node's global one) or a plain record. */
type HeaderSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/**
 * What the provider's rate-limit headers say for one API key, so requests slow down before the
 * provider has to answer 429. Reads `X-RateLimit-*` (reset as Unix seconds or seconds from now) and the
 * IETF `RateLimit-*` (reset as seconds from now).
 *
 * Every request sent counts against the window's remaining budget at once, so concurrent requests
 * cannot overshoot it. When a window ends, the next one is assumed to hold the last known limit until a
 * response confirms its real count and reset time; requests beyond that wait for the confirmation.
 */
export class RateLimitTracker {
  private limit: number | null = null;
  private remaining: number | null = null;
  private resetAtMs = 0;
  private confirmed = false;
  private blockedUntilMs = 0;
  private inFlight = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      if (this.confirmed && now >= this.resetAtMs + SKEW_MS) {
        this.confirmed = false;
        this.remaining = this.limit;
      }
      let wait = this.blockedUntilMs - now;
      if (this.remaining !== null && this.remaining <= 0) wait = Math.max(wait, this.confirmed ? this.resetAtMs + SKEW_MS - now : RECHECK_MS);
      if (wait <= 0) break;
      await sleep(Math.min(wait, 1000), undefined, { signal });
    }
    if (this.remaining !== null) this.remaining--;
    this.inFlight++;
  }

  /** Records a response's rate-limit headers, if it had any. */
  release(headers: HeaderSource | null): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (!headers) return;
    const get = (name: string) => {
      const value = typeof headers.get === 'function' ? (headers as { get(name: string): string | null }).get(name) : (headers as Record<string, string | string[] | undefined>)[name];
      return Number(Array.isArray(value) ? value[0] : (value ?? undefined));
    };
    const limit = get('x-ratelimit-limit') || get('ratelimit-limit');
    const remaining = Number.isFinite(get('x-ratelimit-remaining')) ? get('x-ratelimit-remaining') : get('ratelimit-remaining');
    const reset = Number.isFinite(get('x-ratelimit-reset')) ? get('x-ratelimit-reset') : get('ratelimit-reset');
    if (!Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    if (limit > 0) this.limit = limit;
    const now = this.now();
    // Values above ~10 years of seconds are Unix timestamps; smaller ones are seconds from now.
    const resetAtMs = reset > 315_360_000 ? reset * 1000 : now + reset * 1000;
    const laterWindow = resetAtMs > this.resetAtMs + 500;
    if (!this.confirmed || laterWindow) {
      this.resetAtMs = laterWindow || !this.confirmed ? resetAtMs : this.resetAtMs;
      this.confirmed = true;
    }
    // Our own count (decremented on each send) or the provider's, whichever is lower: other processes may
    // share the key. Before the first count, requests were sent uncounted: those still in flight may not
    // be in the provider's figure yet.
    this.remaining = this.remaining === null ? Math.max(0, remaining - this.inFlight) : Math.min(this.remaining, remaining);
  }

  /** After a 429: nothing goes out for this key until `retryAfterMs` has passed. */
  block(retryAfterMs: number): void {
    this.blockedUntilMs = Math.max(this.blockedUntilMs, this.now() + retryAfterMs);
  }
}

const trackers = new Map<string, RateLimitTracker>();

/** One tracker per provider and key in this process, shared by every client that uses that key. */
export function trackerFor(scope: string): RateLimitTracker {
  let tracker = trackers.get(scope);
  if (!tracker) {
    tracker = new RateLimitTracker();
    trackers.set(scope, tracker);
  }
  return tracker;
}
