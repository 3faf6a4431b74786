import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors/index.js';
import { PROJECT_KEY_PATTERN, projectKeyOf } from '../projects/project-path.js';
import { inProject } from '../projects/project-scope.js';
import type { ProjectRow } from '../projects/projects.store.js';
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
 * It also finds the project the request acts in (see project-path.ts), sets `project`, resolves the
 * principal's role in it, and runs the rest of the request in it (project-scope.ts). A project that
 * does not exist is a 404 for a signed-in caller (a 401 for anyone else, so keys cannot be probed).
 *
 * @example
 * app.use('/api/v1/*', authenticate(createPrincipalResolver(deps), (key) => findProjectByKey(database, key)));
 */
export function authenticate(
  principals: PrincipalResolver,
  findProject: (key: string) => Promise<ProjectRow | undefined>,
): MiddlewareHandler<AppEnv> {
  return async function authenticateRequest(c, next) {
    const key = projectKeyOf(c.req.raw);
    const project = key !== undefined && PROJECT_KEY_PATTERN.test(key) ? await findProject(key) : undefined;
    const principal = await resolvePrincipal(principals, c, project);
    if (principal?.session?.viaCookie && !SAFE_METHODS.has(c.req.method)) {
      const sent = c.req.header(CSRF_HEADER) ?? '';
      if (!safeEqual(sent, principal.session.csrf)) {
        throw new ForbiddenError('A cookie-authenticated change needs the X-CSRF-Token header from login');
      }
    }
    c.set('principal', principal);
    c.set('project', project);
    if (key === undefined) return next();
    if (!principal) throw new UnauthorizedError('Log in, or send an API token');
    if (!project) throw noSuchProject(key);
    return inProject(project, next);
  };
}

function noSuchProject(key: string): NotFoundError {
  return new NotFoundError(`No project "${key}"`);
}

async function resolvePrincipal(
  principals: PrincipalResolver,
  c: Context<AppEnv>,
  project: ProjectRow | undefined,
): Promise<Principal | undefined> {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('Authorization must be "Bearer <token>"');
    const credential = match[1]!;
    if (credential.startsWith(SECRET_PREFIX.apiToken)) return principals.fromApiToken(credential, project);
    if (credential.startsWith(SECRET_PREFIX.serverKey) || credential.startsWith(SECRET_PREFIX.clientKey)) {
      throw new UnauthorizedError('SDK keys are for /sdk/v1 and /client/v1; use a session or an API token');
    }
    return principals.fromSession(credential, false, project);
  }
  // The single sign-on routes need nobody signed in: a session cookie that ended must not stop
  // anyone from signing in again, so it is not even looked at there.
  if (c.req.path.startsWith(SSO_PATH_PREFIX) || c.req.path === AUTH_METHODS_PATH) return undefined;
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie) return principals.fromSession(cookie, true, project);
  return undefined;
}

/** Where single sign-on starts and ends (no principal needed), and the public list of sign-in methods. */
const SSO_PATH_PREFIX = '/api/v1/auth/oidc/';
const AUTH_METHODS_PATH = '/api/v1/auth/methods';

/**
 * Where a route acts: in its project anywhere (reads), on the project's global resources, or on the
 * `:env` of its path; or on the organisation (users, projects), which only org admins manage.
 */
export type Scope = 'read' | 'global' | 'environment' | 'project' | 'organisation';

/**
 * Requires an authenticated principal with at least `minimum` role in the request's project (or, for
 * `organisation` routes, an org admin). `project` routes change the project itself (its name, its
 * members) and are open on an archived project too. Someone without any role in the project gets the 404 of a
 * project that does not exist: projects are visible to their members only. An archived project takes
 * no changes. API tokens limited to some environments may only write inside them: `global` writes are
 * refused, `environment` writes must name one of theirs in the `env` path parameter.
 *
 * @example
 * createRoute({ …, middleware: [requireRole('editor', 'environment')] });
 */
export function requireRole(minimum: Role, scope: Scope = 'read'): MiddlewareHandler<AppEnv> {
  return async function checkRole(c, next) {
    const principal = c.get('principal');
    if (!principal) throw new UnauthorizedError('Log in, or send an API token');
    if (scope === 'organisation') {
      if (!principal.orgAdmin) throw new ForbiddenError('This needs an organisation admin');
      await next();
      return;
    }
    const project = c.get('project');
    if (!project) throw new Error(`route ${c.req.path} checks a project role outside a project`);
    if (principal.role === null) throw noSuchProject(project.key);
    if (!hasRole(principal.role, minimum)) {
      throw new ForbiddenError(
        `This needs the ${minimum} role in "${project.key}"; you have ${principal.role}`,
      );
    }
    if (project.archived && scope !== 'project' && !SAFE_METHODS.has(c.req.method)) {
      throw new ConflictError(`Project "${project.key}" is archived; unarchive it to change it`);
    }
    if (principal.environments !== null) {
      if (scope === 'global' || scope === 'project') {
        throw new ForbiddenError('This token is limited to some environments');
      }
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

/** Requires an authenticated principal, whatever their roles (their own session, the project list). */
export function requireSignedIn(): MiddlewareHandler<AppEnv> {
  return async function checkSignedIn(c, next) {
    if (!c.get('principal')) throw new UnauthorizedError('Log in, or send an API token');
    await next();
  };
}

/** The principal of a route behind {@link requireRole} or {@link requireSignedIn}. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get('principal');
  if (!principal) throw new UnauthorizedError('Log in, or send an API token');
  return principal;
}

/** The principal of a project route behind {@link requireRole}, with its role there. */
export function memberOf(c: Context<AppEnv>): Principal & { role: Role } {
  const principal = principalOf(c);
  const { role } = principal;
  if (role === null) throw noSuchProject(c.get('project')?.key ?? '');
  return { ...principal, role };
}
