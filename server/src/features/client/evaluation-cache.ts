import {
  type Context,
  type EvaluationDetail,
  evaluateAll,
  type FlagStore,
  type JsonValue,
} from '@ringflag/sdk-node/engine';
import { LRUCache } from 'lru-cache';
import type { EnvironmentRef } from '../../db/schema.js';

/** Which flags a key may see: a client key only `clientSide` ones, a server key all of them. */
export type FlagScope = 'client' | 'server';

/** One context's results at one revision of one environment. */
export interface CachedEvaluation {
  readonly revision: number;
  readonly results: Readonly<Record<string, EvaluationDetail<JsonValue | null>>>;
  /** `{ revision, flags }` as JSON: the body of `POST /client/v1/evaluate` and of a stream's `put`. */
  readonly json: string;
}

/** Bounds of {@link EvaluationCache}. */
export interface EvaluationCacheOptions {
  /** Entries kept (one per environment, revision, scope and context). Default 10,000. */
  maxEntries?: number;
  /**
   * Memory the entries may take, in bytes, estimated as {@link EVALUATION_BYTES_PER_CHAR} per character
   * of an entry's JSON (the string, plus the results it was built from). Default 64 MiB.
   */
  maxBytes?: number;
}

/**
 * Bytes one character of an entry's JSON stands for: up to 2 for the string itself and about as many
 * again for the results objects it was serialised from (measured: an entry's heap is 2–4× its JSON).
 */
export const EVALUATION_BYTES_PER_CHAR = 4;

/**
 * Evaluates the flags a key may see for one context, serialises the result once, and remembers it
 * per environment revision and context hash. A revision names an immutable payload, so an entry is
 * never stale; entries of past revisions simply age out. Bounded by entries (10,000) and by bytes
 * (64 MiB, estimated from each entry's JSON), whichever comes first.
 *
 * @example
 * const cache = new EvaluationCache();
 * const { json } = cache.get('production', 'client', store, { key: 'user-1' }, contextHash(ctx));
 */
export class EvaluationCache {
  private readonly entries: LRUCache<string, CachedEvaluation>;

  constructor(options: EvaluationCacheOptions = {}) {
    this.entries = new LRUCache({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (entry, key) => (entry.json.length + key.length) * EVALUATION_BYTES_PER_CHAR,
    });
  }

  /** The results for `context` (whose hash is `hash`) against `store`, from the cache when present. */
  get(
    environment: EnvironmentRef,
    scope: FlagScope,
    store: FlagStore,
    context: Context,
    hash: string,
  ): CachedEvaluation {
    const cacheKey = `${environment}\u0000${store.revision}\u0000${scope}\u0000${hash}`;
    const cached = this.entries.get(cacheKey);
    if (cached) return cached;
    const results = evaluateScoped(scope, store, context);
    const entry: CachedEvaluation = {
      revision: store.revision,
      results,
      json: JSON.stringify({ revision: store.revision, flags: results }),
    };
    this.entries.set(cacheKey, entry);
    return entry;
  }

  /** Forgets every entry (an environment changed on some replica). */
  clear(): void {
    this.entries.clear();
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }
}

/** Evaluates, without caching, every flag of `scope` for one context. */
export function evaluateScoped(
  scope: FlagScope,
  store: FlagStore,
  context: Context,
): Record<string, EvaluationDetail<JsonValue | null>> {
  if (scope === 'server') return evaluateAll(context, store);
  const results = evaluateAll(context, store, 'clientSide');
  // Only a failed prerequisite that client keys may not see needs a result replaced; without one in
  // the store, every result is visible as it is.
  if (!hasHiddenPrerequisite(store)) return results;
  for (const key of Object.keys(results)) {
    const detail = results[key] as EvaluationDetail<JsonValue | null>;
    const visible = visibleTo(scope, store, detail);
    if (visible !== detail) results[key] = visible;
  }
  return results;
}

/** Whether a client-side flag of `store` has a prerequisite that client keys may not see. */
function hasHiddenPrerequisite(store: FlagStore): boolean {
  return store.clientSide.flags.some((flag) =>
    flag.prerequisites.some((prerequisite) => !clientMaySee(store, prerequisite.key)),
  );
}

/** Whether client keys may see the flag `key` (and so its key in a reason). */
function clientMaySee(store: FlagStore, key: string): boolean {
  return store.flags.get(key)?.clientSide === true;
}

/**
 * A result as a key of `scope` may see it: a client key sees client-side flags only, so a reason never
 * names a prerequisite that is not client-side.
 *
 * @example
 * visibleTo('client', store, evaluate('banner', context, store, null));
 */
export function visibleTo<T>(
  scope: FlagScope,
  store: FlagStore,
  detail: EvaluationDetail<T>,
): EvaluationDetail<T> {
  const { reason } = detail;
  if (scope !== 'client' || reason.kind !== 'PREREQUISITE_FAILED' || reason.prerequisiteKey === undefined) {
    return detail;
  }
  if (clientMaySee(store, reason.prerequisiteKey)) return detail;
  return { ...detail, reason: { kind: 'PREREQUISITE_FAILED' } };
}
