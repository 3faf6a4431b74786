import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { LIMITS } from './limits.js';
import { checkRegex, compileRegexTest } from './regex.js';
import type { Clause, FlagConfigInput } from './schema.js';
import { createStore } from './store.js';
import { validateFlagConfig } from './validate.js';

/** A boolean flag that serves `on` when the context's `v` matches any of the patterns. */
const flag = (patterns: readonly string[], negate = false): FlagConfigInput => ({
  key: 'regex',
  version: 1,
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  enabled: true,
  offVariation: 'off',
  rules: [
    {
      id: 'r',
      clauses: [{ attribute: 'v', op: 'matches', values: [...patterns], negate } satisfies Clause],
      serve: { variation: 'on' },
    },
  ],
  fallthrough: { variation: 'off' },
});

const storeOf = (patterns: readonly string[], negate = false) =>
  createStore({ revision: 1, flags: { regex: flag(patterns, negate) }, segments: {} });

/** Patterns that take exponential or high-polynomial time in a backtracking engine. */
const CATASTROPHIC = [
  '(a+)+$',
  '((a|a))+$',
  '(a|aa)+$',
  '(a|a?)+$',
  '\\w*\\w*\\w*\\w*!',
  '(.*a){20}',
  '^(a?){30}a{30}$',
  '(x+x+)+y',
  '(\\d+\\s?)+$',
  '^([a-zA-Z0-9_.+-]+)+@(([a-zA-Z0-9-])+\\.)+[a-zA-Z]{2,}$',
];

const N = LIMITS.regexInputLength;
/** Inputs of the longest length `matches` tests, each one the worst case of some pattern above. */
const HOSTILE = [
  'a'.repeat(N),
  `${'a'.repeat(N - 1)}!`,
  'x'.repeat(N),
  `${'1'.repeat(N - 1)}!`,
  `${'1 '.repeat(N / 2 - 1)}1!`,
  `${'a@'.repeat(N / 2 - 1)}a!`,
];

describe('checkRegex', () => {
  it.each([
    '^[a-z]+@example\\.com$',
    '^\\+49[0-9]+$',
    '(foo|bar)+',
    '^(?:staff|admin)$',
    '\\d{3}-\\d{4}',
    '(?<year>\\d{4})-(?P<month>\\d{2})',
    '(?i)^beta',
    '^\\p{Greek}+$',
    '\\x{1F600}',
    '',
    // The HTML form e-mail pattern, 259 instructions.
    "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$",
    ...CATASTROPHIC,
  ])('accepts %s', (pattern) => {
    expect(checkRegex(pattern)).toBeNull();
  });

  it.each([
    ['(?=a)b', /^invalid regular expression: lookahead .* not supported/],
    ['a(?!b)', /lookahead .* not supported/],
    ['(?<=a)b', /lookbehind .* not supported/],
    ['(?<!a)b', /lookbehind .* not supported/],
    ['(a)\\1', /back-references \(\\1\) are not supported/],
    ['(?<x>a)\\k<x>', /back-references \(\\k\) are not supported/],
    ['\\u00e9', /use \\x\{00e9\}/],
    ['a++', /invalid nested repetition operator: `\+\+`/],
    ['[a-', /missing closing \]/],
    ['(', /missing closing \)/],
    ['a{1001}', /invalid repeat count/],
    ['[a-z]{500}', /too large once compiled \(\d+ instructions, at most 400\)/],
    ['a'.repeat(257), /longer than 256/],
  ])('rejects %s', (pattern, message) => {
    expect(checkRegex(pattern)).toMatch(message);
  });

  it("limits the compiled size of a config's regular expressions together", () => {
    const big = '[a-z]{390}'; // 392 instructions
    expect(validateFlagConfig(flag([big, big, big, big, big]))).toMatchObject({ ok: true });
    expect(validateFlagConfig(flag([big, big, big, big, big, big]))).toEqual({
      ok: false,
      errors: [
        {
          path: 'rules',
          message: 'the regular expressions compile to 2352 instructions together, at most 2000',
        },
      ],
    });
  });

  it('reports a rejected pattern at its field path', () => {
    const result = validateFlagConfig(flag(['ok', '(?<=a)b']));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toEqual([{ path: 'rules[0].clauses[0].values[1]', message: expect.any(String) }]);
    }
  });
});

describe('matches', () => {
  it('accepts every catastrophic pattern and tests each on long hostile inputs in linear time', () => {
    const stores = CATASTROPHIC.map((pattern) => {
      expect(validateFlagConfig(flag([pattern]))).toMatchObject({ ok: true });
      return storeOf([pattern]);
    });
    const started = performance.now();
    for (const store of stores) {
      for (const v of HOSTILE) evaluate('regex', { v }, store, false);
    }
    const elapsed = performance.now() - started;
    // A backtracking engine takes seconds to forever on any one of these; RE2 takes milliseconds.
    expect(elapsed).toBeLessThan(2_000);
  });

  it('agrees with JavaScript on short inputs, where backtracking is still quick', () => {
    const inputs = [
      '',
      'a',
      'aaaa',
      'aaaa!',
      'xxy',
      'xxxxy',
      '12 34',
      '12 34!',
      'ab@cd.ef',
      'a@b',
      'a'.repeat(20),
    ];
    for (const pattern of CATASTROPHIC) {
      const store = storeOf([pattern]);
      const native = new RegExp(pattern);
      for (const v of inputs) {
        expect([pattern, v, evaluate('regex', { v }, store, false).value]).toEqual([
          pattern,
          v,
          native.test(v),
        ]);
      }
    }
  });

  it('tests a value up to the input limit; a longer one counts as absent, negated or not', () => {
    const longest = `${'a'.repeat(N - 1)}!`;
    const tooLong = `${'a'.repeat(N)}!`;
    const plain = storeOf(['!$']);
    const negated = storeOf(['!$'], true);
    expect(evaluate('regex', { v: longest }, plain, false).value).toBe(true);
    expect(evaluate('regex', { v: tooLong }, plain, false).value).toBe(false);
    expect(evaluate('regex', { v: tooLong }, negated, false).value).toBe(false);
    // An array's strings count together.
    const half = 'a'.repeat(N / 2);
    expect(evaluate('regex', { v: [half, `${half.slice(1)}!`] }, plain, false).value).toBe(true);
    expect(evaluate('regex', { v: [half, `${half}!`] }, plain, false).value).toBe(false);
    expect(evaluate('regex', { v: [half, `${half}!`] }, negated, false).value).toBe(false);
  });

  it('follows RE2 syntax: code points, Unicode classes, inline flags, unanchored search', () => {
    const matches = (pattern: string, v: string) => evaluate('regex', { v }, storeOf([pattern]), false).value;
    expect(matches('^.$', '😀')).toBe(true); // one code point, not two UTF-16 units
    expect(matches('^\\p{L}+$', 'Ärger')).toBe(true);
    expect(matches('^\\w+$', 'Ärger')).toBe(false); // \w is ASCII
    expect(matches('(?i)^straße$', 'STRASSE')).toBe(false); // simple case folding only
    expect(matches('(?i)^beta$', 'BeTa')).toBe(true);
    expect(matches('^a.c$', 'a\nc')).toBe(false);
    expect(matches('(?s)^a.c$', 'a\nc')).toBe(true);
    expect(matches('b', 'abc')).toBe(true);
    expect(matches('x\\d', 'x\u0663')).toBe(false); // \d is ASCII
  });

  it('never throws, whatever the patterns and the values (lone surrogates included)', () => {
    const unit = fc.oneof(
      fc.constantFrom(...'()[]{}|*+?.^$\\-:=!<>PpkxdwsbQE0123456789,aAzZ'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const pattern = fc.string({ unit, maxLength: 24 });
    const value = fc.string({
      unit: fc.oneof(
        fc.constantFrom('a', 'b', '1', ' ', '\n'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      ),
      maxLength: 40,
    });
    fc.assert(
      fc.property(
        fc.array(pattern, { minLength: 1, maxLength: 3 }),
        fc.array(value, { maxLength: 4 }),
        (patterns, values) => {
          for (const p of patterns) expect(() => checkRegex(p)).not.toThrow();
          const test = compileRegexTest(patterns);
          for (const v of values) expect(() => test(v)).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('makes a stored pattern RE2 cannot compile a malformed flag, and a segment using it match nobody', () => {
    const store = createStore({
      revision: 1,
      flags: {
        regex: flag(['(?<=a)b']),
        staff: {
          ...flag([]),
          key: 'staff',
          rules: [
            { id: 's', clauses: [{ op: 'inSegment', values: ['legacy'] }], serve: { variation: 'on' } },
          ],
        },
      },
      segments: {
        legacy: {
          key: 'legacy',
          rules: [{ clauses: [{ attribute: 'v', op: 'matches', values: ['(?!x)'] }] }],
        },
      },
    });
    expect(evaluate('regex', { v: 'ab' }, store, false)).toEqual({
      value: false,
      variant: null,
      reason: { kind: 'ERROR', errorKind: 'MALFORMED_FLAG' },
    });
    expect(evaluate('staff', { v: 'ab' }, store, false)).toMatchObject({ value: false, variant: 'off' });
  });
});
