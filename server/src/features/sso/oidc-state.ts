import { hkdfSync } from 'node:crypto';
import { EncryptJWT, errors, jwtDecrypt } from 'jose';

/** The cookie that carries a sign-in from `/auth/oidc/login` to `/auth/oidc/callback`. */
export const OIDC_STATE_COOKIE = 'rf_oidc';

/** How long a sign-in at the identity provider may take, in seconds. */
export const OIDC_STATE_TTL_SECONDS = 10 * 60;

/** What the browser carries through one sign-in at the provider. */
export interface OidcState {
  /** The `state` parameter: the callback must bring back the same one. */
  state: string;
  /** The `nonce` the ID token must carry. */
  nonce: string;
  /** The PKCE code verifier, sent with the code to the token endpoint. */
  verifier: string;
  /** Where to go after signing in: a path on this server. */
  next: string;
}

const AUDIENCE = 'ringflag:oidc-state';
const keys = new WeakMap<Uint8Array, Uint8Array>();

/**
 * The key that encrypts state cookies: derived (HKDF-SHA256) from the server's secret, so it differs
 * from the session-signing key and every replica derives the same one.
 */
function stateKey(secret: Uint8Array): Uint8Array {
  let key = keys.get(secret);
  if (!key) {
    key = new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), 'ringflag oidc state cookie', 32));
    keys.set(secret, key);
  }
  return key;
}

/**
 * Seals a sign-in's state into the cookie value: a JWT encrypted with A256GCM (dir), expiring
 * {@link OIDC_STATE_TTL_SECONDS} after `now`. The browser can neither read nor change it.
 *
 * @example
 * const value = await sealOidcState(secret, { state, nonce, verifier, next: '/flags' }, new Date());
 */
export async function sealOidcState(secret: Uint8Array, value: OidcState, now: Date): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new EncryptJWT({ st: value.state, no: value.nonce, cv: value.verifier, nx: value.next })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + OIDC_STATE_TTL_SECONDS)
    .encrypt(stateKey(secret));
}

/** Opens a state cookie: the state, or null when it is not one of ours, was changed, or has expired. */
export async function openOidcState(
  secret: Uint8Array,
  cookie: string,
  now: Date,
): Promise<OidcState | null> {
  try {
    const { payload } = await jwtDecrypt(cookie, stateKey(secret), {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      audience: AUDIENCE,
      currentDate: now,
      requiredClaims: ['exp'],
    });
    const { st, no, cv, nx } = payload;
    if (
      typeof st !== 'string' ||
      typeof no !== 'string' ||
      typeof cv !== 'string' ||
      typeof nx !== 'string'
    ) {
      return null;
    }
    return { state: st, nonce: no, verifier: cv, next: nx };
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
    throw error;
  }
}

/**
 * Where a sign-in may go afterwards: a path on this server (one `/`, then no `/` or `\`), else `/`.
 *
 * @example
 * safeNextPath('/flags?tab=1'); // '/flags?tab=1'
 * safeNextPath('//evil.example'); // '/'
 */
export function safeNextPath(next: string | undefined): string {
  if (next === undefined || next.length > 2000) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  // No control characters (a browser drops tabs and newlines, which would turn `/\t/x` into `//x`),
  // and no backslash (which browsers read as `/`).
  for (const char of next) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || char === '\\') return '/';
  }
  return next;
}
