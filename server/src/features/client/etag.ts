/**
 * The ETag of an evaluation for one context: it changes when the environment's revision or the
 * context changes, so a browser polling with `If-None-Match` gets 304 until either does.
 *
 * @example
 * evaluationEtag(42, 'kZt1…'); // '"42-kZt1…"'
 */
export function evaluationEtag(revision: number, hash: string): string {
  return `"${revision}-${hash}"`;
}

/**
 * Whether an `If-None-Match` header names `etag` (a list, weak tags and `*` are understood).
 *
 * @example
 * etagMatches('W/"42-abc", "41-abc"', '"42-abc"'); // true
 */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const tag = part.trim().replace(/^W\//, '');
    if (tag === '*' || tag === etag) return true;
  }
  return false;
}
