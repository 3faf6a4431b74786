import { PreconditionFailedError, PreconditionRequiredError } from '../errors/index.js';

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

/**
 * The version a write expects from its `If-Match` header: undefined for none or `*`; a 412 problem for
 * a header that names no version (`what` says of what, e.g. "the flag").
 *
 * @example
 * ifMatchVersion(c.req.header('if-match'), 'the flag'); // 3 for '"3"'
 */
export function ifMatchVersion(header: string | undefined, what: string): number | undefined {
  const version = versionFromTag(header);
  if (Number.isNaN(version))
    throw new PreconditionFailedError(`If-Match must be the ETag of ${what}, e.g. "3"`);
  return version;
}

/**
 * The version a REPLACE expects: `If-Match`, else the `version` in the body. A replace must say which
 * version it replaces, so that nobody overwrites a change they never saw; `If-Match: *` is how a
 * client says "whatever is there" (then undefined). Neither is a 428 problem.
 *
 * @example
 * replacedVersion(c.req.header('if-match'), body.version, 'the config'); // 7, or undefined for '*'
 */
export function replacedVersion(
  header: string | undefined,
  bodyVersion: number | undefined,
  what: string,
): number | undefined {
  const version = ifMatchVersion(header, what) ?? bodyVersion;
  if (version === undefined && header?.trim() !== '*') {
    throw new PreconditionRequiredError(
      `Send If-Match with the ETag of ${what} you read, or its version in the body (If-Match: * replaces whatever version is there)`,
      [{ path: 'version', message: 'say which version this replaces' }],
    );
  }
  return version;
}
