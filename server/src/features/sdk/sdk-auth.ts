import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { ForbiddenError, UnauthorizedError } from '../../errors/index.js';
import type { SdkKeyLookup } from '../client/sdk-key-lookup.js';
import type { SdkKeyIdentity } from '../sdk-keys/sdk-key-identity.js';

/**
 * Reads the SDK key from `Authorization: <key>` or `Authorization: Bearer <key>`.
 *
 * @example
 * sdkKeyFromHeader('Bearer rf_srv_abc'); // 'rf_srv_abc'
 */
export function sdkKeyFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:Bearer\s+)?(\S+)\s*$/i.exec(header.trim());
  return match?.[1];
}

/**
 * Authenticates SDK requests with a key of the given type (server keys for /sdk/v1); a key of the
 * other type gets 403, an unknown or revoked one 401. The key is always looked up fresh: a server
 * SDK asks rarely (it streams, or polls every few seconds), and a revoked key is refused at once.
 *
 * @example
 * const auth = requireSdkKey(keys, 'server');
 */
export function requireSdkKey(
  keys: Pick<SdkKeyLookup, 'lookup'>,
  type: 'server' | 'client',
): MiddlewareHandler<AppEnv> {
  return async function checkSdkKey(c, next) {
    const key = sdkKeyFromHeader(c.req.header('authorization'));
    if (!key) throw new UnauthorizedError('Send the SDK key as "Authorization: <key>"');
    const identity = await keys.lookup(key, { fresh: true });
    if (!identity) throw new UnauthorizedError('The SDK key is invalid or revoked');
    if (identity.type !== type) {
      throw new ForbiddenError(
        type === 'server'
          ? 'Client keys cannot use /sdk/v1; use a server key'
          : 'Server keys are secret; use a client key',
      );
    }
    c.set('sdkKey', identity);
    await next();
  };
}

/** The key that authenticated this SDK request. */
export function sdkKeyOf(c: Context<AppEnv>): SdkKeyIdentity {
  const identity = c.get('sdkKey');
  if (!identity) throw new UnauthorizedError('Send the SDK key as "Authorization: <key>"');
  return identity;
}
