import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.js';
import { AppError } from '../../errors/index.js';
import { clientAddress, requestIsHttps } from '../../http/client-address.js';
import { responses } from '../../http/openapi-app.js';
import { problemResponse } from '../../http/problem.js';
import { setSessionCookies } from '../auth/auth.routes.js';
import { OIDC_CALLBACK_PATH } from './oidc-settings.js';
import { OIDC_STATE_COOKIE, OIDC_STATE_TTL_SECONDS } from './oidc-state.js';
import { authMethodsSchema, type SsoService, ssoErrorCode } from './sso.service.js';

/** The state cookie goes only to the sign-in routes. */
const STATE_COOKIE_PATH = '/api/v1/auth/oidc';

const methods = createRoute({
  method: 'get',
  path: '/api/v1/auth/methods',
  tags: ['auth'],
  summary: 'How to sign in here: password, single sign-on, or both',
  responses: responses({ 200: { description: 'The sign-in methods', schema: authMethodsSchema } }),
});

const oidcLogin = createRoute({
  method: 'get',
  path: '/api/v1/auth/oidc/login',
  tags: ['auth'],
  summary: 'Sign in with SSO: redirects to the identity provider',
  description:
    'Redirects (302) to the OpenID Connect provider with an authorization code request (PKCE S256, state, nonce), setting a short-lived encrypted state cookie. A browser (Accept: text/html) is sent to `/login?sso_error=…` on failure; others get problem+json.',
  request: {
    query: z.object({
      next: z
        .string()
        .max(2000)
        .optional()
        .openapi({ description: 'A path on this server to go to after signing in (default `/`).' }),
    }),
  },
  responses: responses({
    302: 'To the identity provider',
    404: 'Single sign-on is not set up',
    503: 'The identity provider cannot be reached',
  }),
});

const oidcCallback = createRoute({
  method: 'get',
  path: OIDC_CALLBACK_PATH,
  tags: ['auth'],
  summary: 'Where the identity provider sends the browser back',
  description:
    'Redeems the code, verifies the ID token (signature, issuer, audience, expiry, nonce) and the state, brings the user in line with their groups (RINGFLAG_OIDC_ROLES), starts a session (the `rf_session` and `rf_csrf` cookies, as password login) and redirects (302) to the `next` path the sign-in started with. A browser (Accept: text/html) is sent to `/login?sso_error=…` on failure; others get problem+json.',
  request: {
    query: z.object({
      code: z.string().max(4096).optional(),
      state: z.string().max(4096).optional(),
      iss: z.string().max(4096).optional(),
      error: z.string().max(4096).optional(),
      error_description: z.string().max(4096).optional(),
    }),
  },
  responses: responses({
    302: 'Signed in: to the page the sign-in started from',
    401: 'The sign-in is refused: no valid state, the provider refused, a check failed, or no access',
    404: 'Single sign-on is not set up',
    429: 'Too many sign-in attempts from this address',
    503: 'The identity provider cannot be reached',
  }),
});

/** Whether a browser navigated here (it gets a page to read, not problem+json). */
function isBrowser(c: Context<AppEnv>): boolean {
  return (c.req.header('accept') ?? '').includes('text/html');
}

/**
 * The answer to a failed sign-in: for a browser, the sign-in page with the word for what went wrong;
 * for anything else, problem+json. Errors that are not the sign-in's (a bug, the database) go to the
 * app's error handler.
 */
function failure(c: Context<AppEnv>, error: unknown): Response {
  if (!(error instanceof AppError)) throw error;
  const headers = new Headers(error.headers);
  for (const cookie of c.res.headers.getSetCookie()) headers.append('set-cookie', cookie);
  if (isBrowser(c)) {
    headers.set('location', `/login?sso_error=${ssoErrorCode(error)}`);
    return new Response(null, { status: 302, headers });
  }
  const response = problemResponse(error.toJSON());
  for (const [name, value] of headers) response.headers.append(name, value);
  return response;
}

/** What {@link registerSsoRoutes} needs. */
export interface SsoRoutesDeps {
  sso: SsoService;
  /** Session lifetime, in seconds (the cookies' max-age). */
  sessionTtlSeconds: number;
}

/** `GET /api/v1/auth/methods` and the OpenID Connect sign-in (`/api/v1/auth/oidc/login`, `…/callback`). */
export function registerSsoRoutes(app: OpenAPIHono<AppEnv>, { sso, sessionTtlSeconds }: SsoRoutesDeps): void {
  app.openapi(methods, (c) => c.json(sso.methods(), 200));

  app.openapi(oidcLogin, async (c) => {
    try {
      const { url, cookie } = await sso.begin(c.req.valid('query').next);
      setCookie(c, OIDC_STATE_COOKIE, cookie, {
        path: STATE_COOKIE_PATH,
        httpOnly: true,
        // Lax: the provider's redirect back is a cross-site top-level GET, which must bring it along.
        sameSite: 'Lax',
        secure: requestIsHttps(c),
        maxAge: OIDC_STATE_TTL_SECONDS,
      });
      c.header('cache-control', 'no-store');
      return c.redirect(url, 302);
    } catch (error) {
      return failure(c, error);
    }
  });

  app.openapi(oidcCallback, async (c) => {
    const cookie = getCookie(c, OIDC_STATE_COOKIE);
    // A state serves one sign-in: gone from the browser whatever happens next.
    if (cookie !== undefined) deleteCookie(c, OIDC_STATE_COOKIE, { path: STATE_COOKIE_PATH });
    c.header('cache-control', 'no-store');
    try {
      const query = new URL(c.req.url).searchParams;
      const { session, next } = await sso.finish(query, cookie, clientAddress(c));
      setSessionCookies(c, session, sessionTtlSeconds);
      return c.redirect(next, 302);
    } catch (error) {
      return failure(c, error);
    }
  });
}
