import type { ConfigField, ConfigOperation, FlagConfig } from '../types';

/** One difference between two JSON values. */
export interface Change {
  /** `rules[0].clauses[0].values`, or '' for the whole value. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Arrays of plain values (tags, keys, clause values) read better whole than item by item. */
const isLeafArray = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object');

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

/**
 * The changes from `before` to `after`, down to the leaves, in document order. Timestamps and
 * versions are left out by the caller when they are noise.
 *
 * @example
 * diffJson({ enabled: false }, { enabled: true }); // [{ path: 'enabled', kind: 'changed', before: false, after: true }]
 */
export function diffJson(before: unknown, after: unknown, path = ''): Change[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before === undefined || before === null) {
    if (after === undefined || after === null) return [];
    if (path !== '' || !isRecord(after)) return [{ path, kind: 'added', after }];
  }
  if (after === undefined || after === null) {
    if (path !== '' || !isRecord(before)) return [{ path, kind: 'removed', before }];
  }
  if (isRecord(before) || isRecord(after)) {
    const a = isRecord(before) ? before : {};
    const b = isRecord(after) ? after : {};
    if (!isRecord(before) && before !== null && before !== undefined)
      return [{ path, kind: 'changed', before, after }];
    if (!isRecord(after) && after !== null && after !== undefined)
      return [{ path, kind: 'changed', before, after }];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((key) => {
      const inA = key in a;
      const inB = key in b;
      if (!inA) return [{ path: join(path, key), kind: 'added' as const, after: b[key] }];
      if (!inB) return [{ path: join(path, key), kind: 'removed' as const, before: a[key] }];
      return diffJson(a[key], b[key], join(path, key));
    });
  }
  if (Array.isArray(before) && Array.isArray(after) && !(isLeafArray(before) && isLeafArray(after))) {
    const length = Math.max(before.length, after.length);
    const out: Change[] = [];
    for (let i = 0; i < length; i++) {
      if (i >= before.length) out.push({ path: join(path, i), kind: 'added', after: after[i] });
      else if (i >= after.length) out.push({ path: join(path, i), kind: 'removed', before: before[i] });
      else out.push(...diffJson(before[i], after[i], join(path, i)));
    }
    return out;
  }
  return [{ path, kind: 'changed', before, after }];
}

/** A short rendering of a JSON value for a diff line. */
export function preview(value: unknown, max = 160): string {
  const text = value === undefined ? '—' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The config fields a change request sets whole, in the order they are described. */
export const CONFIG_FIELDS: readonly ConfigField[] = [
  'enabled',
  'targets',
  'prerequisites',
  'fallthrough',
  'offVariation',
];

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Positions of a longest increasing run (not necessarily contiguous) in `values`: the rules that
 * kept their order; the others moved.
 */
function longestIncreasing(values: readonly number[]): Set<number> {
  const length = values.map(() => 1);
  const previous = values.map(() => -1);
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < i; j++) {
      if ((values[j] ?? 0) < (values[i] ?? 0) && (length[j] ?? 0) + 1 > (length[i] ?? 0)) {
        length[i] = (length[j] ?? 0) + 1;
        previous[i] = j;
      }
    }
  }
  let end = -1;
  for (let i = 0; i < values.length; i++) if (end < 0 || (length[i] ?? 0) > (length[end] ?? 0)) end = i;
  const kept = new Set<number>();
  for (let i = end; i >= 0; i = previous[i] ?? -1) kept.add(i);
  return kept;
}

/**
 * The steps that turn config `before` into `after`, in the shape a config change request lists
 * them: whole fields set, and rules added, changed, removed and moved (matched by id). Used to
 * describe an audit event or a proposal that carries no steps of its own.
 *
 * @example
 * configOperations(live, { ...live, enabled: true }); // [{ op: 'set', field: 'enabled', before: false, after: true }]
 */
export function configOperations(
  before: Partial<Pick<FlagConfig, ConfigField | 'rules'>>,
  after: Partial<Pick<FlagConfig, ConfigField | 'rules'>>,
): ConfigOperation[] {
  const ops: ConfigOperation[] = [];
  for (const field of CONFIG_FIELDS) {
    if (!sameJson(before[field], after[field])) {
      ops.push({ op: 'set', field, before: before[field], after: after[field] });
    }
  }
  const old = before.rules ?? [];
  const next = after.rules ?? [];
  const oldById = new Map(old.map((rule) => [rule.id, rule]));
  const nextIds = new Set(next.map((rule) => rule.id));
  const previousId = (index: number) => (index === 0 ? null : (next[index - 1]?.id ?? null));
  for (const rule of old) {
    if (!nextIds.has(rule.id)) ops.push({ op: 'removeRule', ruleId: rule.id, before: rule });
  }
  next.forEach((rule, index) => {
    const was = oldById.get(rule.id);
    if (!was) ops.push({ op: 'addRule', rule, afterRule: previousId(index) });
    else if (!sameJson(was, rule)) ops.push({ op: 'updateRule', ruleId: rule.id, before: was, after: rule });
  });
  // Rules in both: those outside the longest run that kept its order moved.
  const common = next.map((rule, index) => ({ rule, index })).filter(({ rule }) => oldById.has(rule.id));
  const oldIndex = new Map(old.map((rule, index) => [rule.id, index]));
  const kept = longestIncreasing(common.map(({ rule }) => oldIndex.get(rule.id) ?? 0));
  common.forEach(({ rule, index }, i) => {
    if (!kept.has(i)) ops.push({ op: 'moveRule', ruleId: rule.id, afterRule: previousId(index) });
  });
  return ops;
}
