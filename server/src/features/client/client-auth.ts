import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { ForbiddenError, UnauthorizedError } from '../../errors/index.js';
import { sdkKeyFromHeader } from '../sdk/sdk-auth.js';
import type { SdkKeyLookup } from './sdk-key-lookup.js';

/**
 * Authenticates browser requests with a client key (`rf_cli_…`) from `Authorization: <key>` or
 * `Authorization: Bearer <key>`; with `allowQuery`, also from `?key=` (EventSource cannot set headers).
 * Server keys get 403: they are secrets, and a browser must never hold one. Unknown or revoked: 401.
 * `fresh` skips the one-second key cache (streams: a revoked key must not reopen one).
 *
 * @example
 * app.use('/client/v1/stream', requireClientKey(keys, { allowQuery: true, fresh: true }));
 */
export function requireClientKey(
  keys: Pick<SdkKeyLookup, 'lookup'>,
  options: { allowQuery?: boolean; fresh?: boolean } = {},
): MiddlewareHandler<AppEnv> {
  return async function checkClientKey(c, next) {
    const key =
      sdkKeyFromHeader(c.req.header('authorization')) ??
      (options.allowQuery ? c.req.query('key') || undefined : undefined);
    if (!key) throw new UnauthorizedError('Send the client key as "Authorization: <key>"');
    const identity = await keys.lookup(key, { fresh: options.fresh });
    if (!identity) throw new UnauthorizedError('The client key is invalid or revoked');
    if (identity.type !== 'client') {
      throw new ForbiddenError('Server keys are secret and cannot be used from browsers; use a client key');
    }
    c.set('sdkKey', identity);
    await next();
  };
}
