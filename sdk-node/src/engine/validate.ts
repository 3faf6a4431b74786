import type { z } from 'zod';
import { toEpochMs } from './clauses.js';
import { LIMITS, TOTAL_WEIGHT } from './limits.js';
import { prerequisiteCycle } from './prerequisites.js';
import { inspectRegex } from './regex.js';
import {
  type Clause,
  FLAG_KEY_PATTERN,
  type FlagConfig,
  type FlagKind,
  flagConfigSchema,
  type JsonValue,
  type Segment,
  type Serve,
  segmentSchema,
} from './schema.js';
import { parseSemver } from './semver.js';

/** One problem with a config: where (`rules[0].clauses[1].values[0]`) and what. */
export interface ValidationError {
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: ValidationError[] };

/** What the validator may look up about the rest of the environment. Omitted lookups skip those checks. */
export interface References {
  /** Whether a segment with this key exists. */
  segmentExists?: (key: string) => boolean;
  /** Another flag's variation ids and prerequisite keys, or undefined when there is no such flag. */
  flag?: (key: string) => { variations: readonly string[]; prerequisites: readonly string[] } | undefined;
}

/** Formats a path as `rules[0].clauses[1].op`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Turns zod issues into validation errors with readable paths. */
export function issuesToErrors(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []) {
  return issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
}

/**
 * Checks a flag config before it is stored: its shape, then what needs the whole config (variation
 * references, rollout weights, operator value types, regular expressions, duplicate targets, prerequisites
 * and their cycles).
 *
 * @example
 * const result = validateFlagConfig(body, { segmentExists: (key) => segments.has(key) });
 * if (!result.ok) return problem(400, result.errors);
 */
export function validateFlagConfig(input: unknown, refs: References = {}): Validated<FlagConfig> {
  const parsed = flagConfigSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: issuesToErrors(parsed.error.issues) };
  const config = parsed.data;
  const errors: ValidationError[] = [];
  const add = (path: readonly PropertyKey[], message: string) =>
    errors.push({ path: formatPath(path), message });

  const ids = new Set<string>();
  config.variations.forEach((variation, i) => {
    if (ids.has(variation.id)) add(['variations', i, 'id'], `duplicate variation id "${variation.id}"`);
    ids.add(variation.id);
    const problem = valueProblem(config.kind, variation.value);
    if (problem) add(['variations', i, 'value'], problem);
  });
  const known = (id: string, path: readonly PropertyKey[]) => {
    if (!ids.has(id)) add(path, `unknown variation "${id}"`);
  };

  known(config.offVariation, ['offVariation']);

  const seenTargets = new Set<string>();
  let targetKeys = 0;
  config.targets.forEach((target, i) => {
    known(target.variation, ['targets', i, 'variation']);
    targetKeys += target.keys.length;
    target.keys.forEach((key, j) => {
      if (seenTargets.has(key)) add(['targets', i, 'keys', j], `"${key}" is targeted more than once`);
      seenTargets.add(key);
    });
  });
  if (targetKeys > LIMITS.targetKeys) {
    add(['targets'], `at most ${LIMITS.targetKeys} target keys per flag; use a segment for larger audiences`);
  }

  const ruleIds = new Set<string>();
  let regexSize = 0;
  config.rules.forEach((rule, i) => {
    if (ruleIds.has(rule.id)) add(['rules', i, 'id'], `duplicate rule id "${rule.id}"`);
    ruleIds.add(rule.id);
    rule.clauses.forEach((clause, j) => {
      regexSize += checkClause(clause, ['rules', i, 'clauses', j], add, refs, true);
    });
    checkServe(rule.serve, ['rules', i, 'serve'], known, add);
  });
  checkRegexTotal(regexSize, add);
  checkServe(config.fallthrough, ['fallthrough'], known, add);

  const prerequisiteKeys = new Set<string>();
  config.prerequisites.forEach((prerequisite, i) => {
    const path = ['prerequisites', i];
    if (prerequisite.flag === config.key) add([...path, 'flag'], 'a flag cannot be its own prerequisite');
    if (prerequisiteKeys.has(prerequisite.flag))
      add([...path, 'flag'], `"${prerequisite.flag}" is listed twice`);
    prerequisiteKeys.add(prerequisite.flag);
    if (!refs.flag) return;
    const other = refs.flag(prerequisite.flag);
    if (!other) add([...path, 'flag'], `unknown flag "${prerequisite.flag}"`);
    else if (!other.variations.includes(prerequisite.variation)) {
      add([...path, 'variation'], `flag "${prerequisite.flag}" has no variation "${prerequisite.variation}"`);
    }
  });
  const lookup = refs.flag;
  if (lookup && config.prerequisites.length > 0) {
    const edges = (key: string) =>
      key === config.key ? [...prerequisiteKeys] : (lookup(key)?.prerequisites ?? []);
    const cycle = prerequisiteCycle(config.key, edges);
    if (cycle) add(['prerequisites'], `prerequisite cycle: ${cycle.join(' → ')}`);
  }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: config };
}

/**
 * Checks a segment before it is stored: its shape, keys listed as both included and excluded, and its
 * rules' clauses. Segment rules cannot use `inSegment` (segments do not nest).
 */
export function validateSegment(input: unknown): Validated<Segment> {
  const parsed = segmentSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: issuesToErrors(parsed.error.issues) };
  const segment = parsed.data;
  const errors: ValidationError[] = [];
  const add = (path: readonly PropertyKey[], message: string) =>
    errors.push({ path: formatPath(path), message });
  if (segment.included.length + segment.excluded.length > LIMITS.segmentKeys) {
    add(['included'], `at most ${LIMITS.segmentKeys} included and excluded keys per segment`);
  }
  const included = new Set(segment.included);
  segment.excluded.forEach((key, i) => {
    if (included.has(key)) add(['excluded', i], `"${key}" is both included and excluded`);
  });
  let regexSize = 0;
  segment.rules.forEach((rule, i) => {
    rule.clauses.forEach((clause, j) => {
      regexSize += checkClause(clause, ['rules', i, 'clauses', j], add, {}, false);
    });
  });
  checkRegexTotal(regexSize, add);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: segment };
}

type Add = (path: readonly PropertyKey[], message: string) => void;
type Known = (id: string, path: readonly PropertyKey[]) => void;

function valueProblem(kind: FlagKind, value: JsonValue): string | null {
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'a boolean flag has boolean values';
    case 'string':
      return typeof value === 'string' ? null : 'a string flag has string values';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? null
        : 'a number flag has finite number values';
    case 'json':
      return JSON.stringify(value).length > LIMITS.variationValueChars
        ? `a value may be at most ${LIMITS.variationValueChars} characters of JSON`
        : null;
  }
}

function checkServe(serve: Serve, path: readonly PropertyKey[], known: Known, add: Add): void {
  if ('variation' in serve) {
    known(serve.variation, [...path, 'variation']);
    return;
  }
  const seen = new Set<string>();
  let total = 0;
  serve.rollout.variations.forEach((weighted, i) => {
    const at = [...path, 'rollout', 'variations', i];
    known(weighted.variation, [...at, 'variation']);
    if (seen.has(weighted.variation)) add([...at, 'variation'], `"${weighted.variation}" is listed twice`);
    seen.add(weighted.variation);
    total += weighted.weight;
  });
  if (total !== TOTAL_WEIGHT) {
    add([...path, 'rollout', 'variations'], `weights must sum to ${TOTAL_WEIGHT} (100%), not ${total}`);
  }
}

/** Checks one clause; returns the compiled size of its valid regular expressions (0 for other operators). */
function checkClause(
  clause: Clause,
  path: readonly PropertyKey[],
  add: Add,
  refs: References,
  segmentsAllowed: boolean,
): number {
  if (clause.attribute === undefined && clause.op !== 'inSegment')
    add([...path, 'attribute'], `operator "${clause.op}" needs an attribute`);
  if (clause.op === 'matches') {
    let size = 0;
    clause.values.forEach((value, i) => {
      const check =
        typeof value === 'string'
          ? inspectRegex(value)
          : { ok: false as const, message: 'operator "matches" takes regular expressions' };
      if (check.ok) size += check.size;
      else add([...path, 'values', i], check.message);
    });
    return size;
  }
  if (clause.op === 'inSegment') {
    if (!segmentsAllowed) add([...path, 'op'], 'segment rules cannot use inSegment');
    clause.values.forEach((value, i) => {
      if (typeof value !== 'string' || !FLAG_KEY_PATTERN.test(value)) {
        add([...path, 'values', i], 'must be a segment key');
      } else if (refs.segmentExists && !refs.segmentExists(value)) {
        add([...path, 'values', i], `unknown segment "${value}"`);
      }
    });
    return 0;
  }
  clause.values.forEach((value, i) => {
    const problem = operandProblem(clause.op, value);
    if (problem) add([...path, 'values', i], problem);
  });
  return 0;
}

function checkRegexTotal(size: number, add: Add): void {
  if (size > LIMITS.regexProgramSizeTotal) {
    add(
      ['rules'],
      `the regular expressions compile to ${size} instructions together, at most ${LIMITS.regexProgramSizeTotal}`,
    );
  }
}

function operandProblem(op: Clause['op'], value: string | number | boolean): string | null {
  switch (op) {
    case 'in':
      return null;
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return typeof value === 'string' ? null : `operator "${op}" takes strings`;
    case 'matches':
      return null; // checked by checkClause, which also adds up their sizes
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return typeof value === 'number' && Number.isFinite(value) ? null : `operator "${op}" takes numbers`;
    case 'before':
    case 'after':
      return typeof value !== 'boolean' && !Number.isNaN(toEpochMs(value))
        ? null
        : `operator "${op}" takes ISO 8601 dates or epoch milliseconds`;
    case 'semverEq':
    case 'semverLt':
    case 'semverGt':
      return typeof value === 'string' && parseSemver(value)
        ? null
        : `operator "${op}" takes semantic versions`;
    case 'inSegment':
      return null;
  }
}
