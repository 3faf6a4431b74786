/** One row of the attribute form of "test a context". */
export interface AttributeRow {
  name: string;
  value: string;
}

export type ContextValue = string | number | boolean | string[];

/**
 * Turns attribute rows into a context: `groups` (and any comma list) becomes an array, `true`/`false`
 * booleans, numbers stay strings unless asked (attributes compare as written), empty names are skipped.
 *
 * @example
 * rowsToContext([{ name: 'key', value: 'user-1' }, { name: 'groups', value: 'beta, staff' }]);
 * // { key: 'user-1', groups: ['beta', 'staff'] }
 */
export function rowsToContext(rows: readonly AttributeRow[]): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {};
  for (const row of rows) {
    const name = row.name.trim();
    if (name === '') continue;
    const value = row.value.trim();
    if (name === 'groups' || (value.includes(',') && name !== 'key')) {
      context[name] = value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    } else if (value === 'true' || value === 'false') {
      context[name] = value === 'true';
    } else if (name !== 'key' && value !== '' && /^-?\d+(\.\d+)?$/.test(value)) {
      context[name] = Number(value);
    } else {
      context[name] = value;
    }
  }
  return context;
}

/** Parses the JSON form; returns the context or a message. */
export function parseContextJson(
  text: string,
): { ok: true; context: Record<string, unknown> } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'A context is a JSON object, like {"key": "user-1", "groups": ["beta"]}' };
  }
  return { ok: true, context: value as Record<string, unknown> };
}

/** Splits a textarea of keys or values: one per line (commas also separate, except for regexes). */
export function splitList(text: string, commas = true): string[] {
  return text
    .split(commas ? /[\n,]/ : /\n/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
