import { describe, expect, it } from 'vitest';
import { ShortLivedCache } from './short-lived-cache.js';

function manualClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('ShortLivedCache', () => {
  it('keeps a value for the time to live, counted from when the load started, then loads again', async () => {
    const clock = manualClock();
    const cache = new ShortLivedCache<string, number>({ ttlMs: 1000, max: 10, now: clock.now });
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('a', load)).toBe(1);
    clock.advance(999);
    expect(await cache.get('a', load)).toBe(1);
    clock.advance(1);
    expect(await cache.get('a', load)).toBe(2);
  });

  it('shares one load among concurrent callers and keeps nothing for undefined', async () => {
    const cache = new ShortLivedCache<string, number>({ ttlMs: 1000, max: 10 });
    let loads = 0;
    let finish!: (value: number | undefined) => void;
    const load = () => {
      loads++;
      return new Promise<number | undefined>((resolve) => {
        finish = resolve;
      });
    };
    const both = Promise.all([cache.get('a', load), cache.get('a', load)]);
    finish(undefined);
    expect(await both).toEqual([undefined, undefined]);
    expect(loads).toBe(1);
    const again = cache.get('a', load);
    finish(7);
    expect(await again).toBe(7);
    expect(loads).toBe(2);
  });

  it('does not keep a load that was under way when the cache was cleared or the value forgotten', async () => {
    const cache = new ShortLivedCache<string, { id: number }>({ ttlMs: 1000, max: 10 });
    let finish!: (value: { id: number }) => void;
    const slow = () =>
      new Promise<{ id: number }>((resolve) => {
        finish = resolve;
      });
    const underway = cache.get('a', slow);
    cache.forget((value) => value.id === 1);
    finish({ id: 1 });
    await underway;
    expect(cache.last('a')).toBeUndefined();

    expect(await cache.get('b', async () => ({ id: 2 }))).toEqual({ id: 2 });
    expect(cache.last('b')).toEqual({ id: 2 });
    cache.forget((value) => value.id === 2);
    expect(cache.last('b')).toBeUndefined();
    expect(await cache.get('c', async () => ({ id: 3 }))).toEqual({ id: 3 });
    cache.clear();
    expect(cache.last('c')).toBeUndefined();
  });
});
