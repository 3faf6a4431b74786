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
