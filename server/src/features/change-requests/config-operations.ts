import type { FlagConfig, Rule } from '@ringflag/sdk-node/engine';
import { canonicalJson } from '../audit/canonical-json.js';
import {
  CONFIG_FIELDS,
  type ConfigConflict,
  type ConfigField,
  type ConfigOperation,
} from './change-request.js';

/** The part of a config operations change. */
export type Targeting = Pick<FlagConfig, ConfigField | 'rules'>;

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Positions (into `values`) of a longest strictly increasing subsequence of `values`. */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = [];
  const previous: number[] = new Array(values.length).fill(-1);
  values.forEach((value, i) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((values[tails[mid]!] ?? 0) < value) low = mid + 1;
      else high = mid;
    }
    if (low > 0) previous[i] = tails[low - 1]!;
    tails[low] = i;
  });
  const kept = new Set<number>();
  for (let i = tails.at(-1) ?? -1; i !== -1; i = previous[i]!) kept.add(i);
  return kept;
}

/**
 * The operations that turn `before` into `after`: a `set` per field that differs, and rules by id —
 * removed, changed, then added or moved (after the rule that precedes them in `after`), as few moves
 * as keep the order. Applied in order to `before` they give `after`.
 *
 * @example
 * diffConfig(live, { ...live, enabled: true }); // [{ op: 'set', field: 'enabled', before: false, after: true }]
 */
export function diffConfig(before: Targeting, after: Targeting): ConfigOperation[] {
  const ops: ConfigOperation[] = [];
  for (const field of CONFIG_FIELDS) {
    if (!same(before[field], after[field])) {
      ops.push({ op: 'set', field, before: before[field], after: after[field] });
    }
  }
  const old = new Map(before.rules.map((rule, index) => [rule.id, { rule, index }]));
  const wanted = new Set(after.rules.map((rule) => rule.id));
  for (const rule of before.rules) {
    if (!wanted.has(rule.id)) ops.push({ op: 'removeRule', ruleId: rule.id, before: rule });
  }
  for (const rule of after.rules) {
    const previous = old.get(rule.id);
    if (previous && !same(previous.rule, rule)) {
      ops.push({ op: 'updateRule', ruleId: rule.id, before: previous.rule, after: rule });
    }
  }
  const kept = after.rules.filter((rule) => old.has(rule.id));
  const inPlace = longestIncreasing(kept.map((rule) => old.get(rule.id)!.index));
  const stays = new Set(kept.filter((_, i) => inPlace.has(i)).map((rule) => rule.id));
  after.rules.forEach((rule, i) => {
    const afterRule = i === 0 ? null : after.rules[i - 1]!.id;
    if (!old.has(rule.id)) ops.push({ op: 'addRule', rule, afterRule });
    else if (!stays.has(rule.id)) ops.push({ op: 'moveRule', ruleId: rule.id, afterRule });
  });
  return ops;
}

/** Where a rule goes: after `afterRule`, first for null, last when that rule is gone. */
function insertAt(rules: Rule[], rule: Rule, afterRule: string | null): void {
  if (afterRule === null) {
    rules.unshift(rule);
    return;
  }
  const anchor = rules.findIndex((candidate) => candidate.id === afterRule);
  if (anchor === -1) rules.push(rule);
  else rules.splice(anchor + 1, 0, rule);
}

const CHANGED = 'changed since the request was made';

/**
 * Applies operations, in order, to a config as it is now. A `set` conflicts when the field is
 * neither its `before` nor its `after`; `updateRule` when the rule is gone or neither its `before` nor
 * its `after`; `removeRule` when the rule differs from its `before` (gone already is fine); `addRule`
 * when a different rule has its id. Everything else others changed meanwhile is kept. The config is
 * returned with every operation applied even so (what the author asked for, as a preview), with the
 * conflicts; a rule whose `afterRule` is gone goes last.
 */
export function applyOperations<T extends Targeting>(
  config: T,
  operations: readonly ConfigOperation[],
): { config: T; conflicts: ConfigConflict[] } {
  const next: T = { ...config, rules: [...config.rules] };
  const conflicts: ConfigConflict[] = [];
  const find = (id: string) => next.rules.findIndex((rule) => rule.id === id);
  for (const op of operations) {
    switch (op.op) {
      case 'set': {
        const current = next[op.field];
        if (!same(current, op.before) && !same(current, op.after)) {
          conflicts.push({ path: op.field, message: CHANGED });
        }
        (next as Targeting)[op.field] = op.after as never;
        break;
      }
      case 'addRule': {
        const at = find(op.rule.id);
        if (at === -1) insertAt(next.rules, op.rule, op.afterRule);
        else {
          if (!same(next.rules[at], op.rule)) {
            conflicts.push({
              path: `rules.${op.rule.id}`,
              message: 'another rule with this id was added since the request was made',
            });
          }
          next.rules[at] = op.rule;
        }
        break;
      }
      case 'updateRule': {
        const at = find(op.ruleId);
        if (at === -1) {
          conflicts.push({ path: `rules.${op.ruleId}`, message: 'removed since the request was made' });
        } else {
          if (!same(next.rules[at], op.before) && !same(next.rules[at], op.after)) {
            conflicts.push({ path: `rules.${op.ruleId}`, message: CHANGED });
          }
          next.rules[at] = op.after;
        }
        break;
      }
      case 'removeRule': {
        const at = find(op.ruleId);
        if (at === -1) break;
        if (!same(next.rules[at], op.before))
          conflicts.push({ path: `rules.${op.ruleId}`, message: CHANGED });
        next.rules.splice(at, 1);
        break;
      }
      case 'moveRule': {
        const at = find(op.ruleId);
        if (at === -1 || op.afterRule === op.ruleId) break;
        const [rule] = next.rules.splice(at, 1);
        insertAt(next.rules, rule!, op.afterRule);
        break;
      }
    }
  }
  return { config: next, conflicts };
}

/** What an operation is about: a field, a rule's content, or a rule's place. */
function keyOf(op: ConfigOperation): string {
  switch (op.op) {
    case 'set':
      return op.field;
    case 'moveRule':
      return `move:${op.ruleId}`;
    case 'addRule':
      return `rules.${op.rule.id}`;
    default:
      return `rules.${op.ruleId}`;
  }
}

/** A rule's state an operation changes from (null: absent), and to. */
function ruleBefore(op: ConfigOperation): Rule | null {
  return op.op === 'updateRule' || op.op === 'removeRule' ? op.before : null;
}
function ruleAfter(op: ConfigOperation): Rule | null {
  if (op.op === 'addRule') return op.rule;
  return op.op === 'updateRule' ? op.after : null;
}

/**
 * `later` on top of `earlier` (replacing an earlier operation on the same field or rule, which keeps
 * its original `before`, or appended), or null when it comes to nothing: the combined operation
 * leaves the field, rule or rule order as `live` has it.
 */
function combine(earlier: ConfigOperation | undefined, later: ConfigOperation, live: Targeting) {
  if (later.op === 'set') {
    const before = earlier?.op === 'set' ? earlier.before : later.before;
    return same(later.after, live[later.field]) ? null : { ...later, before };
  }
  if (later.op === 'moveRule') {
    const at = live.rules.findIndex((rule) => rule.id === later.ruleId);
    const preceding = at <= 0 ? null : live.rules[at - 1]!.id;
    return at !== -1 && preceding === later.afterRule ? null : later;
  }
  const id = later.op === 'addRule' ? later.rule.id : later.ruleId;
  const from = earlier === undefined ? ruleBefore(later) : ruleBefore(earlier);
  const to = ruleAfter(later);
  const current = live.rules.find((rule) => rule.id === id) ?? null;
  if (same(to, current)) return null;
  if (to === null) return { op: 'removeRule', ruleId: id, before: from ?? current! } as const;
  if (from !== null) return { op: 'updateRule', ruleId: id, before: from, after: to } as const;
  const afterRule =
    later.op === 'addRule' ? later.afterRule : earlier?.op === 'addRule' ? earlier.afterRule : null;
  return { op: 'addRule', rule: to, afterRule } as const;
}

/**
 * A pending request's operations with a later write's on top: an operation on the same field or rule
 * replaces the earlier one in its place, keeping the earlier `before`; others are appended. One that
 * then leaves its field or rule as `live` has it drops out, and so does the move of a removed rule.
 *
 * @example
 * mergeOperations([setEnabledOn], [setEnabledOff], live); // [] when live is off
 */
export function mergeOperations(
  earlier: readonly ConfigOperation[],
  later: readonly ConfigOperation[],
  live: Targeting,
): ConfigOperation[] {
  const merged: (ConfigOperation | null)[] = [...earlier];
  const index = new Map(earlier.map((op, i) => [keyOf(op), i]));
  for (const op of later) {
    const key = keyOf(op);
    const at = index.get(key);
    const next = combine(at === undefined ? undefined : (merged[at] ?? undefined), op, live);
    if (at === undefined) {
      index.set(key, merged.length);
      merged.push(next);
    } else merged[at] = next;
  }
  const removed = new Set(merged.flatMap((op) => (op?.op === 'removeRule' ? [op.ruleId] : [])));
  return merged.filter(
    (op): op is ConfigOperation => op !== null && !(op.op === 'moveRule' && removed.has(op.ruleId)),
  );
}

/** The sentence a conflict's `conflict` holds, naming its fields and rules. */
export function conflictSentence(conflicts: readonly ConfigConflict[]): string {
  const paths = [...new Set(conflicts.map((conflict) => conflict.path))];
  return `Changed since the request was made: ${paths.join(', ')}; propose it again`;
}
