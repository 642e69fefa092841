/** One scope's count for one client in the current window. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window ends (the RateLimit-Reset and Retry-After value). */
  resetSeconds: number;
}

/**
 * A fixed-window counter per client IP (the document's per-IP limits: 600 requests a minute on /api/*,
 * 30 submissions a minute on POST /api/jobs). Windows of clients not seen for a while are dropped.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    private readonly windowMs: number,
  ) {}

  take(client: string, now = Date.now()): RateDecision {
    let window = this.windows.get(client);
    if (!window || now - window.start >= this.windowMs) {
      if (this.windows.size > 10_000) this.prune(now);
      window = { start: now, count: 0 };
      this.windows.set(client, window);
    }
    const allowed = window.count < this.limit;
    if (allowed) window.count++;
    return { allowed, limit: this.limit, remaining: Math.max(0, this.limit - window.count), resetSeconds: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)) };
  }

  private prune(now: number): void {
    for (const [client, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(client);
  }
}

/** The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), as the document names them. */
export const rateLimitHeaders = (d: RateDecision): Record<string, string> => ({
  'RateLimit-Limit': String(d.limit),
  'RateLimit-Remaining': String(d.remaining),
  'RateLimit-Reset': String(d.resetSeconds),
});
