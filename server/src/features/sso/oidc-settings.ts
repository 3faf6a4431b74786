import type { RoleMapping } from './role-mapping.js';

/** Where the identity provider sends the browser back: `RINGFLAG_OIDC_REDIRECT_URL` must end here. */
export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';

/** Single sign-on with an OpenID Connect provider (the `RINGFLAG_OIDC_*` settings). */
export interface OidcSettings {
  /** The provider's issuer identifier; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** Sent only to the provider's token endpoint (client_secret_basic); never logged or shown. */
  clientSecret: string;
  /** This server's callback as the provider knows it: an absolute URL ending at {@link OIDC_CALLBACK_PATH}. */
  redirectUrl: string;
  /** The ID token (or userinfo) claim that lists the user's groups (default `groups`). */
  groupsClaim: string;
  /** Group → project roles or org admin. */
  roles: RoleMapping;
  /** Scopes asked of the provider (default `openid email profile`; always has `openid`). */
  scopes: string[];
  /** False: a user who ever signed in through SSO cannot use their password any more. */
  passwordLogin: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why `value` cannot be the issuer, or undefined when it can: an `https://` URL, or `http://` on a
 * loopback host (a provider on the same machine, for development), with no query or fragment.
 */
export function issuerProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL, like https://login.example.com/realms/acme';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return 'must be an https:// URL (http:// only on localhost)';
  }
  if (url.search !== '' || url.hash !== '') return 'must have no query or fragment';
  return undefined;
}

/** Why `value` cannot be the redirect URL, or undefined when it can. */
export function redirectUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be a URL, like https://flags.example.com${OIDC_CALLBACK_PATH}`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// URL';
  if (url.pathname !== OIDC_CALLBACK_PATH || url.search !== '' || url.hash !== '') {
    return `must end at ${OIDC_CALLBACK_PATH}, like https://flags.example.com${OIDC_CALLBACK_PATH}`;
  }
  return undefined;
}

/** Whether the issuer is plain http (allowed on loopback only: see {@link issuerProblem}). */
export function isInsecureIssuer(issuer: string): boolean {
  return new URL(issuer).protocol === 'http:';
}
