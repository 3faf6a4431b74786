import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, MAX_RETRY_AFTER_MS, retryAfterMs } from './backoff.js';

const defaults = { initialMs: 1_000, maxMs: 30_000 };

describe('backoffDelay', () => {
  it('picks uniformly below a ceiling that doubles from 1 s and stops at 30 s while the server answers', () => {
    const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    ceilings.forEach((ceiling, attempt) => {
      expect(backoffDelay(attempt, defaults, () => 0)).toBe(0);
      expect(backoffDelay(attempt, defaults, () => 0.5)).toBe(ceiling / 2);
      expect(backoffDelay(attempt, defaults, () => 0.999_999)).toBe(ceiling - 1);
    });
  });

  it('stops at 4 s while no server answers, however many attempts failed', () => {
    const ceilings = [1_000, 2_000, 4_000, 4_000, 4_000];
    ceilings.forEach((ceiling, attempt) => {
      expect(backoffDelay(attempt, {}, () => 0.5, 'unreachable')).toBe(ceiling / 2);
      expect(backoffDelay(attempt, {}, () => 0.999_999, 'unreachable')).toBe(ceiling - 1);
    });
    expect(backoffDelay(10_000, {}, () => 0.999_999, 'unreachable')).toBe(3_999);
  });

  it('takes its own unreachable ceiling, never above maxMs', () => {
    expect(backoffDelay(9, { unreachableMaxMs: 30_000 }, () => 0.5, 'unreachable')).toBe(15_000);
    expect(backoffDelay(9, { maxMs: 2_000 }, () => 0.5, 'unreachable')).toBe(1_000);
    expect(backoffDelay(9, { maxMs: 2_000, unreachableMaxMs: 8_000 }, () => 0.5, 'unreachable')).toBe(1_000);
  });

  it('stays within 30 s however many attempts failed', () => {
    expect(backoffDelay(10_000, defaults, () => 0.999_999)).toBe(29_999);
    expect(backoffDelay(1_100, defaults, () => 0.999_999)).toBeLessThan(30_000);
  });

  it('uses the defaults when given no options, and treats a bad random as 0', () => {
    expect(backoffDelay(0, {}, () => 0.5)).toBe(500);
    expect(backoffDelay(9, {}, () => 0.5)).toBe(15_000);
    expect(backoffDelay(3, {}, () => Number.NaN)).toBe(0);
    expect(backoffDelay(3, {}, () => 1)).toBe(0);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:12 GMT', now)).toBe(12_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('has nothing for a missing or unreadable header, and caps a long one', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
    expect(retryAfterMs('86400', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('Backoff', () => {
  it('grows with each failure and starts over after reset', () => {
    const backoff = new Backoff(defaults, () => 0.5);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([500, 1_000, 2_000]);
    expect(backoff.failures).toBe(3);
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(500);
  });

  it('keeps counting across kinds: an unreachable server after errors gets the low ceiling at once', () => {
    const backoff = new Backoff({}, () => 0.5);
    for (let i = 0; i < 6; i++) backoff.next('answered');
    expect(backoff.next('answered')).toBe(15_000);
    expect(backoff.next('unreachable')).toBe(2_000);
    expect(backoff.failures).toBe(8);
  });

  it('waits what Retry-After asks, jittered up to twice that, and counts it as a failure', () => {
    expect(new Backoff({}, () => 0).next('answered', 30_000)).toBe(30_000);
    expect(new Backoff({}, () => 0.5).next('answered', 30_000)).toBe(45_000);
    expect(new Backoff({}, () => 0.999_999).next('answered', 1_000)).toBe(1_999);
    const backoff = new Backoff({}, () => 0.5);
    backoff.next('answered', 5_000);
    expect(backoff.failures).toBe(1);
    expect(backoff.next('unreachable')).toBe(1_000);
  });
});
