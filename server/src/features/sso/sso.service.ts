import { z } from '@hono/zod-openapi';
import * as client from 'openid-client';
import { AppError, NotFoundError, RateLimitedError, UnauthorizedError } from '../../errors/index.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../ops/metrics.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import type { LoginResult } from '../auth/auth.service.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { UserRow } from '../users/users.store.js';
import { createOidcClient, type OidcClient, OidcRejection, OidcUnavailable } from './oidc-client.js';
import type { OidcSettings } from './oidc-settings.js';
import { openOidcState, safeNextPath, sealOidcState } from './oidc-state.js';
import { createSsoUserSync } from './sso-users.js';

/** `GET /api/v1/auth/methods`: how people may sign in here. */
export const authMethodsSchema = z
  .object({
    password: z.boolean().openapi({
      description:
        'Whether the sign-in form is offered. False when single sign-on users may not use a password (local users still may).',
    }),
    oidc: z
      .boolean()
      .openapi({ description: 'Whether "Sign in with SSO" works (single sign-on is set up).' }),
  })
  .openapi('AuthMethods');
export type AuthMethods = z.infer<typeof authMethodsSchema>;

/**
 * What the sign-in page says about a failed single sign-on (`/login?sso_error=…`): a fixed word, so
 * nobody can put text of their choosing on the page through a link.
 */
export type SsoErrorCode =
  | 'expired'
  | 'denied'
  | 'refused'
  | 'no_access'
  | 'account'
  | 'disabled'
  | 'unavailable'
  | 'rate_limited'
  | 'not_configured'
  | 'failed';

/** A refused single sign-on (401), with the word the sign-in page shows for it. */
export class SsoSignInError extends UnauthorizedError {
  constructor(
    detail: string,
    readonly code: SsoErrorCode,
  ) {
    super(detail);
  }
}

/** The {@link SsoErrorCode} of any error a sign-in can end with. */
export function ssoErrorCode(error: unknown): SsoErrorCode {
  if (error instanceof SsoSignInError) return error.code;
  if (error instanceof RateLimitedError) return 'rate_limited';
  if (error instanceof NotFoundError) return 'not_configured';
  if (error instanceof AppError && error.status === 503) return 'unavailable';
  return 'failed';
}

/** A finished sign-in: the session, and where to send the browser. */
export interface SsoSignIn {
  session: LoginResult;
  next: string;
}

/** Starts sessions the way password login does (see auth.service.ts). */
export interface SessionStarter {
  startSession(user: UserRow, client: string, details: Record<string, string>): Promise<LoginResult>;
}

/** Single sign-on through an OpenID Connect provider. */
export interface SsoService {
  /** How people may sign in. */
  methods(): AuthMethods;
  /** Starts a sign-in: the provider's URL to send the browser to, and the state cookie to set. */
  begin(next: string | undefined): Promise<{ url: string; cookie: string }>;
  /**
   * Finishes a sign-in from the provider's callback (`query`), with the state cookie the browser
   * brought back: verifies everything, brings the user in line with their groups, starts a session.
   * Throws {@link SsoSignInError} (401), {@link RateLimitedError} (429) or a 503 error.
   */
  finish(query: URLSearchParams, cookie: string | undefined, client: string): Promise<SsoSignIn>;
}

/** What {@link createSsoService} needs. */
export interface SsoServiceDeps extends WriteDeps {
  logger: Logger;
  metrics: Pick<Metrics, 'recordAuthRefusal'>;
  /** The server's secret: the state cookie's key is derived from it. */
  secret: Uint8Array;
  sessions: SessionStarter;
  /** Per-address bounds on callbacks, shared with password logins. */
  limiter: LoginLimiter;
}

/** The audit actor of a failed callback before the provider named anyone. */
const ANONYMOUS_SSO: Actor = { type: 'user', id: 'anonymous', name: 'sso' };

/** The limiter's key for the callbacks from one address (no email is known before the provider answers). */
const limiterKey = (address: string) => `sso\u0000${address}`;

/**
 * Creates the service; `settings` undefined means single sign-on is off (its routes answer 404).
 *
 * Callbacks count against the login limiter per client address before anything else, so garbage
 * cannot be sent fast. A callback without a valid state cookie is only counted (metrics, and a log
 * line at most once a minute): nobody can flood the audit trail with them. Every failure after the
 * state cookie checks out is audited as `auth.login_failed`, every success as `auth.login`.
 */
export function createSsoService(
  deps: SsoServiceDeps,
  settings: OidcSettings | undefined,
  oidc: OidcClient | undefined = settings ? createOidcClient(settings, deps.logger) : undefined,
): SsoService {
  const sync = settings ? createSsoUserSync({ ...deps, roles: settings.roles }) : undefined;
  let lastStateLog = 0;
  let unloggedStates = 0;

  const badState = (client: string): never => {
    deps.metrics.recordAuthRefusal('login', 'sso_state');
    unloggedStates++;
    const now = deps.clock().getTime();
    if (now - lastStateLog >= 60_000) {
      deps.logger.warn('refused single sign-on callbacks without a valid state cookie', {
        client,
        count: unloggedStates,
      });
      lastStateLog = now;
      unloggedStates = 0;
    }
    throw new SsoSignInError(
      'This sign-in did not start here, or took longer than 10 minutes. Sign in again.',
      'expired',
    );
  };

  /** Records a failed callback whose state cookie checked out, before the provider named anyone. */
  const auditFailure = async (client: string, reason: string) => {
    await runWrite(deps, ANONYMOUS_SSO, (w) => {
      w.audit({
        action: 'auth.login_failed',
        resource: { type: 'user', key: 'sso' },
        before: null,
        after: { client, method: 'sso', issuer: settings?.issuer, reason },
      });
    });
  };

  return {
    methods: () => ({ password: settings?.passwordLogin ?? true, oidc: settings !== undefined }),

    async begin(next) {
      if (!settings || !oidc) throw new NotFoundError('Single sign-on is not set up on this server');
      const state = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        next: safeNextPath(next),
      };
      const url = await oidc.authorizationUrl(state);
      return { url: url.href, cookie: await sealOidcState(deps.secret, state, deps.clock()) };
    },

    async finish(query, cookie, address) {
      if (!settings || !oidc || !sync) throw new NotFoundError('Single sign-on is not set up on this server');
      const attempt = deps.limiter.reserve(limiterKey(address), address);
      if (!attempt.ok) {
        deps.metrics.recordAuthRefusal('login', attempt.limit);
        throw new RateLimitedError(`Too many sign-in attempts; try again in ${attempt.retryAfter} s`, [], {
          'retry-after': String(attempt.retryAfter),
        });
      }
      const state = cookie === undefined ? null : await openOidcState(deps.secret, cookie, deps.clock());
      if (!state) return badState(address);

      let identity: Awaited<ReturnType<OidcClient['redeem']>>;
      try {
        identity = await oidc.redeem(query, state);
      } catch (error) {
        if (error instanceof OidcRejection) {
          await auditFailure(address, error.reason);
          const denied = query.has('error');
          throw new SsoSignInError(
            denied
              ? `The identity provider did not sign you in (${query.get('error')?.slice(0, 100)}).`
              : `Single sign-on failed: ${error.reason}.`,
            denied ? 'denied' : 'refused',
          );
        }
        if (error instanceof OidcUnavailable) await auditFailure(address, 'identity provider unreachable');
        throw error;
      }
      // The provider vouched for this person: not a guess, so it does not count against the address.
      attempt.succeeded();
      const outcome = await sync.sync(identity, address);
      if (!outcome.ok) {
        const { refusal } = outcome;
        const code: SsoErrorCode =
          refusal.reason === 'no mapped group'
            ? 'no_access'
            : refusal.reason === 'disabled'
              ? 'disabled'
              : 'account';
        throw new SsoSignInError(refusal.message, code);
      }
      const session = await deps.sessions.startSession(outcome.user, address, { method: 'sso' });
      return { session, next: state.next };
    },
  };
}
