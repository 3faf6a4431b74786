/** Formats a version or revision as a strong ETag: `"7"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * Reads the version a client expects from `If-Match` / `If-None-Match`: `"7"`, `W/"7"` or `7`.
 * Returns undefined for a missing header or `*`, and NaN for one that names no version.
 */
export function versionFromTag(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  return match ? Number(match[1]) : Number.NaN;
}
