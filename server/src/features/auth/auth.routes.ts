import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.js';
import { NotFoundError } from '../../errors/index.js';
import { clientAddress, requestIsHttps } from '../../http/client-address.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { namesProject } from '../projects/project-path.js';
import { passwordSchema } from '../users/users.routes.js';
import { type AuthService, type LoginResult, loginResultSchema } from './auth.service.js';
import { CSRF_COOKIE, principalOf, requireSignedIn, SESSION_COOKIE } from './authenticate.js';
import { roleOrNoneSchema } from './roles.js';

export const loginSchema = z.object({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
});

const login = createRoute({
  method: 'post',
  path: '/api/v1/auth/login',
  tags: ['auth'],
  summary: 'Log in: returns a JWT and sets the session cookie',
  request: { body: jsonBody(loginSchema) },
  responses: responses({
    200: { description: 'The session', schema: loginResultSchema },
    401: 'Wrong credentials',
    429: 'Rate limited',
  }),
});

const logout = createRoute({
  method: 'post',
  path: '/api/v1/auth/logout',
  tags: ['auth'],
  summary: 'Log out: ends the session',
  security: ADMIN_SECURITY,
  middleware: [requireSignedIn()],
  responses: responses({ 204: 'Logged out' }),
});

/** `GET /api/v1/me`: who is calling, and what they may do. */
export const meSchema = z
  .object({
    kind: z.enum(['user', 'token']),
    id: z.number().int(),
    name: z.string().openapi({ description: "The user's email or the token's name." }),
    role: roleOrNoneSchema.openapi({
      description:
        'Your role in the project of the URL (`/api/v1/projects/{project}/me`; `/api/v1/me` is the default project); null for none.',
    }),
    /** Manages users and projects, and is an admin in every project. */
    orgAdmin: z.boolean(),
    /** The project the role is in. */
    project: z.string(),
    environments: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'Environment keys an API token is limited to; null means all.' }),
  })
  .openapi('Me');

const me = createRoute({
  method: 'get',
  path: '/api/v1/me',
  tags: ['auth'],
  summary: 'Who am I, and my role in the project',
  security: ADMIN_SECURITY,
  middleware: [requireSignedIn()],
  responses: responses({ 200: { description: 'The caller', schema: meSchema } }),
});

export const passwordChangeSchema = z
  .object({
    currentPassword: z.string().min(1).max(1024),
    newPassword: passwordSchema,
  })
  .strict();

const changePassword = createRoute({
  method: 'post',
  path: '/api/v1/me/password',
  tags: ['auth'],
  summary: 'Change your own password (current and new); your other sessions end',
  description:
    'Users only (an API token has no password: 403). A wrong `currentPassword` is a 400 at that path and counts as a failed login for the rate limits (429 with Retry-After). Audited as `user.password_change`; every other session of the user is revoked, this one stays.',
  security: ADMIN_SECURITY,
  middleware: [requireSignedIn()],
  request: { body: jsonBody(passwordChangeSchema) },
  responses: responses({
    204: 'Changed',
    400: 'Wrong current password, or an invalid new one',
    403: 'An API token',
    429: 'Rate limited',
  }),
});

/**
 * Sets the cookies of a new session: the HttpOnly session JWT and the readable CSRF token, both
 * SameSite=Strict, Secure over HTTPS, living as long as the session.
 */
export function setSessionCookies(
  c: Context<AppEnv>,
  result: Pick<LoginResult, 'token' | 'csrfToken'>,
  sessionTtlSeconds: number,
): void {
  const cookie = {
    path: '/',
    sameSite: 'Strict',
    secure: requestIsHttps(c),
    maxAge: sessionTtlSeconds,
  } as const;
  setCookie(c, SESSION_COOKIE, result.token, { ...cookie, httpOnly: true });
  setCookie(c, CSRF_COOKIE, result.csrfToken, cookie);
}

/** What {@link registerAuthRoutes} needs. */
export interface AuthRoutesDeps {
  auth: AuthService;
  /** Session lifetime, in seconds (the cookies' max-age). */
  sessionTtlSeconds: number;
}

/** Login, logout, `GET /api/v1/me` and `POST /api/v1/me/password`. */
export function registerAuthRoutes(
  app: OpenAPIHono<AppEnv>,
  { auth, sessionTtlSeconds }: AuthRoutesDeps,
): void {
  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    const result = await auth.login(email, password, clientAddress(c));
    setSessionCookies(c, result, sessionTtlSeconds);
    return c.json(result, 200);
  });

  app.openapi(logout, async (c) => {
    await auth.logout(principalOf(c));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    deleteCookie(c, CSRF_COOKIE, { path: '/' });
    return c.body(null, 204);
  });

  app.openapi(changePassword, async (c) => {
    const { currentPassword, newPassword } = c.req.valid('json');
    await auth.changePassword(principalOf(c), currentPassword, newPassword, clientAddress(c));
    return c.body(null, 204);
  });

  app.openapi(me, (c) => {
    const principal = principalOf(c);
    // A project the caller has no role in does not exist for them, here as everywhere.
    const project = c.get('project');
    if (principal.role === null && project && namesProject(c.req.raw)) {
      throw new NotFoundError(`No project "${project.key}"`);
    }
    return c.json(
      {
        kind: principal.kind,
        id: principal.id,
        name: principal.name,
        role: principal.role,
        orgAdmin: principal.orgAdmin,
        project: c.get('project')?.key ?? 'default',
        environments: principal.environments,
      },
      200,
    );
  });
}
