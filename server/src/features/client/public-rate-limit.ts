import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../../app-env.js';
import { RateLimitedError } from '../../errors/index.js';
import { clientAddress } from '../../http/client-address.js';
import type { KeyAddressRateLimiter } from '../ofrep/rate-limiter.js';

/**
 * Applies the per-key and per-(key, address) rate limits to an authenticated `/client/v1` request
 * (after `requireClientKey`); past either, 429 problem+json with `Retry-After` in seconds. One
 * address that floods gets refused while other addresses with the same public key are still served.
 *
 * @example
 * app.post('/client/v1/evaluate', requireClientKey(deps), limitClientRate(deps, limiter), handler);
 */
export function limitClientRate(deps: AppDeps, limiter: KeyAddressRateLimiter): MiddlewareHandler<AppEnv> {
  return async function checkClientRate(c, next) {
    const key = c.get('sdkKey');
    if (key) {
      const refused = limiter.take(key.id, clientAddress(c));
      if (refused) {
        deps.metrics.recordPublicRejection('client', `rate_limited_${refused.scope}`);
        throw new RateLimitedError(
          refused.scope === 'address'
            ? 'Too many requests from this address with this key; retry later'
            : 'Too many requests with this key; retry later',
          [],
          { 'Retry-After': String(refused.retryAfter) },
        );
      }
    }
    await next();
  };
}
