import type { Clause, Context } from './schema.js';
import { compareSemver, parseSemver, type SemVer } from './semver.js';

/**
 * A compiled clause: decides whether a context matches. Compiled once per config so that an
 * evaluation does no parsing, no regex construction and no allocation.
 */
export type ContextMatcher = (context: Context, segments: SegmentLookup) => boolean;

/** Finds the compiled segment of a key at evaluation time, so a segment change needs no recompile. */
export type SegmentLookup = (key: string) => ContextMatcher | undefined;

type Primitive = string | number | boolean;
type PrimitiveTest = (value: Primitive) => boolean;

/**
 * Compiles one clause. A clause matches when any of its values matches; an array attribute matches
 * when any element does; a missing attribute never matches, negated or not (DESIGN §3).
 * The clause must have passed validation; unknown operators compile to "never matches".
 */
export function compileClause(clause: Clause): ContextMatcher {
  const negate = clause.negate === true;
  if (clause.op === 'inSegment') {
    const keys = clause.values.filter((v): v is string => typeof v === 'string');
    const inAny: ContextMatcher = (context, segments) => {
      for (let i = 0; i < keys.length; i++) {
        const segment = segments(keys[i] as string);
        if (segment?.(context, segments)) return true;
      }
      return false;
    };
    return negate ? (context, segments) => !inAny(context, segments) : inAny;
  }
  const attribute = clause.attribute ?? 'key';
  const test = compileTest(clause);
  return (context) => {
    const value = context[attribute];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return test(value) !== negate;
    }
    if (Array.isArray(value)) {
      let any = false;
      for (let i = 0; i < value.length; i++) {
        const element: unknown = value[i];
        if (
          (typeof element === 'string' || typeof element === 'number' || typeof element === 'boolean') &&
          test(element)
        ) {
          any = true;
          break;
        }
      }
      return any !== negate;
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

function compileTest(clause: Clause): PrimitiveTest {
  switch (clause.op) {
    case 'in': {
      if (clause.values.length === 1) {
        const only = clause.values[0];
        return (v) => v === only;
      }
      const set = new Set<Primitive>(clause.values);
      return (v) => set.has(v);
    }
    case 'contains':
      return stringTest(strings(clause), (v, s) => v.includes(s));
    case 'startsWith':
      return stringTest(strings(clause), (v, s) => v.startsWith(s));
    case 'endsWith':
      return stringTest(strings(clause), (v, s) => v.endsWith(s));
    case 'matches': {
      const patterns = strings(clause).flatMap((p) => {
        try {
          return [new RegExp(p)];
        } catch {
          return [];
        }
      });
      return (v) => typeof v === 'string' && patterns.some((re) => re.test(v));
    }
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

function stringTest(values: string[], test: (value: string, operand: string) => boolean): PrimitiveTest {
  if (values.length === 1) {
    const only = values[0] as string;
    return (v) => typeof v === 'string' && test(v, only);
  }
  return (v) => {
    if (typeof v !== 'string') return false;
    for (let i = 0; i < values.length; i++) if (test(v, values[i] as string)) return true;
    return false;
  };
}

function numberTest(values: number[], test: (value: number, operand: number) => boolean): PrimitiveTest {
  return (v) => {
    if (typeof v !== 'number') return false;
    for (let i = 0; i < values.length; i++) if (test(v, values[i] as number)) return true;
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

/** Compiles clauses that must all match (a rule, or a segment rule). */
export function allOf(matchers: readonly ContextMatcher[]): ContextMatcher {
  if (matchers.length === 1) return matchers[0] as ContextMatcher;
  return (context, segments) => {
    for (let i = 0; i < matchers.length; i++)
      if (!(matchers[i] as ContextMatcher)(context, segments)) return false;
    return true;
  };
}
