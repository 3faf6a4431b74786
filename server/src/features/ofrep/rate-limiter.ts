import { LRUCache } from 'lru-cache';

/** A sustained request rate with a burst allowance. */
export interface RateLimit {
  /** Tokens added per second. */
  requestsPerSecond: number;
  /** Bucket size: requests allowed at once after a quiet period. */
  burst: number;
}

/** The OFREP default per SDK key: generous, so that only a runaway client ever meets it. */
export const DEFAULT_OFREP_RATE_LIMIT: RateLimit = { requestsPerSecond: 1000, burst: 2000 };

/**
 * The `/client/v1` default per SDK key: about what one process serves (a polled evaluation is a cached
 * answer), so a busy site's page loads never meet it; the per-address limit below is what stops one
 * abuser.
 */
export const DEFAULT_CLIENT_RATE_LIMIT: RateLimit = { requestsPerSecond: 20_000, burst: 40_000 };

/**
 * The default per SDK key and client address (`/client/v1` and `/ofrep/v1` alike): room for a few
 * thousand browsers behind one corporate NAT (each opens a stream or polls, and sends its events every
 * few seconds), so one address cannot use up the key. `RINGFLAG_RATE_LIMIT_PER_ADDRESS` changes it.
 */
export const DEFAULT_ADDRESS_RATE_LIMIT: RateLimit = { requestsPerSecond: 200, burst: 1000 };

/** Buckets kept per limiter: at ~200 bytes each (key, address, bucket), about 20 MB at most. */
export const RATE_LIMIT_MAX_BUCKETS = 100_000;

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
    const wait = this.check(key);
    if (wait === 0) (this.buckets.get(key) as Bucket).tokens -= 1;
    return wait;
  }

  /** Refills `key`'s bucket and says what {@link take} would, without taking a token. */
  check(key: string | number): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsed * this.limit.requestsPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.requestsPerSecond));
  }
}

/** Which limit refused a request. */
export type RateLimitScope = 'address' | 'key';

/** Limits of {@link KeyAddressRateLimiter}. */
export interface KeyAddressRateLimits {
  /** Per SDK key, all addresses together. */
  perKey: RateLimit;
  /** Per SDK key and client address. */
  perAddress: RateLimit;
}

/**
 * Two token buckets for the public surfaces: one per (SDK key, client address) and one per SDK key.
 * The address bucket is checked first and a refused request takes nothing from the key's bucket, so
 * one abusive address uses up its own allowance, not the key's: other browsers with the same (public)
 * key keep being served. Each map keeps at most {@link RATE_LIMIT_MAX_BUCKETS} buckets.
 *
 * @example
 * const limiter = new KeyAddressRateLimiter(limits, () => Date.now());
 * const refused = limiter.take(key.id, clientAddress(c)); // null, or { scope, retryAfter }
 */
export class KeyAddressRateLimiter {
  private readonly keys: RateLimiter;
  private readonly addresses: RateLimiter;

  constructor(limits: KeyAddressRateLimits, now: () => number) {
    this.keys = new RateLimiter(limits.perKey, now, RATE_LIMIT_MAX_BUCKETS);
    this.addresses = new RateLimiter(limits.perAddress, now, RATE_LIMIT_MAX_BUCKETS);
  }

  /** Takes a token from both buckets, or from neither: null when allowed. */
  take(keyId: number, address: string): { scope: RateLimitScope; retryAfter: number } | null {
    const byAddress = `${keyId}\u0000${address}`;
    const addressWait = this.addresses.check(byAddress);
    if (addressWait > 0) return { scope: 'address', retryAfter: addressWait };
    const keyWait = this.keys.take(keyId);
    if (keyWait > 0) return { scope: 'key', retryAfter: keyWait };
    this.addresses.take(byAddress);
    return null;
  }
}
