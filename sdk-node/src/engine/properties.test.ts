import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluateAll } from './evaluate.js';
import { TOTAL_WEIGHT } from './limits.js';
import { type Clause, clauseOpSchema, type FlagConfigInput, type JsonValue } from './schema.js';
import { createStore } from './store.js';

const OPS = clauseOpSchema.options;
const ATTRIBUTES = ['key', 'groups', 'email', 'age', 'country', 'version', 'signup', '__proto__', 'toString'];

const primitive = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom('1.2.3', '2024-01-01T00:00:00Z', 'staff', '^a.*$', 'beta'),
);
const attributeValue = fc.oneof(
  primitive,
  fc.array(primitive, { maxLength: 4 }),
  fc.constant(null),
  fc.anything(),
);
const context = fc.oneof(
  fc.dictionary(fc.constantFrom(...ATTRIBUTES, 'plan', 'x'), attributeValue, { maxKeys: 6 }),
  fc.anything(),
);

const clause: fc.Arbitrary<Clause> = fc.record(
  {
    attribute: fc.constantFrom(...ATTRIBUTES),
    op: fc.constantFrom(...OPS),
    values: fc.array(primitive, { minLength: 1, maxLength: 3 }),
    negate: fc.boolean(),
  },
  { requiredKeys: ['op', 'values'] },
) as fc.Arbitrary<Clause>;

const variationId = fc.constantFrom('off', 'on', 'x');
const serve = fc.oneof(
  variationId.map((variation) => ({ variation })),
  fc.integer({ min: 0, max: TOTAL_WEIGHT }).map((w) => ({
    rollout: {
      variations: [
        { variation: 'on', weight: w },
        { variation: 'off', weight: TOTAL_WEIGHT - w },
      ],
    },
  })),
  fc.anything(),
);

/** Configs that are mostly valid, sometimes not: evaluation must cope with both. */
const config = fc.record({
  key: fc.constantFrom('f1', 'f2', 'f3'),
  version: fc.nat(),
  kind: fc.constantFrom('boolean', 'string', 'json'),
  variations: fc.constant([
    { id: 'off', value: false },
    { id: 'on', value: true },
  ]),
  enabled: fc.boolean(),
  offVariation: variationId,
  prerequisites: fc.array(fc.record({ flag: fc.constantFrom('f1', 'f2', 'f3'), variation: variationId }), {
    maxLength: 2,
  }),
  targets: fc.array(
    fc.record({ variation: variationId, keys: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }) }),
    {
      maxLength: 2,
    },
  ),
  rules: fc.array(
    fc.record({
      id: fc.constantFrom('r1', 'r2', 'r3'),
      clauses: fc.array(clause, { minLength: 1, maxLength: 3 }),
      serve,
    }),
    { maxLength: 3 },
  ),
  fallthrough: serve,
});

const segment = fc.record({
  key: fc.constant('beta'),
  included: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  excluded: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  rules: fc.array(fc.record({ clauses: fc.array(clause, { minLength: 1, maxLength: 2 }) }), { maxLength: 2 }),
});

const defaults: JsonValue[] = [false, 'x', 0, {}, null as unknown as JsonValue];

describe('evaluation properties', () => {
  it('never throws, for arbitrary configs, segments, contexts and defaults', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(config, fc.anything()), { maxLength: 3 }),
        fc.option(segment),
        context,
        fc.constantFrom(...defaults),
        (configs, seg, ctx, defaultValue) => {
          const flags: Record<string, unknown> = {};
          configs.forEach((c, i) => {
            flags[`f${i + 1}`] = c;
          });
          const store = createStore({ revision: 1, flags, segments: seg ? { beta: seg } : {} });
          for (const key of ['f1', 'f2', 'f3', 'missing']) {
            const detail = evaluate(key, ctx as never, store, defaultValue);
            expect(detail.reason.kind).toBeTypeOf('string');
          }
          expect(Object.keys(evaluateAll(ctx as never, store)).length).toBe(configs.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  const rolloutFlag = (key: string, salt: string, weights: number[]): FlagConfigInput => ({
    key,
    version: 1,
    kind: 'string',
    variations: weights.map((_, i) => ({ id: `v${i}`, value: `v${i}` })),
    enabled: true,
    offVariation: 'v0',
    fallthrough: {
      rollout: { salt, variations: weights.map((weight, i) => ({ variation: `v${i}`, weight })) },
    },
  });

  it('raising the first variation’s weight never takes it away from anyone who had it', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: TOTAL_WEIGHT }),
        fc.integer({ min: 0, max: TOTAL_WEIGHT }),
        fc.array(fc.string({ minLength: 1, maxLength: 16 }), { minLength: 1, maxLength: 200 }),
        (salt, a, b, keys) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const before = createStore({
            revision: 1,
            flags: { f: rolloutFlag('f', salt, [low, TOTAL_WEIGHT - low]) },
            segments: {},
          });
          const after = createStore({
            revision: 2,
            flags: { f: rolloutFlag('f', salt, [high, TOTAL_WEIGHT - high]) },
            segments: {},
          });
          for (const key of keys) {
            if (evaluate('f', { key }, before, '').variant === 'v0') {
              expect(evaluate('f', { key }, after, '').variant).toBe('v0');
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('over 100,000 keys each variation’s share is within 0.5 points of its weight', () => {
    const split = fc
      .tuple(fc.integer({ min: 0, max: TOTAL_WEIGHT }), fc.integer({ min: 0, max: TOTAL_WEIGHT }))
      .map(([a, b]) => {
        const [x, y] = a <= b ? [a, b] : [b, a];
        return [x, y - x, TOTAL_WEIGHT - y];
      });
    fc.assert(
      fc.property(
        split,
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.string({ maxLength: 6 }),
        (weights, salt, prefix) => {
          const store = createStore({
            revision: 1,
            flags: { f: rolloutFlag('f', salt, weights) },
            segments: {},
          });
          const counts = [0, 0, 0];
          const n = 100_000;
          for (let i = 0; i < n; i++) {
            const variant = evaluate('f', { key: `${prefix}user-${i}` }, store, '').variant as string;
            const index = Number(variant.slice(1));
            counts[index] = (counts[index] ?? 0) + 1;
          }
          weights.forEach((weight, i) => {
            const share = ((counts[i] as number) / n) * 100;
            expect(Math.abs(share - weight / 1000)).toBeLessThanOrEqual(0.5);
          });
        },
      ),
      // A fair hash lands within 0.5 points with ~3.2σ margin per variation, so a random seed would fail
      // about once in 40 runs by chance alone; a fixed seed keeps the check strict and the run repeatable.
      { numRuns: 8, seed: 20261126 },
    );
  });

  it('flags that share a salt share their cohorts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: TOTAL_WEIGHT - 1 }),
        fc.array(fc.string({ minLength: 1 }), { maxLength: 100 }),
        (w, keys) => {
          const store = createStore({
            revision: 1,
            flags: {
              a: rolloutFlag('a', 'shared-cohort', [w, TOTAL_WEIGHT - w]),
              b: rolloutFlag('b', 'shared-cohort', [w, TOTAL_WEIGHT - w]),
            },
            segments: {},
          });
          for (const key of keys)
            expect(evaluate('a', { key }, store, '').variant).toBe(evaluate('b', { key }, store, '').variant);
        },
      ),
      { numRuns: 200 },
    );
  });
});
