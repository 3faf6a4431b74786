import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.js';
import { ForbiddenError, UnauthorizedError } from '../../errors/index.js';
import type { Principal } from './principal.js';
import type { PrincipalResolver } from './principal-resolver.js';
import { hasRole, type Role } from './roles.js';
import { SECRET_PREFIX, safeEqual } from './secrets.js';

/** The HttpOnly session cookie and the readable CSRF cookie set at login. */
export const SESSION_COOKIE = 'rf_session';
export const CSRF_COOKIE = 'rf_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates admin API requests from `Authorization: Bearer <jwt | rf_api_…>` or the session
 * cookie, and sets `principal`. Requests without credentials pass through (routes decide); invalid
 * credentials are a 401. A cookie-authenticated unsafe request must echo the CSRF token. Every
 * request is resolved against the database afresh, on every replica alike (see principal-resolver.ts).
 *
 * @example
 * app.use('/api/v1/*', authenticate(createPrincipalResolver(deps)));
 */
export function authenticate(principals: PrincipalResolver): MiddlewareHandler<AppEnv> {
  return async function authenticateRequest(c, next) {
    const principal = await resolvePrincipal(principals, c);
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
  principals: PrincipalResolver,
  c: Context<AppEnv>,
): Promise<Principal | undefined> {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('Authorization must be "Bearer <token>"');
    const credential = match[1]!;
    if (credential.startsWith(SECRET_PREFIX.apiToken)) return principals.fromApiToken(credential);
    if (credential.startsWith(SECRET_PREFIX.serverKey) || credential.startsWith(SECRET_PREFIX.clientKey)) {
      throw new UnauthorizedError('SDK keys are for /sdk/v1 and /client/v1; use a session or an API token');
    }
    return principals.fromSession(credential, false);
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie) return principals.fromSession(cookie, true);
  return undefined;
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
