import { createHash } from 'node:crypto';

/**
 * The audit hash as DESIGN §5 documents it, written out again on purpose — not the code's
 * `canonicalJson`/`hashEvent` — so that tests check the implementation against the documented formula:
 * JSON with object keys sorted by UTF-16 code units at every depth, absent members left out.
 *
 * @example
 * documentedCanonicalJson({ b: 1, a: [true] }); // '{"a":[true],"b":1}'
 */
export function documentedCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(documentedCanonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, member]) => member !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${documentedCanonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * `hash = sha256(prevHash + "\n" + canonicalJson(event without hash))`, hex.
 *
 * @example
 * documentedEventHash(event.prevHash, eventWithoutItsHash);
 */
export function documentedEventHash(prevHash: string, event: unknown): string {
  return createHash('sha256')
    .update(`${prevHash}\n${documentedCanonicalJson(event)}`, 'utf8')
    .digest('hex');
}
