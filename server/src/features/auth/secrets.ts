import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefixes of the secrets Ringflag issues; they make leaked secrets easy to recognise and scan for. */
export const SECRET_PREFIX = { apiToken: 'rf_api_', serverKey: 'rf_srv_', clientKey: 'rf_cli_' } as const;

/**
 * A new random secret with a prefix, e.g. `rf_srv_…` (32 random bytes, base64url).
 *
 * @example
 * const key = generateSecret('rf_srv_');
 */
export function generateSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** The sha256 (hex) under which a secret is stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two strings in constant time (for equal lengths). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The displayable start of a secret, to tell keys apart in lists. */
export function secretPrefix(secret: string): string {
  return `${secret.slice(0, 11)}…`;
}
