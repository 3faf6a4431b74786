/// <reference lib="es2024.string" />

/**
 * The value as it comes back from the database: through a JSON round trip (which drops what JSON cannot
 * carry), with every string, member names included, made well-formed Unicode: each lone UTF-16
 * surrogate becomes U+FFFD. SQLite stores text as UTF-8, which cannot hold a lone surrogate and keeps
 * U+FFFD in its place, so an audit event hashed before this step would hash something other than what
 * is stored.
 *
 * @example
 * toStoredJson({ email: 'x\ud800@example.com', skipped: undefined }); // { email: 'x\ufffd@example.com' }
 */
export function toStoredJson<T>(value: T): T {
  const text = JSON.stringify(value);
  const parsed = JSON.parse(text) as T;
  // JSON.stringify writes a lone surrogate as a `\udxxx` escape and a pair as its raw characters, so
  // text without such an escape holds only well-formed strings: the common case skips the walk.
  return LONE_SURROGATE_ESCAPE.test(text) ? (normalise(parsed) as T) : parsed;
}

const LONE_SURROGATE_ESCAPE = /\\ud[89a-f]/;

function normalise(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(normalise);
  // fromEntries defines own members, so a "__proto__" key stays data instead of setting the prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => [key.toWellFormed(), normalise(member)]),
  );
}
