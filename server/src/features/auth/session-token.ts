import { errors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';

/** The claims of a session JWT. */
export interface SessionClaims {
  /** The user id. */
  sub: string;
  /** The session id (logout revokes it). */
  sid: string;
  /** The CSRF token that cookie-authenticated unsafe requests must echo in `X-CSRF-Token`. */
  csrf: string;
}

const ISSUER = 'ringflag';

/**
 * Signs a session JWT (HS256).
 *
 * @example
 * const token = await signSessionToken(secret, { sub: '1', sid, csrf }, new Date(), 43_200);
 */
export async function signSessionToken(
  secret: Uint8Array,
  claims: SessionClaims,
  now: Date,
  ttlSeconds: number,
): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({ sid: claims.sid, csrf: claims.csrf })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(secret);
}

/**
 * Tokens already verified, per signing secret: a busy client's requests skip the HMAC check (an
 * async WebCrypto job, a measurable share of an admin write) after the first. The key is the whole
 * token string, so any altered token is a different key and is verified afresh; expiry is checked
 * again on every hit, and whether the session is still active is asked of the database on every
 * request regardless (logout and disabling a user take effect at once).
 */
const verifiedBySecret = new WeakMap<
  Uint8Array,
  LRUCache<string, { claims: SessionClaims; expiresAtMs: number }>
>();

function verifiedTokens(secret: Uint8Array) {
  let cache = verifiedBySecret.get(secret);
  if (!cache) {
    cache = new LRUCache({ max: 10_000 });
    verifiedBySecret.set(secret, cache);
  }
  return cache;
}

/**
 * Verifies a session JWT: HS256 only (so `alg: none` and other algorithms fail), signature, issuer and
 * expiry at `now`. Returns the claims, or null for any invalid token.
 */
export async function verifySessionToken(
  secret: Uint8Array,
  token: string,
  now: Date,
): Promise<SessionClaims | null> {
  const cache = verifiedTokens(secret);
  const hit = cache.get(token);
  if (hit) {
    if (now.getTime() < hit.expiresAtMs) return hit.claims;
    cache.delete(token);
    return null;
  }
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      currentDate: now,
      requiredClaims: ['sub', 'exp'],
    });
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.sid !== 'string' ||
      typeof payload.csrf !== 'string' ||
      typeof payload.exp !== 'number'
    ) {
      return null;
    }
    const claims = { sub: payload.sub, sid: payload.sid, csrf: payload.csrf };
    cache.set(token, { claims, expiresAtMs: payload.exp * 1000 });
    return claims;
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
    throw error;
  }
}
