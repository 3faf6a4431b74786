import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { RateLimitedError } from '../../errors/index.js';
import { clientAddress } from '../../http/client-address.js';
import type { Metrics } from '../../ops/metrics.js';
import type { KeyAddressRateLimiter } from '../ofrep/rate-limiter.js';

/**
 * Applies the per-key and per-(key, address) rate limits to an authenticated `/client/v1` request
 * (after `requireClientKey`); past either, 429 problem+json with `Retry-After` in seconds. One
 * address that floods gets refused while other addresses with the same public key are still served.
 *
 * @example
 * app.post('/client/v1/evaluate', requireClientKey(keys), limitClientRate(metrics, limiter), handler);
 */
export function limitClientRate(
  metrics: Pick<Metrics, 'recordPublicRejection'>,
  limiter: KeyAddressRateLimiter,
): MiddlewareHandler<AppEnv> {
  return async function checkClientRate(c, next) {
    const key = c.get('sdkKey');
    if (key) {
      const refused = limiter.take(key.id, clientAddress(c));
      if (refused) {
        metrics.recordPublicRejection('client', `rate_limited_${refused.scope}`);
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
