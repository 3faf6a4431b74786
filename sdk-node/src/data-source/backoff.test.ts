import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.js';

const defaults = { initialMs: 1_000, maxMs: 30_000 };

describe('backoffDelay', () => {
  it('picks uniformly below a ceiling that doubles from 1 s and stops at 30 s', () => {
    const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    ceilings.forEach((ceiling, attempt) => {
      expect(backoffDelay(attempt, defaults, () => 0)).toBe(0);
      expect(backoffDelay(attempt, defaults, () => 0.5)).toBe(ceiling / 2);
      expect(backoffDelay(attempt, defaults, () => 0.999_999)).toBe(ceiling - 1);
    });
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

describe('Backoff', () => {
  it('grows with each failure and starts over after reset', () => {
    const backoff = new Backoff(defaults, () => 0.5);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([500, 1_000, 2_000]);
    expect(backoff.failures).toBe(3);
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(500);
  });
});
