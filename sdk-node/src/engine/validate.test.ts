import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.js';
import { validateFlagConfig, validateSegment } from './validate.js';

const base = {
  key: 'new-checkout',
  version: 1,
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  enabled: true,
  offVariation: 'off',
  fallthrough: { variation: 'off' },
};

function errorsOf(input: unknown, refs = {}) {
  const result = validateFlagConfig(input, refs);
  return result.ok ? [] : result.errors;
}

describe('validateFlagConfig', () => {
  it('accepts a minimal config and fills defaults', () => {
    const result = validateFlagConfig(base);
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.value).toMatchObject({ targets: [], rules: [], prerequisites: [], clientSide: false });
  });

  it('rejects a bad key and a missing field with their paths', () => {
    const errors = errorsOf({ ...base, key: 'Bad Key', fallthrough: undefined });
    expect(errors.map((e) => e.path).sort()).toEqual(['fallthrough', 'key']);
  });

  it('rejects unknown variation ids wherever they are referenced', () => {
    const errors = errorsOf({
      ...base,
      offVariation: 'nope',
      targets: [{ variation: 'gone', keys: ['u'] }],
      rules: [
        { id: 'r', clauses: [{ attribute: 'a', op: 'in', values: ['x'] }], serve: { variation: 'missing' } },
      ],
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'on', weight: 50_000 },
            { variation: 'x', weight: 50_000 },
          ],
        },
      },
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: 'offVariation', message: 'unknown variation "nope"' },
        { path: 'targets[0].variation', message: 'unknown variation "gone"' },
        { path: 'rules[0].serve.variation', message: 'unknown variation "missing"' },
        { path: 'fallthrough.rollout.variations[1].variation', message: 'unknown variation "x"' },
      ]),
    );
  });

  it('rejects weights that do not sum to 100000', () => {
    const errors = errorsOf({
      ...base,
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'on', weight: 10_000 },
            { variation: 'off', weight: 80_000 },
          ],
        },
      },
    });
    expect(errors).toEqual([
      { path: 'fallthrough.rollout.variations', message: 'weights must sum to 100000 (100%), not 90000' },
    ]);
  });

  it('rejects unknown operators and values of the wrong type for an operator', () => {
    const clause = (op: string, values: unknown[], attribute = 'a') => ({
      id: `r-${op}-${values.length}`,
      clauses: [{ attribute, op, values }],
      serve: { variation: 'on' },
    });
    const errors = errorsOf({
      ...base,
      rules: [
        clause('lt', ['10']),
        clause('startsWith', [1]),
        clause('before', ['not a date']),
        clause('semverGt', ['1.x']),
        clause('matches', ['(?=a)b']),
      ],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'rules[0].clauses[0].values[0]',
      'rules[1].clauses[0].values[0]',
      'rules[2].clauses[0].values[0]',
      'rules[3].clauses[0].values[0]',
      'rules[4].clauses[0].values[0]',
    ]);
    expect(errors[4]?.message).toMatch(/lookahead .* is not supported/);
    // Shape errors come first: an unknown operator is reported before anything that needs the whole config.
    expect(errorsOf({ ...base, rules: [clause('like', ['x'])] }).map((e) => e.path)).toEqual([
      'rules[0].clauses[0].op',
    ]);
  });

  it('rejects variation values of the wrong kind', () => {
    expect(
      errorsOf({
        ...base,
        variations: [
          { id: 'off', value: 'no' },
          { id: 'on', value: true },
        ],
      }),
    ).toEqual([{ path: 'variations[0].value', message: 'a boolean flag has boolean values' }]);
  });

  it('rejects a key targeted twice, duplicate ids and a missing attribute', () => {
    const errors = errorsOf({
      ...base,
      variations: [...base.variations, { id: 'on', value: true }],
      targets: [
        { variation: 'on', keys: ['u1', 'u2'] },
        { variation: 'off', keys: ['u2'] },
      ],
      rules: [
        { id: 'r', clauses: [{ op: 'in', values: ['x'] }], serve: { variation: 'on' } },
        { id: 'r', clauses: [{ op: 'inSegment', values: ['beta'] }], serve: { variation: 'on' } },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'variations[2].id',
      'targets[1].keys[0]',
      'rules[0].clauses[0].attribute',
      'rules[1].id',
    ]);
  });

  it('checks segment references when it can look them up', () => {
    const config = {
      ...base,
      rules: [{ id: 'r', clauses: [{ op: 'inSegment', values: ['beta'] }], serve: { variation: 'on' } }],
    };
    expect(errorsOf(config, { segmentExists: () => true })).toEqual([]);
    expect(errorsOf(config, { segmentExists: () => false })).toEqual([
      { path: 'rules[0].clauses[0].values[0]', message: 'unknown segment "beta"' },
    ]);
  });

  it('checks prerequisites: self, unknown flags and variations, and cycles', () => {
    const flags: Record<string, { variations: string[]; prerequisites: string[] }> = {
      a: { variations: ['on', 'off'], prerequisites: ['b'] },
      b: { variations: ['on', 'off'], prerequisites: ['new-checkout'] },
    };
    const refs = { flag: (key: string) => flags[key] };
    expect(
      errorsOf({ ...base, prerequisites: [{ flag: 'new-checkout', variation: 'on' }] }, refs)[0]?.message,
    ).toBe('a flag cannot be its own prerequisite');
    expect(errorsOf({ ...base, prerequisites: [{ flag: 'zzz', variation: 'on' }] }, refs)).toEqual([
      { path: 'prerequisites[0].flag', message: 'unknown flag "zzz"' },
    ]);
    expect(errorsOf({ ...base, prerequisites: [{ flag: 'b', variation: 'blue' }] }, refs)[0]?.path).toBe(
      'prerequisites[0].variation',
    );
    expect(errorsOf({ ...base, prerequisites: [{ flag: 'a', variation: 'on' }] }, refs)).toEqual([
      { path: 'prerequisites', message: 'prerequisite cycle: new-checkout → a → b → new-checkout' },
    ]);
  });

  it('enforces list limits', () => {
    const keys = Array.from({ length: LIMITS.targetKeys + 1 }, (_, i) => `u${i}`);
    expect(errorsOf({ ...base, targets: [{ variation: 'on', keys }] }).map((e) => e.path)).toEqual([
      'targets[0].keys',
    ]);
    const rules = Array.from({ length: LIMITS.rules + 1 }, (_, i) => ({
      id: `r${i}`,
      clauses: [{ attribute: 'a', op: 'in', values: ['x'] }],
      serve: { variation: 'on' },
    }));
    expect(errorsOf({ ...base, rules }).map((e) => e.path)).toEqual(['rules']);
  });
});

describe('validateSegment', () => {
  it('accepts a segment and fills defaults', () => {
    expect(validateSegment({ key: 'beta', included: ['u1'] })).toEqual({
      ok: true,
      value: { key: 'beta', version: 0, included: ['u1'], excluded: [], rules: [] },
    });
  });

  it('rejects a key both included and excluded, nested segments and bad clauses', () => {
    const result = validateSegment({
      key: 'beta',
      included: ['u1'],
      excluded: ['u1'],
      rules: [
        {
          clauses: [
            { op: 'inSegment', values: ['other'] },
            { attribute: 'age', op: 'gt', values: ['x'] },
          ],
        },
      ],
    });
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual([
      'excluded[0]',
      'rules[0].clauses[0].op',
      'rules[0].clauses[1].values[0]',
    ]);
  });
});
