import { TOTAL_WEIGHT } from './limits.js';
import { type Murmur3Prefix, murmur3Resume, prefixFor } from './murmur3.js';
import type { Context } from './schema.js';

/**
 * Percentage bucketing (DESIGN §3): the bucket of a context is
 * `murmur3_x86_32(utf8("<salt>.<value>"), seed 0) % 100000`, where value is the context's bucketBy
 * attribute. Buckets are stable across SDKs, servers and releases.
 *
 * @example
 * bucketOf('new-checkout', 'user-1'); // 8746
 */
export function bucketOf(salt: string, value: string): number {
  return murmur3Resume(prefixFor(`${salt}.`), value) % TOTAL_WEIGHT;
}

/** A bucketer with the salt hashed once; returns -1 when the context has no usable attribute. */
export type Bucketer = (context: Context) => number;

/**
 * Compiles the bucketing of one rollout. Strings and finite numbers are bucketable (a number is
 * hashed as its decimal string); anything else, and the empty string, puts the context in no bucket.
 */
export function compileBucketer(salt: string, bucketBy: string): Bucketer {
  const prefix: Murmur3Prefix = prefixFor(`${salt}.`);
  return (context) => {
    const value = context[bucketBy];
    if (typeof value === 'string') {
      return value.length === 0 ? -1 : murmur3Resume(prefix, value) % TOTAL_WEIGHT;
    }
    if (typeof value === 'number' && Number.isFinite(value)) {
      return murmur3Resume(prefix, String(value)) % TOTAL_WEIGHT;
    }
    return -1;
  };
}
