import { LRUCache } from 'lru-cache';

/** Options of {@link LoginLimiter}. */
export interface LoginLimiterOptions {
  /** Failed attempts allowed per key within the window. */
  maxFailures?: number;
  windowMs?: number;
  clock?: () => Date;
}

/**
 * Counts failed logins per key (email and client address) in a fixed window, so password guessing
 * is slowed without locking anyone out for long. Bounded memory: an LRU of at most 10,000 keys.
 *
 * @example
 * const wait = limiter.retryAfter(key); if (wait > 0) throw new RateLimitedError(…);
 */
export class LoginLimiter {
  private readonly failures = new LRUCache<string, { count: number; resetAt: number }>({ max: 10_000 });
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly clock: () => Date;

  constructor(options: LoginLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Seconds to wait before another attempt with this key; 0 when allowed. */
  retryAfter(key: string): number {
    const entry = this.failures.get(key);
    const now = this.clock().getTime();
    if (!entry || entry.resetAt <= now || entry.count < this.maxFailures) return 0;
    return Math.ceil((entry.resetAt - now) / 1000);
  }

  recordFailure(key: string): void {
    const now = this.clock().getTime();
    const entry = this.failures.get(key);
    if (!entry || entry.resetAt <= now) this.failures.set(key, { count: 1, resetAt: now + this.windowMs });
    else entry.count++;
  }

  reset(key: string): void {
    this.failures.delete(key);
  }
}
