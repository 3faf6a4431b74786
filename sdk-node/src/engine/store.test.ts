import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import type { FlagConfigInput } from './schema.js';
import { applyPatch, changedFlags, createStore } from './store.js';

const flag = (key: string, extra: Partial<FlagConfigInput> = {}): FlagConfigInput => ({
  key,
  version: 1,
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  enabled: true,
  offVariation: 'off',
  fallthrough: { variation: 'on' },
  ...extra,
});
const inBeta = {
  rules: [
    { id: 'beta', clauses: [{ op: 'inSegment' as const, values: ['beta'] }], serve: { variation: 'on' } },
  ],
  fallthrough: { variation: 'off' },
};

describe('store', () => {
  const store = createStore({
    revision: 1,
    flags: {
      a: flag('a', inBeta),
      b: flag('b', { prerequisites: [{ flag: 'a', variation: 'on' }] }),
      c: flag('c'),
    },
    segments: { beta: { key: 'beta', included: ['u1'] } },
  });

  it('applies a segment patch without recompiling flags, and names every flag it affects', () => {
    expect(evaluate('a', { key: 'u2' }, store, false).value).toBe(false);
    const { store: next, changed } = applyPatch(store, {
      revision: 2,
      segments: { beta: { key: 'beta', version: 2, included: ['u1', 'u2'] } },
    });
    expect(next.revision).toBe(2);
    expect(changed.sort()).toEqual(['a', 'b']);
    expect(evaluate('a', { key: 'u2' }, next, false).value).toBe(true);
    expect(evaluate('b', { key: 'u2' }, next, false).value).toBe(true);
    // The old snapshot is untouched.
    expect(evaluate('a', { key: 'u2' }, store, false).value).toBe(false);
  });

  it('deletes flags and segments patched to null', () => {
    const { store: next, changed } = applyPatch(store, {
      revision: 3,
      flags: { c: null },
      segments: { beta: null },
    });
    expect(changed.sort()).toEqual(['a', 'b', 'c']);
    expect(evaluate('c', {}, next, false).reason).toEqual({ kind: 'ERROR', errorKind: 'FLAG_NOT_FOUND' });
    expect(evaluate('a', { key: 'u1' }, next, true).value).toBe(false);
  });

  it('diffs two full payloads', () => {
    const next = createStore({
      revision: 4,
      flags: { a: flag('a', inBeta), b: flag('b', { version: 2, enabled: false }), d: flag('d') },
      segments: { beta: { key: 'beta', included: ['u1'] } },
    });
    expect(changedFlags(store, next).sort()).toEqual(['b', 'c', 'd']);
  });

  it('turns a prerequisite cycle in a payload into malformed flags instead of recursing', () => {
    const cyclic = createStore({
      revision: 1,
      flags: {
        x: flag('x', { prerequisites: [{ flag: 'y', variation: 'on' }] }),
        y: flag('y', { prerequisites: [{ flag: 'x', variation: 'on' }] }),
      },
      segments: {},
    });
    expect(evaluate('x', {}, cyclic, true).reason).toEqual({ kind: 'ERROR', errorKind: 'MALFORMED_FLAG' });
    expect(evaluate('y', {}, cyclic, true).reason).toEqual({ kind: 'ERROR', errorKind: 'MALFORMED_FLAG' });
    expect(cyclic.flags.get('x')?.errors[0]?.message).toBe('prerequisite cycle: x → y → x');
  });

  it('returns the same frozen result object for the same outcome', () => {
    const first = evaluate('c', { key: 'a' }, store, false);
    expect(evaluate('c', { key: 'b' }, store, false)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('answers GENERAL when reading the context throws', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
      },
    );
    expect(evaluate('a', hostile, store, false).reason).toEqual({ kind: 'ERROR', errorKind: 'GENERAL' });
  });
});
