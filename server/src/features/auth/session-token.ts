import { errors, jwtVerify, SignJWT } from 'jose';

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
 * Verifies a session JWT: HS256 only (so `alg: none` and other algorithms fail), signature, issuer and
 * expiry at `now`. Returns the claims, or null for any invalid token.
 */
export async function verifySessionToken(
  secret: Uint8Array,
  token: string,
  now: Date,
): Promise<SessionClaims | null> {
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
      typeof payload.csrf !== 'string'
    ) {
      return null;
    }
    return { sub: payload.sub, sid: payload.sid, csrf: payload.csrf };
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
    throw error;
  }
}
