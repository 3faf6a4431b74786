import { LRUCache } from 'lru-cache';
import type { Queryable } from '../../db/client.js';
import type { SdkKeyIdentity } from '../sdk-keys/sdk-key-identity.js';
import { findSdkKey } from '../sdk-keys/sdk-keys.service.js';

/** How long a looked-up key is trusted without asking the database again. */
export const KEY_CACHE_MS = 1000;

const caches = new WeakMap<object, LRUCache<string, SdkKeyIdentity>>();

/**
 * Looks up an SDK key for the browser and OFREP surfaces, which authenticate every request:
 * {@link findSdkKey}, with known keys remembered for {@link KEY_CACHE_MS} per database handle (at
 * most 10,000). So a revoked key stops working here within a second (its streams close at once: the change hub ends them).
 * Unknown or revoked keys are never cached: a key created a moment ago works on its first request.
 * Streams pass `fresh`: a stream is authenticated once, so a revoked key must not reopen one.
 *
 * @example
 * const identity = lookupSdkKey(db, 'rf_cli_…'); // { id, type: 'client', environmentId, environment }
 */
export function lookupSdkKey(
  db: Queryable,
  key: string,
  options: { fresh?: boolean } = {},
): SdkKeyIdentity | undefined {
  let cache = caches.get(db);
  if (!cache) {
    cache = new LRUCache({ max: 10_000, ttl: KEY_CACHE_MS });
    caches.set(db, cache);
  }
  const cached = options.fresh ? undefined : cache.get(key);
  if (cached) return cached;
  const identity = findSdkKey(db, key);
  if (!identity) return undefined;
  cache.set(key, identity);
  return identity;
}
