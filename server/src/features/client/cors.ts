import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../../app-env.js';
import type { Queryable } from '../../db/client.js';
import { findEnvironmentById, listEnvironments } from '../environments/environments.store.js';

const ALLOW_HEADERS = 'Authorization, Content-Type, If-None-Match, X-API-Key, Last-Event-ID';
const ALLOW_METHODS = 'GET, POST, OPTIONS';

/** Whether an environment's `corsOrigins` admit `origin` (`*` admits every origin). */
export function originAllowed(corsOrigins: readonly string[], origin: string): boolean {
  return corsOrigins.includes('*') || corsOrigins.includes(origin);
}

/** Whether any environment admits `origin`: what a preflight, which carries no key, can check. */
export function originAllowedAnywhere(db: Queryable, origin: string): boolean {
  return listEnvironments(db).some((env) => originAllowed(env.corsOrigins, origin));
}

/**
 * The CORS headers of an actual (non-preflight) response: the origin echoed and `ETag` exposed when
 * the key's environment admits it (any environment when the key is unknown, so a browser can still
 * read a 401); none otherwise, and the browser withholds the response from the page.
 */
export function corsHeaders(
  db: Queryable,
  origin: string | undefined,
  environmentId: number | undefined,
): Record<string, string> {
  if (!origin) return {};
  // Read fresh, not from the environment cache: a changed list of origins applies at once.
  const env = environmentId === undefined ? undefined : findEnvironmentById(db, environmentId);
  const allowed = env ? originAllowed(env.corsOrigins, origin) : originAllowedAnywhere(db, origin);
  if (!allowed) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'ETag',
    vary: 'Origin',
  };
}

/**
 * CORS for the browser-facing surfaces (`/client/v1`, `/ofrep/v1`) from the environments' allowed
 * origins. A preflight has no key, so it passes when any environment lists the origin; the actual
 * request is then checked against the environment of its key. A disallowed origin gets no CORS
 * headers at all. Streams write their own headers (see {@link corsHeaders}).
 *
 * @example
 * app.use('/client/*', browserCors(deps));
 */
export function browserCors(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    const origin = c.req.header('origin');
    if (c.req.method === 'OPTIONS') {
      const headers: Record<string, string> = { allow: ALLOW_METHODS, vary: 'Origin' };
      if (origin && originAllowedAnywhere(deps.db, origin)) {
        headers['access-control-allow-origin'] = origin;
        headers['access-control-allow-methods'] = ALLOW_METHODS;
        headers['access-control-allow-headers'] = ALLOW_HEADERS;
        headers['access-control-max-age'] = '600';
      }
      return c.body(null, 204, headers);
    }
    await next();
    if (!origin || c.res === RESPONSE_ALREADY_SENT) return;
    for (const [name, value] of Object.entries(
      corsHeaders(deps.db, origin, c.get('sdkKey')?.environmentId),
    )) {
      c.res.headers.set(name, value);
    }
  };
}
