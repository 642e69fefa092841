import { setTimeout as sleep } from 'node:timers/promises';

const SKEW_MS = 50;

/**
 * What the provider's rate-limit headers last said for one API key, so requests slow down before the
 * provider has to answer 429. Reads `X-RateLimit-*` (reset as Unix seconds or seconds from now) and the
 * IETF `RateLimit-*` (reset as seconds from now).
 */
export class RateLimitTracker {
  private remaining: number | null = null;
  private resetAtMs = 0;
  private blockedUntilMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Waits until a request may go out without exceeding the window, then counts it as in flight. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      // A little past the reset, for clock skew and reset times rounded to whole seconds.
      const wait = Math.max(this.blockedUntilMs - now, this.budget() <= 0 ? this.resetAtMs + SKEW_MS - now : 0);
      if (wait <= 0) break;
      await sleep(Math.min(wait, 1000) + 5, undefined, { signal });
    }
    if (this.remaining !== null) this.remaining--;
  }

  /** Records a response's rate-limit headers, if it had any. */
  release(headers: Headers | Record<string, string | string[] | undefined> | null): void {
    if (!headers) return;
    const get = (name: string) => {
      const value = headers instanceof Headers ? headers.get(name) : headers[name];
      return Array.isArray(value) ? value[0] : (value ?? undefined);
    };
    const remaining = Number(get('x-ratelimit-remaining') ?? get('ratelimit-remaining'));
    const reset = Number(get('x-ratelimit-reset') ?? get('ratelimit-reset'));
    if (!Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    const now = this.now();
    // Values above ~10 years of seconds are Unix timestamps; smaller ones are seconds from now.
    const resetAtMs = reset > 315_360_000 ? reset * 1000 : now + reset * 1000;
    if (this.remaining === null || resetAtMs > this.resetAtMs + 500) {
      // A new window: the provider's count is the truth.
      this.resetAtMs = resetAtMs;
      this.remaining = remaining;
    } else {
      // The same window: our own count (decremented on each send) or theirs, whichever is lower, since
      // other processes may share the key.
      this.remaining = Math.min(this.remaining, remaining);
    }
  }

  /** After a 429: nothing goes out for this key until `retryAfterMs` has passed. */
  block(retryAfterMs: number): void {
    this.blockedUntilMs = Math.max(this.blockedUntilMs, this.now() + retryAfterMs);
  }

  private budget(): number {
    if (this.remaining === null || this.now() >= this.resetAtMs + SKEW_MS) return Infinity;
    return this.remaining;
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
