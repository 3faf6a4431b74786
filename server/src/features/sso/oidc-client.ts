import * as client from 'openid-client';
import { ServiceUnavailableError } from '../../errors/index.js';
import type { Logger } from '../../logger.js';
import { isInsecureIssuer, type OidcSettings } from './oidc-settings.js';
import type { OidcState } from './oidc-state.js';
import { groupsOf } from './role-mapping.js';

/** Who the identity provider says signed in, from the verified ID token (and userinfo, for what it lacks). */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string | undefined;
  /** Only an explicit `email_verified: true` counts. */
  emailVerified: boolean;
  name: string | undefined;
  groups: string[];
}

/** The provider refused the sign-in, or its answer did not pass the checks: a 401, with a reason for the audit. */
export class OidcRejection extends Error {
  override name = 'OidcRejection';
  constructor(
    /** Short and safe to show and record: what went wrong, never a token or the secret. */
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The provider cannot be reached (or its discovery document is unusable): a 503. */
export class OidcUnavailable extends ServiceUnavailableError {
  constructor(detail = 'The identity provider cannot be reached; try again shortly') {
    super(detail);
  }
}

/** The relying party of one provider: builds authorization URLs and redeems codes. */
export interface OidcClient {
  /** The provider's authorization endpoint with code + PKCE (S256), `state` and `nonce`. */
  authorizationUrl(state: OidcState): Promise<URL>;
  /**
   * Redeems the code of a callback (its query string) and verifies the ID token: signature against the
   * provider's JWKS, `iss`, `aud`, `exp`, `nonce`; and `state` and the PKCE verifier. Throws
   * {@link OidcRejection} or {@link OidcUnavailable}.
   */
  redeem(query: URLSearchParams, state: OidcState): Promise<OidcIdentity>;
}

/** Options of {@link createOidcClient}. */
export interface OidcClientOptions {
  /** Seconds each request to the provider may take (default 10). */
  timeoutSeconds?: number;
}

const NETWORK_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT']);

/** Whether `error` means the provider did not answer (refused, unreachable, timed out). */
function isUnreachable(error: unknown): boolean {
  // fetch's own failure (connection refused, DNS, TLS) is a TypeError with the cause attached.
  if (error instanceof TypeError && error.cause !== undefined) return true;
  return error instanceof client.ClientError && error.code !== undefined && NETWORK_CODES.has(error.code);
}

/** What went wrong, short: the OAuth error of the provider, or the check that failed. */
function reasonOf(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError) {
    return `the identity provider refused: ${error.error}`;
  }
  if (error instanceof client.ResponseBodyError) return `the token endpoint refused the code: ${error.error}`;
  if (error instanceof client.ClientError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`.slice(0, 300);
  }
  if (error instanceof Error && /signature/i.test(error.message)) return 'the ID token signature is invalid';
  return 'the identity provider answered unexpectedly';
}

/**
 * The OpenID Connect relying party (openid-client). The provider is discovered on first use and the
 * result kept; a failed discovery is not kept, so the next sign-in tries again. Client authentication
 * is client_secret_basic; ID token signatures are checked against the provider's JWKS.
 */
export function createOidcClient(
  settings: OidcSettings,
  logger: Logger,
  options: OidcClientOptions = {},
): OidcClient {
  const timeout = options.timeoutSeconds ?? 10;
  let discovered: Promise<client.Configuration> | undefined;

  const configuration = (): Promise<client.Configuration> => {
    discovered ??= client
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        { redirect_uris: [settings.redirectUrl], response_types: ['code'] },
        client.ClientSecretBasic(settings.clientSecret),
        {
          timeout,
          execute: [
            client.enableNonRepudiationChecks,
            ...(isInsecureIssuer(settings.issuer) ? [client.allowInsecureRequests] : []),
          ],
        },
      )
      .catch((error: unknown) => {
        discovered = undefined;
        const reason = error instanceof Error ? error.message : String(error);
        logger.warn('the OpenID Connect provider cannot be discovered', { issuer: settings.issuer, reason });
        throw new OidcUnavailable();
      });
    return discovered;
  };

  return {
    async authorizationUrl(state) {
      const config = await configuration();
      return client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl,
        scope: settings.scopes.join(' '),
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(state.verifier),
        code_challenge_method: 'S256',
        state: state.state,
        nonce: state.nonce,
      });
    },

    async redeem(query, state) {
      const config = await configuration();
      const current = new URL(settings.redirectUrl);
      current.search = query.toString();
      try {
        const tokens = await client.authorizationCodeGrant(config, current, {
          expectedState: state.state,
          expectedNonce: state.nonce,
          pkceCodeVerifier: state.verifier,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!claims) throw new OidcRejection('the token endpoint returned no ID token');
        let merged: Record<string, unknown> = { ...claims };
        const needsUserinfo =
          merged[settings.groupsClaim] === undefined ||
          merged.email === undefined ||
          merged.name === undefined;
        if (needsUserinfo && config.serverMetadata().userinfo_endpoint) {
          const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
          // The ID token's claims win; userinfo only fills in what it lacks.
          merged = { ...userinfo, ...merged };
        }
        return {
          issuer: claims.iss,
          subject: claims.sub,
          email: typeof merged.email === 'string' ? merged.email.trim().toLowerCase() : undefined,
          emailVerified: merged.email_verified === true,
          name: typeof merged.name === 'string' && merged.name.trim() !== '' ? merged.name.trim() : undefined,
          groups: groupsOf(merged[settings.groupsClaim]),
        };
      } catch (error) {
        if (error instanceof OidcRejection) throw error;
        if (isUnreachable(error)) {
          logger.warn('the OpenID Connect provider did not answer', {
            issuer: settings.issuer,
            reason: error instanceof Error ? error.message : String(error),
          });
          throw new OidcUnavailable();
        }
        throw new OidcRejection(reasonOf(error));
      }
    },
  };
}
