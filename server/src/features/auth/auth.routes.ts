import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.js';
import { clientAddress, requestIsHttps } from '../../http/client-address.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import type { AuthService } from './auth.service.js';
import { CSRF_COOKIE, principalOf, requireRole, SESSION_COOKIE } from './authenticate.js';

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
    200: '{ token, csrfToken, expiresAt, user }',
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
  middleware: [requireRole('viewer')],
  responses: responses({ 204: 'Logged out' }),
});

const me = createRoute({
  method: 'get',
  path: '/api/v1/me',
  tags: ['auth'],
  summary: 'Who am I',
  security: ADMIN_SECURITY,
  middleware: [requireRole('viewer')],
  responses: responses({ 200: 'The caller' }),
});

/** What {@link registerAuthRoutes} needs. */
export interface AuthRoutesDeps {
  auth: AuthService;
  /** Session lifetime, in seconds (the cookies' max-age). */
  sessionTtlSeconds: number;
}

/** Login, logout and `GET /api/v1/me`. */
export function registerAuthRoutes(
  app: OpenAPIHono<AppEnv>,
  { auth, sessionTtlSeconds }: AuthRoutesDeps,
): void {
  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    const result = await auth.login(email, password, clientAddress(c));
    const secure = requestIsHttps(c);
    const cookie = { path: '/', sameSite: 'Strict', secure, maxAge: sessionTtlSeconds } as const;
    setCookie(c, SESSION_COOKIE, result.token, { ...cookie, httpOnly: true });
    setCookie(c, CSRF_COOKIE, result.csrfToken, cookie);
    return c.json(result, 200);
  });

  app.openapi(logout, async (c) => {
    await auth.logout(principalOf(c));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    deleteCookie(c, CSRF_COOKIE, { path: '/' });
    return c.body(null, 204);
  });

  app.openapi(me, (c) => {
    const principal = principalOf(c);
    return c.json(
      {
        kind: principal.kind,
        id: principal.id,
        name: principal.name,
        role: principal.role,
        environments: principal.environments,
      },
      200,
    );
  });
}
