import type {
  Clause,
  ClauseOp,
  ConfigConflict,
  ConfigOperation,
  FlagConfig,
  Prerequisite,
  Rule,
  Serve,
  Target,
  Variation,
} from '../types';
import { configOperations, diffJson } from './diff';
import { formatPercent } from './rollout';
import { valueText, variationLabel } from './variation-colors';

/** Operators as people say them. */
export const OP_LABELS: Record<ClauseOp, string> = {
  in: 'is one of',
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
  matches: 'matches regex',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  before: 'is before',
  after: 'is after',
  semverEq: 'semver =',
  semverLt: 'semver <',
  semverGt: 'semver >',
  inSegment: 'is in segment',
};

/** Operators negated, as people say them. */
const NEGATED_LABELS: Record<ClauseOp, string> = {
  in: 'is not one of',
  contains: 'does not contain',
  startsWith: 'does not start with',
  endsWith: 'does not end with',
  matches: 'does not match regex',
  lt: 'is not <',
  lte: 'is not ≤',
  gt: 'is not >',
  gte: 'is not ≥',
  before: 'is not before',
  after: 'is not after',
  semverEq: 'is not semver =',
  semverLt: 'is not semver <',
  semverGt: 'is not semver >',
  inSegment: 'is not in segment',
};

/** How many items of a list a description names before it says "and N more". */
const LISTED = 10;

/**
 * Items in one line, the first ten by name and the rest counted.
 *
 * @example
 * listText(['a', 'b']); // "a, b"
 * listText(keys); // "k1, k2, … k10 and 5 more"
 */
export function listText(items: readonly string[], joiner = ', ', max = LISTED): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, max).join(joiner);
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

const clauseValue = (value: unknown) => (value === '' ? '""' : String(value));

/**
 * A condition in one line.
 *
 * @example
 * describeClause({ attribute: 'groups', op: 'in', values: ['staff', 'beta'] }); // "groups is one of staff, beta"
 * describeClause({ attribute: 'country', op: 'in', values: ['DE'], negate: true }); // "country is not DE"
 */
export function describeClause(clause: Clause): string {
  const values = clause.values.map(clauseValue);
  const subject = clause.op === 'inSegment' ? 'context' : (clause.attribute ?? '?');
  if (clause.op === 'in' && values.length === 1)
    return `${subject} is ${clause.negate ? 'not ' : ''}${values[0]}`;
  const label = (clause.negate ? NEGATED_LABELS : OP_LABELS)[clause.op];
  const joiner = clause.op === 'in' ? ', ' : ' or ';
  return `${subject} ${label} ${listText(values, joiner)}`;
}

/** Conditions joined: "groups is one of staff, beta and country is not DE", or "everyone". */
export function describeClauses(clauses: readonly Clause[]): string {
  return clauses.length === 0 ? 'everyone' : clauses.map(describeClause).join(' and ');
}

/**
 * What a serve gives, with rollout weights as percentages.
 *
 * @example
 * describeServe({ variation: 'on' }, variations); // "serve on"
 * describeServe({ rollout }, variations); // "rollout: on 5%, off 95%"
 */
export function describeServe(serve: Serve, variations: readonly Variation[]): string {
  if ('variation' in serve) return `serve ${variationLabel(variations, serve.variation)}`;
  const shares = serve.rollout.variations
    .filter((v) => v.weight > 0)
    .map((v) => `${variationLabel(variations, v.variation)} ${formatPercent(v.weight)}`);
  const by =
    serve.rollout.bucketBy && serve.rollout.bucketBy !== 'key' ? ` by ${serve.rollout.bucketBy}` : '';
  return `rollout${by}: ${shares.length === 0 ? 'nothing' : shares.join(', ')}`;
}

/** A rule's conditions and serve: "if groups is one of beta → serve on". */
function ruleBody(rule: Rule, variations: readonly Variation[]): string {
  return `if ${describeClauses(rule.clauses)} → ${describeServe(rule.serve, variations)}`;
}

/** A rule in one line: "Staff: if context is in segment staff → serve on". */
export function describeRule(rule: Rule, variations: readonly Variation[]): string {
  return `${rule.name ? `${rule.name}: ` : ''}${ruleBody(rule, variations)}`;
}

/** Individual targets in one line: "on: 2 keys · off: 1 key". */
export function describeTargets(targets: readonly Target[], variations: readonly Variation[]): string {
  const parts = targets
    .filter((t) => t.keys.length > 0)
    .map(
      (t) =>
        `${variationLabel(variations, t.variation)}: ${t.keys.length} key${t.keys.length === 1 ? '' : 's'}`,
    );
  return parts.length === 0 ? 'none' : parts.join(' · ');
}

/** "payments-v2 must serve on". */
export function describePrerequisite(prerequisite: Prerequisite): string {
  return `${prerequisite.flag} must serve ${prerequisite.variation}`;
}

/** What describing a config change needs: the flag's variations, and rules to name rule ids by. */
export interface DescribeContext {
  variations: readonly Variation[];
  /** Rules before and after the change: a rule id is shown by its rule's name. */
  rules?: readonly Rule[];
}

/**
 * A rule as a person names it: “Beta testers”, or its id when it has no name.
 *
 * @example
 * ruleLabel('beta', [{ id: 'beta', name: 'Beta testers', … }]); // "rule “Beta testers”"
 */
export function ruleLabel(rule: string | Rule, rules: readonly Rule[] = []): string {
  const found = typeof rule === 'string' ? rules.find((r) => r.id === rule) : rule;
  const id = typeof rule === 'string' ? rule : rule.id;
  return `rule “${found?.name || id}”`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isServe = (value: unknown): value is Serve =>
  isRecord(value) && (typeof value.variation === 'string' || isRecord(value.rollout));
const arrayOf = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** Keys added to and removed from each variation's individual targets. */
function describeTargetChange(before: unknown, after: unknown, variations: readonly Variation[]): string {
  const keysOf = (targets: Target[]) => {
    const out = new Map<string, Set<string>>();
    for (const target of targets) out.set(target.variation, new Set(target.keys));
    return out;
  };
  const old = keysOf(arrayOf<Target>(before));
  const next = keysOf(arrayOf<Target>(after));
  const parts: string[] = [];
  for (const variation of new Set([...old.keys(), ...next.keys()])) {
    const was = old.get(variation) ?? new Set<string>();
    const now = next.get(variation) ?? new Set<string>();
    const label = variationLabel(variations, variation);
    const added = [...now].filter((key) => !was.has(key));
    const removed = [...was].filter((key) => !now.has(key));
    if (added.length > 0) parts.push(`add ${listText(added)} to ${label}`);
    if (removed.length > 0) parts.push(`remove ${listText(removed)} from ${label}`);
  }
  return `Individual targets: ${parts.length === 0 ? 'reordered' : parts.join('; ')}`;
}

/** Prerequisites added, removed and changed, by flag. */
function describePrerequisiteChange(before: unknown, after: unknown): string {
  const old = new Map(arrayOf<Prerequisite>(before).map((p) => [p.flag, p]));
  const next = new Map(arrayOf<Prerequisite>(after).map((p) => [p.flag, p]));
  const parts: string[] = [];
  for (const [flag, p] of next) {
    const was = old.get(flag);
    if (!was) parts.push(`add ${describePrerequisite(p)}`);
    else if (was.variation !== p.variation) parts.push(`${describePrerequisite(p)} (was ${was.variation})`);
  }
  for (const [flag, p] of old) if (!next.has(flag)) parts.push(`remove ${describePrerequisite(p)}`);
  return `Prerequisites: ${parts.length === 0 ? 'reordered' : parts.join('; ')}`;
}

/**
 * One step of a config change request in words.
 *
 * @example
 * describeOperation({ op: 'set', field: 'enabled', before: false, after: true }, ctx); // "Turn on"
 * describeOperation({ op: 'moveRule', ruleId: 'beta', afterRule: null }, ctx); // "Move rule “Beta testers” to the top"
 */
export function describeOperation(op: ConfigOperation, ctx: DescribeContext): string {
  const { variations, rules = [] } = ctx;
  const position = (afterRule: string | null) =>
    afterRule === null ? 'at the top' : `after ${ruleLabel(afterRule, rules)}`;
  switch (op.op) {
    case 'set':
      switch (op.field) {
        case 'enabled':
          return op.after === true ? 'Turn on' : 'Turn off';
        case 'offVariation': {
          const was = typeof op.before === 'string' ? ` (was ${variationLabel(variations, op.before)})` : '';
          return `When off, serve ${variationLabel(variations, String(op.after))}${was}`;
        }
        case 'fallthrough': {
          const now = isServe(op.after) ? describeServe(op.after, variations) : 'nothing';
          return isServe(op.before)
            ? `Default rule: ${describeServe(op.before, variations)} → ${now}`
            : `Default rule: ${now}`;
        }
        case 'targets':
          return describeTargetChange(op.before, op.after, variations);
        case 'prerequisites':
          return describePrerequisiteChange(op.before, op.after);
      }
      return `${op.field}: ${describeValue(op.before)} → ${describeValue(op.after)}`;
    case 'addRule':
      return `Add ${ruleLabel(op.rule)} ${position(op.afterRule)}: ${ruleBody(op.rule, variations)}`;
    case 'removeRule':
      return `Remove ${ruleLabel(op.before)} (${ruleBody(op.before, variations)})`;
    case 'moveRule':
      return `Move ${ruleLabel(op.ruleId, rules)} ${op.afterRule === null ? 'to the top' : position(op.afterRule)}`;
    case 'updateRule': {
      const { before, after } = op;
      const parts: string[] = [];
      if ((before.name ?? '') !== (after.name ?? '')) {
        parts.push(after.name ? `renamed to “${after.name}”` : 'name removed');
      }
      if (JSON.stringify(before.clauses) !== JSON.stringify(after.clauses)) {
        parts.push(`if ${describeClauses(before.clauses)} → if ${describeClauses(after.clauses)}`);
      }
      if (JSON.stringify(before.serve) !== JSON.stringify(after.serve)) {
        parts.push(`${describeServe(before.serve, variations)} → ${describeServe(after.serve, variations)}`);
      }
      return `Change ${ruleLabel(before)}: ${parts.length === 0 ? 'no visible change' : parts.join('; ')}`;
    }
  }
}

/**
 * Every step of a config change request in words, naming rules from the rules the request and the
 * current config know.
 */
export function describeOperations(operations: readonly ConfigOperation[], ctx: DescribeContext): string[] {
  const known = [
    ...(ctx.rules ?? []),
    ...operations.flatMap((op) =>
      op.op === 'addRule'
        ? [op.rule]
        : op.op === 'updateRule'
          ? [op.after]
          : op.op === 'removeRule'
            ? [op.before]
            : [],
    ),
  ];
  return operations.map((op) => describeOperation(op, { ...ctx, rules: known }));
}

const FIELD_LABELS: Record<string, string> = {
  enabled: 'On/off',
  offVariation: 'When off',
  fallthrough: 'Default rule',
  targets: 'Individual targets',
  prerequisites: 'Prerequisites',
  rules: 'Rules',
};

/**
 * A config field or rule named by a conflict's path, as a person reads it: "Default rule",
 * "Rule “Beta testers”" (`rules.beta`, `rules/beta`, `rules[beta]`).
 */
export function fieldLabel(path: string, rules: readonly Rule[] = []): string {
  const rule = /^rules?[./[](.+?)]?$/.exec(path);
  if (rule?.[1]) {
    const label = ruleLabel(rule[1], rules);
    return label.charAt(0).toUpperCase() + label.slice(1);
  }
  return FIELD_LABELS[path] ?? path;
}

/** A conflict of a config change request: "Default rule: changed since the request was made". */
export function describeConflict(conflict: ConfigConflict, rules: readonly Rule[] = []): string {
  return `${fieldLabel(conflict.path, rules)}: ${conflict.message}`;
}

/**
 * A JSON value in words for a generic field: strings as they are, lists joined, nothing as "none";
 * other objects as their full JSON.
 */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => !isRecord(item) && !Array.isArray(item))) {
    return listText(value.map(describeValue));
  }
  return JSON.stringify(value);
}

/** Fields that change with every write and say nothing. */
const NOISE = /^(version|updatedAt|createdAt|revision)$/;

/** `requireApproval` → "Require approval"; nested paths stay as they are. */
function humanPath(path: string): string {
  if (!/^[a-zA-Z]+$/.test(path)) return path;
  const words = path.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Field-by-field changes of any JSON value, each in one line. */
function describeFields(before: unknown, after: unknown, skip: ReadonlySet<string> = new Set()): string[] {
  return diffJson(before, after)
    .filter((change) => !NOISE.test(change.path) && !skip.has(change.path.split(/[.[]/)[0] ?? ''))
    .map((change) => {
      const label = humanPath(change.path) || 'Value';
      if (change.kind === 'added') return `${label}: ${describeValue(change.after)}`;
      if (change.kind === 'removed') return `${label}: removed (was ${describeValue(change.before)})`;
      return `${label}: ${describeValue(change.before)} → ${describeValue(change.after)}`;
    });
}

/** Keys (or tags) added and removed: "add u2; remove u1". */
function describeListChange(label: string, before: unknown, after: unknown): string[] {
  const old = arrayOf<unknown>(before).map(String);
  const next = arrayOf<unknown>(after).map(String);
  const added = next.filter((item) => !old.includes(item));
  const removed = old.filter((item) => !next.includes(item));
  const parts = [
    ...(added.length > 0 ? [`add ${listText(added)}`] : []),
    ...(removed.length > 0 ? [`remove ${listText(removed)}`] : []),
  ];
  return parts.length === 0 ? [] : [`${label}: ${parts.join('; ')}`];
}

const isOperations = (value: unknown): value is ConfigOperation[] =>
  Array.isArray(value) && value.every((item) => isRecord(item) && typeof item.op === 'string');

/** What an operation changes — a field or a rule — so a later one on the same thing replaces it. */
function operationTarget(op: ConfigOperation): string {
  if (op.op === 'set') return op.field;
  return `rules.${op.op === 'addRule' ? op.rule.id : op.ruleId}`;
}

/**
 * How a change request's steps changed when its author added to it: the steps that are new or
 * replace earlier ones, then those that dropped out ("Dropped: …").
 */
function describeOperationChange(
  before: readonly ConfigOperation[],
  after: readonly ConfigOperation[],
): string[] {
  const earlier = new Set(before.map((op) => JSON.stringify(op)));
  const targets = new Set(after.map(operationTarget));
  const ctx = { variations: [] };
  return [
    ...describeOperations(
      after.filter((op) => !earlier.has(JSON.stringify(op))),
      { ...ctx, rules: before.flatMap((op) => (op.op === 'addRule' ? [op.rule] : [])) },
    ),
    ...describeOperations(
      before.filter((op) => !targets.has(operationTarget(op))),
      ctx,
    ).map((line) => `Dropped: ${line}`),
  ];
}

/** A text field: "Name: “Old” → “New”", or just the new value. */
function describeText(label: string, before: unknown, after: unknown): string[] {
  if (before === after) return [];
  if (typeof after !== 'string' || after === '') return before ? [`${label} removed`] : [];
  return [
    typeof before === 'string' && before !== ''
      ? `${label}: “${before}” → “${after}”`
      : `${label}: “${after}”`,
  ];
}

const isConfig = (value: unknown): value is FlagConfig =>
  isRecord(value) && Array.isArray(value.rules) && 'fallthrough' in value && 'offVariation' in value;
const isSegment = (value: unknown): value is Record<string, unknown> =>
  isRecord(value) && Array.isArray(value.included) && Array.isArray(value.excluded);
const isFlag = (value: unknown): value is Record<string, unknown> =>
  isRecord(value) && Array.isArray(value.variations) && Array.isArray(value.tags);
const isReleasePlan = (value: unknown): value is ReleasePlanLike & Record<string, unknown> =>
  isRecord(value) && Array.isArray(value.stages) && typeof value.currentStage === 'number';

/** A config change in words: the steps that turn `before` into `after`. */
export function describeConfigChange(
  before: Partial<FlagConfig> | null | undefined,
  after: Partial<FlagConfig> | null | undefined,
  variations: readonly Variation[] = after?.variations ?? before?.variations ?? [],
): string[] {
  return describeOperations(configOperations(before ?? {}, after ?? {}), {
    variations,
    rules: [...(before?.rules ?? []), ...(after?.rules ?? [])],
  });
}

/** A flag's global part in words: name, description, tags, variations, and the switches. */
function describeFlagChange(
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
): string[] {
  const b = before ?? {};
  const lines = [
    ...describeText('Name', b.name, after.name),
    ...describeText('Description', b.description, after.description),
    ...describeListChange('Tags', b.tags, after.tags),
  ];
  const old = new Map(arrayOf<Variation>(b.variations).map((v) => [v.id, v]));
  const next = arrayOf<Variation>(after.variations);
  for (const v of next) {
    const was = old.get(v.id);
    const name = v.name ? ` “${v.name}”` : '';
    if (!was) lines.push(`Add variation ${v.id}${name} = ${valueText(v.value)}`);
    else if (JSON.stringify(was) !== JSON.stringify(v)) {
      lines.push(
        `Variation ${v.id}: ${valueText(was.value)}${was.name ? ` “${was.name}”` : ''} → ${valueText(v.value)}${name}`,
      );
    }
  }
  for (const [id] of old) if (!next.some((v) => v.id === id)) lines.push(`Remove variation ${id}`);
  if (b.temporary !== after.temporary && typeof after.temporary === 'boolean') {
    lines.push(after.temporary ? 'Temporary' : 'Permanent');
  }
  if (b.clientSide !== after.clientSide && typeof after.clientSide === 'boolean') {
    lines.push(after.clientSide ? 'Available to client-side SDKs' : 'Not available to client-side SDKs');
  }
  if (b.archived !== after.archived && typeof after.archived === 'boolean') {
    lines.push(after.archived ? 'Archived' : 'Restored');
  }
  const skip = new Set([
    'name',
    'description',
    'tags',
    'variations',
    'temporary',
    'clientSide',
    'archived',
    'key',
    'environments',
  ]);
  return [...lines, ...describeFields(before, after, skip)];
}

/** A segment in words: name, description, included and excluded keys, rules. */
function describeSegmentChange(
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
): string[] {
  const b = before ?? {};
  const lines = [
    ...describeText('Name', b.name, after.name),
    ...describeText('Description', b.description, after.description),
    ...describeListChange('Included', b.included, after.included),
    ...describeListChange('Excluded', b.excluded, after.excluded),
  ];
  const rulesOf = (value: unknown) => arrayOf<{ clauses?: Clause[] }>(value);
  const old = rulesOf(b.rules);
  const next = rulesOf(after.rules);
  const text = (rule: { clauses?: Clause[] }) => `if ${describeClauses(rule.clauses ?? [])}`;
  for (let i = 0; i < Math.max(old.length, next.length); i++) {
    const was = old[i];
    const now = next[i];
    if (!was && now) lines.push(`Add rule ${i + 1}: ${text(now)}`);
    else if (was && !now) lines.push(`Remove rule ${i + 1} (${text(was)})`);
    else if (was && now && JSON.stringify(was) !== JSON.stringify(now)) {
      lines.push(`Rule ${i + 1}: ${text(was)} → ${text(now)}`);
    }
  }
  const skip = new Set(['name', 'description', 'included', 'excluded', 'rules', 'key']);
  return [...lines, ...describeFields(before, after, skip)];
}

/** The part of a release plan a stage description reads. */
export interface ReleasePlanLike {
  stages: readonly { name: string; percentage: number; segments?: readonly string[] }[];
}

/**
 * A stage of a release plan as people count it (from 1).
 *
 * @example
 * describeReleaseStage(plan, 1); // "stage 2 of 4: canary — 5%"
 * describeReleaseStage(plan, 0); // "stage 1 of 4: staff — segment staff"
 */
export function describeReleaseStage(plan: ReleasePlanLike, index: number): string {
  const stage = plan.stages[index];
  const head = `stage ${index + 1} of ${plan.stages.length}`;
  if (!stage) return head;
  const segments = stage.segments ?? [];
  const reach = [
    ...(segments.length > 0 ? [`segment${segments.length === 1 ? '' : 's'} ${segments.join(', ')}`] : []),
    ...(stage.percentage > 0 || segments.length === 0 ? [formatPercent(stage.percentage * 1000)] : []),
  ];
  return `${head}: ${stage.name} — ${reach.join(' + ')}`;
}

/** A release plan's move in words: created, stage reached, approvals, state. */
function describeReleaseChange(
  before: (ReleasePlanLike & Record<string, unknown>) | null,
  after: ReleasePlanLike & Record<string, unknown>,
): string[] {
  if (!before) {
    return [
      `Plan: ${after.stages.map((_, i) => describeReleaseStage(after, i).replace(/^stage \d+ of \d+: /, '')).join(' → ')}`,
    ];
  }
  const lines: string[] = [];
  if (before.currentStage !== after.currentStage && typeof after.currentStage === 'number') {
    lines.push(
      after.currentStage < 0
        ? 'Waiting for the first stage'
        : `Now at ${describeReleaseStage(after, after.currentStage)}`,
    );
  }
  const approvals = arrayOf<{ stage: number; by?: { name?: string } }>(after.approvals).slice(
    arrayOf(before.approvals).length,
  );
  for (const approval of approvals) {
    lines.push(
      `Approved ${describeReleaseStage(after, approval.stage)}${approval.by?.name ? ` (${approval.by.name})` : ''}`,
    );
  }
  if (before.state !== after.state)
    lines.push(`State: ${describeValue(before.state)} → ${describeValue(after.state)}`);
  return lines;
}

/**
 * What a change did, in words, whatever it changed: a flag's config in one environment (as steps:
 * rules, serves, targets…), a flag's global part, a segment, a release plan, or — for anything else
 * — field by field. Used by the audit log, the flag history and change requests.
 *
 * @example
 * describeChanges(configBefore, configAfter); // ["Turn on", "Default rule: serve off → rollout: on 5%, off 95%"]
 */
export function describeChanges(before: unknown, after: unknown): string[] {
  if (isOperations(after) && (before == null || isOperations(before))) {
    return describeOperationChange(before ?? [], after);
  }
  const b = isRecord(before) ? before : null;
  const a = isRecord(after) ? after : null;
  // A change request's move (`{ state }`): its state says it; its steps are shown where it was made.
  if (b && a && 'state' in a) return describeFields(b, a, new Set(['operations']));
  if ((isConfig(b) || b === null) && isConfig(a)) return describeConfigChange(b, a);
  if (isConfig(b) && a === null) return describeConfigChange(b, null);
  if ((isSegment(b) || b === null) && isSegment(a)) return describeSegmentChange(b, a);
  if ((isFlag(b) || b === null) && isFlag(a)) return describeFlagChange(b, a);
  if ((isReleasePlan(b) || b === null) && isReleasePlan(a)) return describeReleaseChange(b, a);
  return describeFields(before, after);
}
