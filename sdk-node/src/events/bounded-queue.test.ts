import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';

describe('BoundedQueue', () => {
  it('drops the oldest item to make room and counts it', () => {
    const queue = new BoundedQueue<number>(3);
    for (const n of [1, 2, 3, 4, 5]) queue.push(n);
    expect(queue.dropped).toBe(2);
    expect(queue.take(10)).toEqual([3, 4, 5]);
    expect(queue.size).toBe(0);
  });

  it('puts returned items back in front, dropping the oldest of them when full', () => {
    const queue = new BoundedQueue<number>(4);
    for (const n of [1, 2, 3]) queue.push(n);
    const taken = queue.take(3);
    queue.push(4);
    queue.push(5);
    queue.returnToFront(taken);
    expect(queue.dropped).toBe(1);
    expect(queue.take(10)).toEqual([2, 3, 4, 5]);
  });

  it('behaves like an array that keeps the newest `capacity` items', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer() }),
      fc.record({ take: fc.nat(6) }),
      fc.record({ returnTaken: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.nat(5), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const queue = new BoundedQueue<number>(capacity);
        let model: number[] = [];
        let dropped = 0;
        let lastTaken: number[] = [];
        for (const o of ops) {
          if ('push' in o) {
            queue.push(o.push);
            model.push(o.push);
            if (model.length > capacity) {
              dropped += model.length - capacity;
              model = model.slice(model.length - capacity);
            }
          } else if ('take' in o) {
            lastTaken = queue.take(o.take);
            expect(lastTaken).toEqual(model.slice(0, o.take));
            model = model.slice(o.take);
          } else {
            queue.returnToFront(lastTaken);
            const keep = Math.min(capacity - model.length, lastTaken.length);
            dropped += lastTaken.length - keep;
            model = [...lastTaken.slice(lastTaken.length - keep), ...model];
            lastTaken = [];
          }
          expect(queue.size).toBe(model.length);
          expect(queue.dropped).toBe(dropped);
        }
        expect(queue.take(capacity)).toEqual(model);
      }),
    );
  });
});
