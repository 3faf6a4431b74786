import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

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
