import { LIMITS } from './limits.js';
import { compileRegexTest } from './regex.js';
import type { Clause, Context, Segment } from './schema.js';
import { compareSemver, parseSemver, type SemVer } from './semver.js';

type Primitive = string | number | boolean;

/**
 * A compiled clause or rule: decides whether a context matches. Compiled once per config, so that an
 * evaluation does no parsing, no regex construction and no allocation (except inside RE2 for
 * `matches`, which runs in time linear in the attribute's length: see regex.ts).
 *
 * The common operators (`in`, `startsWith`, `endsWith`, `contains`, `matches`) compile to a closure of
 * their own with the attribute read and the test inline; the others share one that calls a
 * per-clause test. On V8 this measured faster per rule than interpreting clause data, whether by one
 * generic function or by a `switch` over clause kinds (see docs/benchmarks.md).
 */
export type ContextMatcher = (context: Context, segments: SegmentMap) => boolean;

/** A segment compiled for matching: excluded keys, then included keys, then rules (ORed). */
export interface CompiledSegment {
  readonly key: string;
  /** The segment as validated, or `null` when it is malformed (it then matches nobody). */
  readonly segment: Segment | null;
  readonly excluded: ReadonlySet<string>;
  readonly included: ReadonlySet<string>;
  readonly rules: readonly ContextMatcher[];
}

/** The segments of a snapshot by key, looked up at evaluation time so a segment change needs no recompile. */
export type SegmentMap = ReadonlyMap<string, CompiledSegment>;

// How an attribute is read. `key` and `groups` are first-class in the context model and read by
// name: a named load is cheaper than the keyed one (`context[name]`) every other attribute needs.
const READ_KEY = 0;
const READ_GROUPS = 1;
const READ_BY_NAME = 2;

/** How to read an attribute: a code for {@link readAttribute}. */
export function attributeReader(attribute: string): number {
  return attribute === 'key' ? READ_KEY : attribute === 'groups' ? READ_GROUPS : READ_BY_NAME;
}

/** Reads an attribute of a context, the way {@link attributeReader} chose. */
export function readAttribute(context: Context, reader: number, attribute: string): Context[string] {
  return reader === READ_KEY ? context.key : reader === READ_GROUPS ? context.groups : context[attribute];
}

/** Compiles the clauses of a rule, or of a segment rule: all must match. */
export function compileClauses(clauses: readonly Clause[]): ContextMatcher {
  const matchers = clauses.map(compileClause);
  if (matchers.length === 1) return matchers[0] as ContextMatcher;
  return (context, segments) => {
    for (let i = 0; i < matchers.length; i++) {
      if (!(matchers[i] as ContextMatcher)(context, segments)) return false;
    }
    return true;
  };
}

/**
 * Compiles one clause. A clause matches when any of its values matches; an array attribute matches
 * when any element does; a missing attribute never matches, negated or not (DESIGN §3).
 * The clause must have passed validation; unknown operators compile to "never matches".
 */
export function compileClause(clause: Clause): ContextMatcher {
  const attribute = clause.attribute ?? 'key';
  const reader = attributeReader(attribute);
  const negate = clause.negate === true;
  switch (clause.op) {
    case 'in':
      return clause.values.length === 1
        ? inOneMatcher(reader, attribute, negate, clause.values[0] as Primitive)
        : inSetMatcher(reader, attribute, negate, new Set<Primitive>(clause.values));
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return stringMatcher(reader, attribute, negate, stringTest(clause.op, strings(clause)));
    case 'matches':
      // A value longer than the limit is never run through the regex: it counts as absent.
      return stringMatcher(
        reader,
        attribute,
        negate,
        compileRegexTest(strings(clause)),
        LIMITS.regexInputLength,
      );
    case 'inSegment': {
      const keys = strings(clause);
      return (context, segments) => inAnySegment(keys, context, segments) !== negate;
    }
    default:
      return primitiveMatcher(reader, attribute, negate, primitiveTest(clause));
  }
}

function inOneMatcher(reader: number, attribute: string, negate: boolean, one: Primitive): ContextMatcher {
  return (context) => {
    const value = readAttribute(context, reader, attribute);
    if (typeof value === 'string') return (value === one) !== negate;
    if (Array.isArray(value)) {
      // An element equal to `one` is a primitive, so elements need no type check.
      for (let i = 0; i < value.length; i++) if (value[i] === one) return !negate;
      return negate;
    }
    return (typeof value === 'number' || typeof value === 'boolean') && (value === one) !== negate;
  };
}

function inSetMatcher(
  reader: number,
  attribute: string,
  negate: boolean,
  set: ReadonlySet<unknown>,
): ContextMatcher {
  return (context) => {
    const value = readAttribute(context, reader, attribute);
    if (typeof value === 'string') return set.has(value) !== negate;
    if (Array.isArray(value)) {
      // The set holds primitives only, so elements need no type check.
      for (let i = 0; i < value.length; i++) if (set.has(value[i])) return !negate;
      return negate;
    }
    return (typeof value === 'number' || typeof value === 'boolean') && set.has(value) !== negate;
  };
}

type StringTest = (value: string) => boolean;

/**
 * A string operator's matcher. A value with more than `longest` characters (an array: in its strings
 * together) is treated as absent: it never matches, negated or not. This bounds the work of a test.
 */
function stringMatcher(
  reader: number,
  attribute: string,
  negate: boolean,
  test: StringTest,
  longest = Number.POSITIVE_INFINITY,
): ContextMatcher {
  const bounded = longest !== Number.POSITIVE_INFINITY;
  return (context) => {
    const value = readAttribute(context, reader, attribute);
    if (typeof value === 'string') return value.length <= longest && test(value) !== negate;
    if (Array.isArray(value)) {
      if (bounded && stringsLength(value) > longest) return false;
      for (let i = 0; i < value.length; i++) {
        const element: unknown = value[i];
        if (typeof element === 'string' && test(element)) return !negate;
      }
      return negate;
    }
    // A number or a boolean never matches a string operator (so it does when negated).
    return (typeof value === 'number' || typeof value === 'boolean') && negate;
  };
}

function stringsLength(array: readonly unknown[]): number {
  let length = 0;
  for (let i = 0; i < array.length; i++) {
    const element = array[i];
    if (typeof element === 'string') length += element.length;
  }
  return length;
}

function stringTest(op: 'contains' | 'startsWith' | 'endsWith', operands: readonly string[]): StringTest {
  if (operands.length === 1) {
    const only = operands[0] as string;
    if (op === 'endsWith') return (v) => v.endsWith(only);
    if (op === 'startsWith') return (v) => v.startsWith(only);
    return (v) => v.includes(only);
  }
  return (v) => {
    for (let i = 0; i < operands.length; i++) {
      const operand = operands[i] as string;
      if (
        op === 'endsWith'
          ? v.endsWith(operand)
          : op === 'startsWith'
            ? v.startsWith(operand)
            : v.includes(operand)
      )
        return true;
    }
    return false;
  };
}

type PrimitiveTest = (value: Primitive) => boolean;

function primitiveMatcher(
  reader: number,
  attribute: string,
  negate: boolean,
  test: PrimitiveTest,
): ContextMatcher {
  return (context) => {
    const value = readAttribute(context, reader, attribute);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return test(value) !== negate;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const element: unknown = value[i];
        if (
          (typeof element === 'string' || typeof element === 'number' || typeof element === 'boolean') &&
          test(element)
        )
          return !negate;
      }
      return negate;
    }
    return false;
  };
}

function strings(clause: Clause): string[] {
  return clause.values.filter((v): v is string => typeof v === 'string');
}

function numbers(clause: Clause): number[] {
  return clause.values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** The test of the less common operators: numbers, dates, versions. */
function primitiveTest(clause: Clause): PrimitiveTest {
  switch (clause.op) {
    case 'lt':
      return numberTest(numbers(clause), (a, b) => a < b);
    case 'lte':
      return numberTest(numbers(clause), (a, b) => a <= b);
    case 'gt':
      return numberTest(numbers(clause), (a, b) => a > b);
    case 'gte':
      return numberTest(numbers(clause), (a, b) => a >= b);
    case 'before':
      return dateTest(clause, (a, b) => a < b);
    case 'after':
      return dateTest(clause, (a, b) => a > b);
    case 'semverEq':
      return semverTest(clause, (c) => c === 0);
    case 'semverLt':
      return semverTest(clause, (c) => c < 0);
    case 'semverGt':
      return semverTest(clause, (c) => c > 0);
    default:
      return () => false;
  }
}

function numberTest(operands: number[], test: (value: number, operand: number) => boolean): PrimitiveTest {
  return (v) => {
    if (typeof v !== 'number') return false;
    for (let i = 0; i < operands.length; i++) if (test(v, operands[i] as number)) return true;
    return false;
  };
}

/** Milliseconds since the epoch of an ISO 8601 date or an epoch-ms number, or NaN. */
export function toEpochMs(value: Primitive): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === 'string') return Date.parse(value);
  return Number.NaN;
}

function dateTest(clause: Clause, test: (value: number, operand: number) => boolean): PrimitiveTest {
  const operands = clause.values.map(toEpochMs).filter((ms) => !Number.isNaN(ms));
  return (v) => {
    if (typeof v === 'boolean') return false;
    const ms = toEpochMs(v);
    if (Number.isNaN(ms)) return false;
    for (let i = 0; i < operands.length; i++) if (test(ms, operands[i] as number)) return true;
    return false;
  };
}

function semverTest(clause: Clause, test: (comparison: number) => boolean): PrimitiveTest {
  const operands = strings(clause)
    .map(parseSemver)
    .filter((v): v is SemVer => v !== null);
  return (v) => {
    if (typeof v !== 'string') return false;
    const version = parseSemver(v);
    if (!version) return false;
    for (let i = 0; i < operands.length; i++)
      if (test(compareSemver(version, operands[i] as SemVer))) return true;
    return false;
  };
}

function inAnySegment(keys: readonly string[], context: Context, segments: SegmentMap): boolean {
  for (let i = 0; i < keys.length; i++) {
    const segment = segments.get(keys[i] as string);
    if (segment !== undefined && segmentMatches(segment, context, segments)) return true;
  }
  return false;
}

/** Whether a context is in a segment: not excluded, and included by key or by one of its rules. */
export function segmentMatches(segment: CompiledSegment, context: Context, segments: SegmentMap): boolean {
  const key = context.key;
  if (typeof key === 'string') {
    if (segment.excluded.has(key)) return false;
    if (segment.included.has(key)) return true;
  }
  const rules = segment.rules;
  for (let i = 0; i < rules.length; i++) if ((rules[i] as ContextMatcher)(context, segments)) return true;
  return false;
}
