import { attributeReader, readAttribute } from './clauses.js';
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

/** The bucketing of one rollout, compiled: the attribute to hash and the salt, already hashed. */
export interface Bucketing {
  readonly bucketBy: string;
  /** How the attribute is read (`attributeReader`). */
  readonly reader: number;
  readonly prefix: Murmur3Prefix;
}

/** Compiles the bucketing of one rollout; the salt's bytes are hashed here, once. */
export function compileBucketing(salt: string, bucketBy: string): Bucketing {
  return { bucketBy, reader: attributeReader(bucketBy), prefix: prefixFor(`${salt}.`) };
}

/**
 * The bucket of a context, or -1 when it has no usable attribute. Strings and finite numbers are
 * bucketable (a number is hashed as its decimal string); anything else, and the empty string, puts
 * the context in no bucket.
 */
export function contextBucket(bucketing: Bucketing, context: Context): number {
  const value = readAttribute(context, bucketing.reader, bucketing.bucketBy);
  if (typeof value === 'string') {
    return value.length === 0 ? -1 : murmur3Resume(bucketing.prefix, value) % TOTAL_WEIGHT;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return murmur3Resume(bucketing.prefix, String(value)) % TOTAL_WEIGHT;
  }
  return -1;
}
