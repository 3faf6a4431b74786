import { LRUCache } from 'lru-cache';

/** A sustained request rate with a burst allowance. */
export interface RateLimit {
  /** Tokens added per second. */
  requestsPerSecond: number;
  /** Bucket size: requests allowed at once after a quiet period. */
  burst: number;
}

/** The OFREP default: generous, so that only a runaway client ever meets it. */
export const DEFAULT_OFREP_RATE_LIMIT: RateLimit = { requestsPerSecond: 1000, burst: 2000 };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (an SDK key id). Time is passed in, so tests need no timers. Buckets of keys
 * not seen for a while are forgotten (at most `maxKeys` are kept; a forgotten key starts full).
 *
 * @example
 * const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 20 }, () => Date.now());
 * const wait = limiter.take(keyId); // 0 = go ahead; else seconds until a request is allowed
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string | number, Bucket>;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number,
    maxKeys = 10_000,
  ) {
    if (!(limit.requestsPerSecond > 0) || !(limit.burst >= 1)) {
      throw new Error('a rate limit needs requestsPerSecond > 0 and burst >= 1');
    }
    this.buckets = new LRUCache({ max: maxKeys });
  }

  /** Takes one token for `key`: 0 when allowed, else the whole seconds to wait (at least 1). */
  take(key: string | number): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsed * this.limit.requestsPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.requestsPerSecond));
  }
}
