import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { compileClause, toEpochMs } from './clauses.js';
import { LIMITS } from './limits.js';
import type { Clause, ClauseOp, Context } from './schema.js';
import { compareSemver, parseSemver } from './semver.js';

/**
 * The compiled clauses are specialised per operator and attribute for speed. This checks them
 * against a plain reading of DESIGN §3, written without any of those tricks: a clause matches when
 * any value matches; an array attribute matches when any element does; a missing attribute never
 * matches, negated or not. `matches` is RE2's unanchored search, one pattern at a time, and a value
 * longer than `LIMITS.regexInputLength` (an array: its strings together) is absent for it.
 */
type Primitive = string | number | boolean;
const isPrimitive = (x: unknown): x is Primitive =>
  typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

function referenceTest(op: ClauseOp, actual: Primitive, operand: Primitive): boolean {
  const strings = typeof actual === 'string' && typeof operand === 'string';
  const numbers = typeof actual === 'number' && typeof operand === 'number';
  switch (op) {
    case 'in':
      return actual === operand;
    case 'contains':
      return strings && (actual as string).includes(operand as string);
    case 'startsWith':
      return strings && (actual as string).startsWith(operand as string);
    case 'endsWith':
      return strings && (actual as string).endsWith(operand as string);
    case 'matches':
      return strings && RE2JS.compile(operand as string).test(actual as string);
    case 'lt':
      return numbers && (actual as number) < (operand as number);
    case 'lte':
      return numbers && (actual as number) <= (operand as number);
    case 'gt':
      return numbers && (actual as number) > (operand as number);
    case 'gte':
      return numbers && (actual as number) >= (operand as number);
    case 'before':
    case 'after': {
      if (typeof actual === 'boolean' || typeof operand === 'boolean') return false;
      const a = toEpochMs(actual);
      const b = toEpochMs(operand);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return op === 'before' ? a < b : a > b;
    }
    case 'semverEq':
    case 'semverLt':
    case 'semverGt': {
      if (typeof actual !== 'string' || typeof operand !== 'string') return false;
      const a = parseSemver(actual);
      const b = parseSemver(operand);
      if (!a || !b) return false;
      const c = compareSemver(a, b);
      return op === 'semverEq' ? c === 0 : op === 'semverLt' ? c < 0 : c > 0;
    }
    case 'inSegment':
      return false;
  }
}

function referenceMatch(clause: Clause, context: Record<string, unknown>): boolean {
  const value = context[clause.attribute ?? 'key'];
  let elements: Primitive[];
  if (isPrimitive(value)) elements = [value];
  else if (Array.isArray(value)) elements = value.filter(isPrimitive);
  else return false;
  if (clause.op === 'matches') {
    const length = elements.reduce<number>((sum, e) => sum + (typeof e === 'string' ? e.length : 0), 0);
    if (length > LIMITS.regexInputLength) return false;
  }
  const any = elements.some((element) =>
    clause.values.some((operand) => referenceTest(clause.op, element, operand)),
  );
  return clause.negate === true ? !any : any;
}

const text = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'c', '.', 'é', '😀'), maxLength: 4 }),
  },
  // Around the length past which `matches` treats a string as absent.
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(LIMITS.regexInputLength, LIMITS.regexInputLength + 1)
      .map((n) => 'ab'.repeat(n).slice(0, n)),
  },
);
const number = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }),
);
const date = fc.constantFrom('2024-01-01T00:00:00Z', '2023-06-15', '2025-12-31T23:59:59.999Z', 'not a date');
const epoch = fc.constantFrom(1_600_000_000_000, 1_704_067_200_000, 1_800_000_000_000);
const version = fc.constantFrom(
  '1.0.0',
  '1.2',
  '2',
  '2.0.0-beta.1',
  '2.0.0-beta.11',
  '2.0.0',
  '10.1.0',
  'v3.1.4',
  'x.y',
);

const operands: Record<Exclude<ClauseOp, 'inSegment'>, fc.Arbitrary<Primitive>> = {
  in: fc.oneof(text, number, fc.boolean()),
  contains: text,
  startsWith: text,
  endsWith: text,
  matches: fc.constantFrom('^a', 'b$', 'a.b', '[ab]+', '^$', 'é', '^.$', '(?i)A', '\\pL{2}', '((a|a))+$', ''),
  lt: number,
  lte: number,
  gt: number,
  gte: number,
  before: fc.oneof(
    date.filter((d) => d !== 'not a date'),
    epoch,
  ),
  after: fc.oneof(
    date.filter((d) => d !== 'not a date'),
    epoch,
  ),
  semverEq: version.filter((v) => v !== 'x.y'),
  semverLt: version.filter((v) => v !== 'x.y'),
  semverGt: version.filter((v) => v !== 'x.y'),
};

const clause: fc.Arbitrary<Clause> = fc
  .constantFrom(...(Object.keys(operands) as (keyof typeof operands)[]))
  .chain((op) =>
    fc.record({
      attribute: fc.constantFrom('key', 'groups', 'a'),
      op: fc.constant(op),
      values: fc.array(operands[op], { minLength: 1, maxLength: 3 }),
      negate: fc.boolean(),
    }),
  );

const attributeValue = fc.oneof(
  text,
  number,
  fc.boolean(),
  date,
  epoch,
  version,
  fc.array(fc.oneof(text, number, fc.boolean(), version), { maxLength: 3 }),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant({ nested: 'object' }),
);
const context = fc.record(
  { key: attributeValue, groups: attributeValue, a: attributeValue },
  { requiredKeys: [] },
);

describe('compiled clauses', () => {
  it('agree with a plain reading of the clause rules on every operator', () => {
    const noSegments = new Map();
    fc.assert(
      fc.property(clause, context, (c, ctx) => {
        expect(compileClause(c)(ctx as Context, noSegments)).toBe(referenceMatch(c, ctx));
      }),
      { numRuns: 20_000 },
    );
  });
});
