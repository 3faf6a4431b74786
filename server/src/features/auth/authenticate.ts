import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { LRUCache } from 'lru-cache';
import type { AppDeps, AppEnv } from '../../app-env.js';
import { ForbiddenError, UnauthorizedError } from '../../errors/index.js';
import { findActiveSession, findApiTokenByHash, findUserById } from './auth.store.js';
import type { Principal } from './principal.js';
import { hasRole, lowerRole, type Role } from './roles.js';
import { hashSecret, SECRET_PREFIX, safeEqual } from './secrets.js';
import { verifySessionToken } from './session-token.js';

/** The HttpOnly session cookie and the readable CSRF cookie set at login. */
export const SESSION_COOKIE = 'rf_session';
export const CSRF_COOKIE = 'rf_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates admin API requests from `Authorization: Bearer <jwt | rf_api_…>` or the session
 * cookie, and sets `principal`. Requests without credentials pass through (routes decide); invalid
 * credentials are a 401. A cookie-authenticated unsafe request must echo the CSRF token.
 *
 * @example
 * app.use('/api/v1/*', authenticate(deps));
 */
export function authenticate(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const refused = refusalLog();
  return async function authenticateRequest(c, next) {
    const principal = await resolvePrincipal(deps, c, refused);
    if (principal?.session?.viaCookie && !SAFE_METHODS.has(c.req.method)) {
      const sent = c.req.header(CSRF_HEADER) ?? '';
      if (!safeEqual(sent, principal.session.csrf)) {
        throw new ForbiddenError('A cookie-authenticated change needs the X-CSRF-Token header from login');
      }
    }
    c.set('principal', principal);
    await next();
  };
}

async function resolvePrincipal(
  deps: AppDeps,
  c: Context<AppEnv>,
  refused: RefusalLog,
): Promise<Principal | undefined> {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('Authorization must be "Bearer <token>"');
    const credential = match[1]!;
    if (credential.startsWith(SECRET_PREFIX.apiToken)) return apiTokenPrincipal(deps, credential, refused);
    if (credential.startsWith(SECRET_PREFIX.serverKey) || credential.startsWith(SECRET_PREFIX.clientKey)) {
      throw new UnauthorizedError('SDK keys are for /sdk/v1 and /client/v1; use a session or an API token');
    }
    return sessionPrincipal(deps, credential, false);
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie) return sessionPrincipal(deps, cookie, true);
  return undefined;
}

async function sessionPrincipal(deps: AppDeps, token: string, viaCookie: boolean): Promise<Principal> {
  const now = deps.clock();
  const claims = await verifySessionToken(deps.secret, token, now);
  if (!claims) throw new UnauthorizedError('The session token is invalid or expired');
  const session = findActiveSession(deps.db, claims.sid);
  const user = findUserById(deps.db, Number(claims.sub));
  if (!session || session.userId !== user?.id || user.disabled || session.expiresAt <= now.toISOString()) {
    throw new UnauthorizedError('The session has ended; log in again');
  }
  return {
    kind: 'user',
    id: user.id,
    name: user.email,
    role: user.role,
    environments: null,
    session: { id: session.id, csrf: claims.csrf, viaCookie },
  };
}

/** Why an API token was refused, as counted in `/metrics`. */
type TokenRefusal = 'unknown' | 'revoked' | 'creator_disabled' | 'no_creator';

/**
 * The principal of an API token. A token never has more rights than the user who created it has
 * now (a token made by a token was recorded under the user behind that one): its role is the lower
 * of its own and its creator's current role, and it stops working once its creator is disabled.
 * Disabling a user revokes their tokens too; the creator check here is a second line of defence.
 */
function apiTokenPrincipal(deps: AppDeps, token: string, refused: RefusalLog): Principal {
  const hash = hashSecret(token);
  const row = findApiTokenByHash(deps.db, hash);
  if (!row || !safeEqual(row.tokenHash, hash)) {
    refused(deps, 'unknown');
    throw new UnauthorizedError('The API token is invalid or revoked');
  }
  if (row.revokedAt !== null) {
    refused(deps, 'revoked', row);
    throw new UnauthorizedError('The API token is invalid or revoked');
  }
  const creator = row.createdBy === null ? undefined : findUserById(deps.db, row.createdBy);
  if (!creator) {
    // Only tokens from before creators were recorded: nobody's current rights to bound them by.
    refused(deps, 'no_creator', row);
    throw new UnauthorizedError('This API token has no recorded creator; create a new one');
  }
  if (creator.disabled) {
    refused(deps, 'creator_disabled', row);
    throw new UnauthorizedError('The user who created this API token is disabled');
  }
  return {
    kind: 'token',
    id: row.id,
    name: row.name,
    role: lowerRole(row.role, creator.role),
    environments: row.environments ?? null,
  };
}

type RefusalLog = (deps: AppDeps, reason: TokenRefusal, row?: { id: number; prefix: string }) => void;

/**
 * Counts every refused API token, and logs (never the secret) a known token's refusal once an hour
 * per token, so that a leaked, revoked token cannot flood the log.
 */
function refusalLog(): RefusalLog {
  const logged = new LRUCache<string, true>({ max: 1000, ttl: 60 * 60_000 });
  return (deps, reason, row) => {
    deps.metrics.recordAuthRefusal('api_token', reason);
    if (!row || logged.has(`${row.id}:${reason}`)) return;
    logged.set(`${row.id}:${reason}`, true);
    deps.logger.warn('refused an API token', { token: row.id, prefix: row.prefix, reason });
  };
}

/** Where a route acts: anywhere (reads), on global resources, or on the `:env` of its path. */
export type Scope = 'read' | 'global' | 'environment';

/**
 * Requires an authenticated principal with at least `minimum` role. API tokens limited to some
 * environments may only write inside them: `global` writes are refused, `environment` writes must
 * name one of theirs in the `env` path parameter.
 *
 * @example
 * createRoute({ …, middleware: [requireRole('editor', 'environment')] });
 */
export function requireRole(minimum: Role, scope: Scope = 'read'): MiddlewareHandler<AppEnv> {
  return async function checkRole(c, next) {
    const principal = c.get('principal');
    if (!principal) throw new UnauthorizedError('Log in, or send an API token');
    if (!hasRole(principal.role, minimum)) {
      throw new ForbiddenError(`This needs the ${minimum} role; you have ${principal.role}`);
    }
    if (principal.environments !== null) {
      if (scope === 'global') throw new ForbiddenError('This token is limited to some environments');
      if (scope === 'environment') {
        const env = c.req.param('env');
        if (env === undefined || !principal.environments.includes(env)) {
          throw new ForbiddenError(`This token may not act on environment "${env ?? ''}"`);
        }
      }
    }
    await next();
  };
}

/** The principal of a route behind {@link requireRole}. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get('principal');
  if (!principal) throw new UnauthorizedError('Log in, or send an API token');
  return principal;
}
