import { compact } from './output.js';
import type { Targeting } from './rollout.js';

/** One difference: `before` is undefined for an addition, `after` for a removal. */
export interface Change {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, entry]) => [key, sortKeys(entry)]),
    );
  }
  return value;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/**
 * The fields of `after` that differ from `before`; fields `after` leaves undefined are not managed
 * and never differ.
 *
 * @example
 * diffFields({ name: 'a', tags: [] }, { name: 'b' }, ['name', 'tags']); // [{ path: 'name', before: 'a', after: 'b' }]
 */
export function diffFields<T extends object>(
  before: T,
  after: Partial<T>,
  fields: readonly (keyof T)[],
): Change[] {
  const changes: Change[] = [];
  for (const field of fields) {
    const wanted = after[field];
    if (wanted === undefined) continue;
    if (!sameValue(before[field], wanted)) {
      changes.push({ path: String(field), before: before[field], after: wanted });
    }
  }
  return changes;
}

/**
 * What changes from one config's targeting to another's: rules by id (added, removed, changed,
 * reordered), every other field as a whole.
 */
export function diffTargeting(before: Targeting, after: Targeting): Change[] {
  const changes = diffFields(before, after, ['enabled', 'offVariation', 'prerequisites', 'targets']);
  changes.push(...diffRules(before.rules ?? [], after.rules ?? []));
  changes.push(...diffFields(before, after, ['fallthrough']));
  return changes;
}

function diffRules(before: Targeting['rules'], after: Targeting['rules']): Change[] {
  const ids = (rules: Targeting['rules']) => rules.map((rule) => rule.id);
  if (new Set(ids(before)).size !== before.length || new Set(ids(after)).size !== after.length) {
    return sameValue(before, after) ? [] : [{ path: 'rules', before, after }];
  }
  const old = new Map(before.map((rule) => [rule.id, rule]));
  const wanted = new Map(after.map((rule) => [rule.id, rule]));
  const changes: Change[] = [];
  for (const rule of before) {
    if (!wanted.has(rule.id)) changes.push({ path: `rules[id=${rule.id}]`, before: rule });
  }
  for (const rule of after) {
    const previous = old.get(rule.id);
    if (!previous) changes.push({ path: `rules[id=${rule.id}]`, after: rule });
    else if (!sameValue(previous, rule))
      changes.push({ path: `rules[id=${rule.id}]`, before: previous, after: rule });
  }
  const kept = (list: string[], other: Map<string, unknown>) => list.filter((id) => other.has(id));
  const orderBefore = kept(ids(before), wanted);
  const orderAfter = kept(ids(after), old);
  if (orderBefore.join('\n') !== orderAfter.join('\n')) {
    changes.push({ path: 'rules (order)', before: orderBefore, after: orderAfter });
  }
  return changes;
}

/**
 * One line per change: `+ path: value`, `- path: value`, `~ path: before → after`.
 *
 * @example
 * formatChanges([{ path: 'enabled', before: false, after: true }], '  '); // ['  ~ enabled: false → true']
 */
export function formatChanges(changes: readonly Change[], indent = ''): string[] {
  return changes.map((change) => {
    if (change.before === undefined) return `${indent}+ ${change.path}: ${compact(change.after)}`;
    if (change.after === undefined) return `${indent}- ${change.path}: ${compact(change.before)}`;
    return `${indent}~ ${change.path}: ${compact(change.before)} → ${compact(change.after)}`;
  });
}
