import { describe, expect, it } from 'vitest';
import { DistinctContexts } from './guard-contexts.js';

describe('DistinctContexts', () => {
  it('counts a context once per minute as exposed and once per event, and an event exposes it too', () => {
    const contexts = new DistinctContexts({ perAddressPerMinute: 10, maxEntriesPerMinute: 1000 });
    expect(contexts.expose(1, 'a', 'h1', 5)).toEqual({ counted: true, exposed: true });
    expect(contexts.expose(1, 'b', 'h1', 5)).toEqual({ counted: false, reason: 'duplicate' });
    expect(contexts.track(1, 'a', 'h1', 'error', 5)).toEqual({ counted: true, exposed: false });
    expect(contexts.track(1, 'a', 'h1', 'error', 5)).toEqual({ counted: false, reason: 'duplicate' });
    expect(contexts.track(1, 'a', 'h2', 'error', 5)).toEqual({ counted: true, exposed: true });
    // Another environment, or the next minute, is another count.
    expect(contexts.expose(2, 'a', 'h1', 5)).toEqual({ counted: true, exposed: true });
    expect(contexts.track(1, 'a', 'h1', 'error', 6)).toEqual({ counted: true, exposed: true });
  });

  it('lets one address add only so many new contexts per environment and minute', () => {
    const contexts = new DistinctContexts({ perAddressPerMinute: 3, maxEntriesPerMinute: 1000 });
    const results = Array.from({ length: 5 }, (_, i) => contexts.track(1, 'a', `h${i}`, 'error', 5));
    expect(results.map((result) => result.counted)).toEqual([true, true, true, false, false]);
    expect(results[4]).toEqual({ counted: false, reason: 'address_budget' });
    // Other addresses keep their own budget; a context already counted costs nothing more.
    expect(contexts.expose(1, 'b', 'h9', 5).counted).toBe(true);
    expect(contexts.track(1, 'a', 'h0', 'other-event', 5).counted).toBe(true);
    expect(contexts.expose(1, 'a', 'h10', 6).counted).toBe(true);
  });

  it('holds at most maxEntriesPerMinute entries', () => {
    const contexts = new DistinctContexts({ perAddressPerMinute: 1_000_000, maxEntriesPerMinute: 100 });
    for (let i = 0; i < 1000; i++) contexts.expose(1, `address-${i}`, `h${i}`, 5);
    expect(contexts.size).toBeLessThanOrEqual(100);
    expect(contexts.expose(1, 'x', 'new', 5)).toEqual({ counted: false, reason: 'capacity' });
  });
});
