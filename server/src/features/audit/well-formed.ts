/// <reference lib="es2024.string" />

/**
 * The value as it comes back from the database: through a JSON round trip (which drops what JSON cannot
 * carry), with every string, member names included, made storable text: each lone UTF-16 surrogate
 * and each U+0000 becomes U+FFFD. The database stores text as UTF-8, which cannot hold a lone surrogate
 * (SQLite keeps U+FFFD in its place), and PostgreSQL refuses U+0000 in text outright, so an audit event
 * hashed before this step would hash something other than what is stored, or not be stored at all.
 * Both dialects store the same text.
 *
 * @example
 * toStoredJson({ email: 'x\ud800@example.com', skipped: undefined }); // { email: 'x\ufffd@example.com' }
 */
export function toStoredJson<T>(value: T): T {
  const text = JSON.stringify(value);
  const parsed = JSON.parse(text) as T;
  // JSON.stringify writes a lone surrogate as a `\udxxx` escape, U+0000 as `\u0000` and a pair as its
  // raw characters, so text without such an escape holds only storable strings: the common case skips
  // the walk.
  return UNSTORABLE_ESCAPE.test(text) ? (normalise(parsed) as T) : parsed;
}

const UNSTORABLE_ESCAPE = /\\u(?:d[89a-f]|0000)/;

function normalise(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(normalise);
  // fromEntries defines own members, so a "__proto__" key stays data instead of setting the prototype.
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [storable(key), normalise(member)]));
}

function storable(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\ufffd');
}
