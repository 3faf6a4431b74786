import { describe, expect, it } from 'vitest';
import { ExposureCounter } from './exposure-counter.js';

describe('ExposureCounter', () => {
  it('counts per flag and variation, skipping evaluations without a variation', () => {
    const counter = new ExposureCounter();
    counter.record('a', 'on');
    counter.record('a', 'on');
    counter.record('a', 'off');
    counter.record('b', 'blue');
    counter.record('missing', null);
    expect(counter.take(60_000)).toEqual([
      { flag: 'a', variant: 'on', count: 2, minute: 60_000 },
      { flag: 'a', variant: 'off', count: 1, minute: 60_000 },
      { flag: 'b', variant: 'blue', count: 1, minute: 60_000 },
    ]);
  });

  it('starts over from zero after take, leaving out pairs not seen since', () => {
    const counter = new ExposureCounter();
    counter.record('a', 'on');
    counter.record('b', 'on');
    counter.take(0);
    expect(counter.isEmpty).toBe(true);
    expect(counter.take(0)).toEqual([]);
    counter.record('b', 'on');
    expect(counter.take(60_000)).toEqual([{ flag: 'b', variant: 'on', count: 1, minute: 60_000 }]);
  });
});
