import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluateAll, evaluateAllValues } from './evaluate.js';
import type { EvaluationDetail } from './result.js';
import type { Context, FlagConfigInput, JsonValue } from './schema.js';
import { ResultShape } from './shape.js';
import { applyPatch, createStore, type FlagStore } from './store.js';

const base = {
  key: 'f',
  version: 1,
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  enabled: true,
  offVariation: 'off',
  fallthrough: { variation: 'on' },
} satisfies FlagConfigInput;

/** Configs of every kind of outcome: constant, rule, rollout, JSON value, prerequisite, malformed. */
const CONFIGS: readonly unknown[] = [
  base,
  { ...base, enabled: false },
  {
    ...base,
    rules: [
      {
        id: 'r',
        clauses: [{ attribute: 'key', op: 'in', values: ['u1', 'u2'] }],
        serve: { variation: 'on' },
      },
    ],
    fallthrough: { variation: 'off' },
  },
  {
    ...base,
    kind: 'string',
    variations: [
      { id: 'a', value: 'blue' },
      { id: 'b', value: 'green' },
    ],
    offVariation: 'a',
    fallthrough: {
      rollout: {
        variations: [
          { variation: 'a', weight: 50_000 },
          { variation: 'b', weight: 50_000 },
        ],
      },
    },
  },
  {
    ...base,
    kind: 'json',
    variations: [
      { id: 'off', value: { size: 1 } },
      { id: 'on', value: [1, 'two'] },
    ],
  },
  { ...base, prerequisites: [{ flag: 'missing', variation: 'on' }] },
  // Reads an attribute that a hostile context makes throw.
  {
    ...base,
    rules: [
      { id: 'r', clauses: [{ attribute: 'boom', op: 'in', values: ['x'] }], serve: { variation: 'on' } },
    ],
  },
  { not: 'a flag' },
  { ...base, clientSide: true },
  { clientSide: true },
];

/** Keys a payload may carry, valid or not: JavaScript-special names, array indices, quotes, escapes. */
const KEYS = [
  'new-checkout',
  '__proto__',
  'constructor',
  'toString',
  '0',
  '42',
  '01',
  '-1',
  '4294967295',
  'a"b',
  "a'b",
  'a\\b',
  '$' + '{x}',
  'line\nbreak',
  'sep\u2028arator',
  'lone\ud800surrogate',
  '',
];

const hostile: Context = Object.defineProperty({ key: 'u1' }, 'boom', {
  enumerable: true,
  get() {
    throw new Error('hostile');
  },
});
const CONTEXTS: readonly Context[] = [{}, { key: 'u1' }, { key: 'u3', groups: ['beta'] }, hostile];

/** An object with `entries` defined in order, as "all flags" promises to build its result. */
function inOrder<T>(entries: readonly (readonly [string, T])[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of entries)
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  return out;
}

/** What `evaluateAll` must return: each flag evaluated on its own, in the store's order. */
function detailsOneByOne(
  context: Context,
  store: FlagStore,
): Record<string, EvaluationDetail<JsonValue | null>> {
  return inOrder([...store.flags.keys()].map((key) => [key, evaluate(key, context, store, null)] as const));
}

/** What `evaluateAllValues` must return: the same, without the flags that could not be evaluated. */
function valuesOneByOne(context: Context, store: FlagStore): Record<string, JsonValue> {
  const entries = Object.entries(detailsOneByOne(context, store));
  return inOrder(
    entries.filter(([, d]) => d.reason.kind !== 'ERROR').map(([k, d]) => [k, d.value as JsonValue]),
  );
}

const payload = fc
  .uniqueArray(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), { maxLength: 12 })
  .chain((keys) =>
    fc
      .tuple(...keys.map(() => fc.constantFrom(...CONFIGS)))
      .map((configs) => Object.fromEntries(keys.map((key, i) => [key, configs[i]]))),
  );

describe('all flags', () => {
  it('equals every flag evaluated on its own, in the same key order, for any keys and contexts', () => {
    fc.assert(
      fc.property(payload, fc.constantFrom(...CONTEXTS), (flags, context) => {
        const store = createStore({ revision: 1, flags, segments: {} });
        const details = evaluateAll(context, store);
        const values = evaluateAllValues(context, store);
        expect(Object.getPrototypeOf(details)).toBe(Object.prototype);
        expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
        expect(Object.entries(details)).toEqual(Object.entries(detailsOneByOne(context, store)));
        expect(Object.entries(values)).toEqual(Object.entries(valuesOneByOne(context, store)));
        const clientSide = Object.entries(detailsOneByOne(context, store)).filter(
          ([key]) => store.flags.get(key)?.clientSide,
        );
        expect(Object.entries(evaluateAll(context, store, 'clientSide'))).toEqual(clientSide);
        const chosen = evaluateAll(context, store, (flag) => flag.clientSide);
        expect(Object.getPrototypeOf(chosen)).toBe(Object.prototype);
        expect(Object.entries(chosen)).toEqual(clientSide);
      }),
      { numRuns: 500 },
    );
  });

  it('gives each call its own object', () => {
    const store = createStore({ revision: 1, flags: { a: base, b: CONFIGS[2] }, segments: {} });
    const first = evaluateAllValues({ key: 'u1' }, store);
    first.a = 'changed';
    expect(evaluateAllValues({ key: 'u1' }, store)).toEqual({ a: true, b: true });
    expect(evaluateAllValues({ key: 'u9' }, store)).toEqual({ a: true, b: false });
    expect(evaluateAll({}, store)).not.toBe(evaluateAll({}, store));
  });

  it('evaluates only the flags `include` accepts, in order', () => {
    const flags = { c: base, a: CONFIGS[2], b: { ...base, clientSide: true }, d: CONFIGS[7] };
    const store = createStore({ revision: 1, flags, segments: {} });
    const picked = evaluateAll({ key: 'u1' }, store, (flag) => flag.clientSide || flag.config === null);
    expect(Object.keys(picked)).toEqual(['b', 'd']);
    expect(picked.b).toEqual(evaluate('b', { key: 'u1' }, store, null));
    expect(picked.d?.reason).toEqual({ kind: 'ERROR', errorKind: 'MALFORMED_FLAG' });
  });

  it('keeps its result shapes across a patch that leaves the keys alone, and only then', () => {
    const store = createStore({ revision: 1, flags: { a: base, b: CONFIGS[2] }, segments: {} });
    evaluateAllValues({ key: 'u1' }, store);
    const same = applyPatch(store, { revision: 2, flags: { b: { ...base, version: 2 } } }).store;
    expect(same.all.shape).toBe(store.all.shape);
    expect(same.evaluable.shape).toBe(store.evaluable.shape);
    expect(evaluateAllValues({ key: 'u9' }, same)).toEqual({ a: true, b: true });

    const broken = applyPatch(same, { revision: 3, flags: { a: { not: 'a flag' } } }).store;
    expect(broken.all.shape).toBe(store.all.shape);
    expect(broken.evaluable.shape).not.toBe(store.evaluable.shape);
    expect(evaluateAllValues({ key: 'u9' }, broken)).toEqual({ b: true });

    const added = applyPatch(broken, { revision: 4, flags: { c: base } }).store;
    expect(added.all.shape).not.toBe(store.all.shape);
    expect(Object.keys(evaluateAll({}, added))).toEqual(['a', 'b', 'c']);
  });
});

describe('ResultShape', () => {
  const keys = [...KEYS, ...Array.from({ length: 2_500 }, (_, i) => `flag-${i}`)];
  const values = keys.map((_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? `v${i}` : { i }));
  const expected = Object.entries(inOrder(keys.map((key, i) => [key, values[i]] as const)));

  it('fills every key, in order, with generated code (several functions) and with the plain loop', () => {
    expect(Object.entries(new ResultShape(keys).build(values))).toEqual(expected);
    expect(Object.entries(new ResultShape(keys, false).build(values))).toEqual(expected);
  });

  it('falls back to the loop where code cannot be generated from strings', () => {
    const original = globalThis.Function;
    globalThis.Function = function refuse() {
      throw new EvalError('Code generation from strings disallowed for this context');
    } as unknown as FunctionConstructor;
    let built: Record<string, unknown>;
    try {
      built = new ResultShape(keys).build(values);
    } finally {
      globalThis.Function = original;
    }
    expect(Object.entries(built)).toEqual(expected);
  });
});
