import { describe, expect, it } from 'vitest';
import { KeyAddressRateLimiter, RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the sustained rate, per key', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerSecond: 2, burst: 3 }, () => now);
    expect([limiter.take(1), limiter.take(1), limiter.take(1)]).toEqual([0, 0, 0]);
    expect(limiter.take(1)).toBe(1);
    expect(limiter.take(2)).toBe(0);
    now += 500;
    expect(limiter.take(1)).toBe(0);
    expect(limiter.take(1)).toBe(1);
    now += 10_000;
    expect([limiter.take(1), limiter.take(1), limiter.take(1), limiter.take(1)]).toEqual([0, 0, 0, 1]);
  });

  it('says how many whole seconds to wait', () => {
    const limiter = new RateLimiter({ requestsPerSecond: 0.1, burst: 1 }, () => 0);
    expect(limiter.take('k')).toBe(0);
    expect(limiter.take('k')).toBe(10);
  });

  it('refuses a limit that allows nothing', () => {
    expect(() => new RateLimiter({ requestsPerSecond: 0, burst: 1 }, () => 0)).toThrow();
  });
});

describe('KeyAddressRateLimiter', () => {
  it('refuses a flooding address without using up the key for other addresses', () => {
    let now = 0;
    const limiter = new KeyAddressRateLimiter(
      { perKey: { requestsPerSecond: 10, burst: 5 }, perAddress: { requestsPerSecond: 1, burst: 2 } },
      () => now,
    );
    expect([limiter.take(1, 'a'), limiter.take(1, 'a')]).toEqual([null, null]);
    for (let i = 0; i < 100; i++) expect(limiter.take(1, 'a')).toEqual({ scope: 'address', retryAfter: 1 });
    // The refused requests took nothing from the key: three more addresses fit in its burst of 5.
    expect([limiter.take(1, 'b'), limiter.take(1, 'b'), limiter.take(1, 'c')]).toEqual([null, null, null]);
    expect(limiter.take(1, 'd')).toEqual({ scope: 'key', retryAfter: 1 });
    // Another key has its own buckets.
    expect(limiter.take(2, 'a')).toBeNull();
    now += 1000;
    expect(limiter.take(1, 'a')).toBeNull();
  });
});
