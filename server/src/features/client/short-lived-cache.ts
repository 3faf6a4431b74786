import { LRUCache } from 'lru-cache';

/** Options of {@link ShortLivedCache}. */
export interface ShortLivedCacheOptions {
  /** How long a value is trusted, counted from the moment the database was asked. */
  ttlMs: number;
  /** Values kept at most. */
  max: number;
  /** The clock, in milliseconds (default `performance.now`). */
  now?: () => number;
}

/**
 * Values read from the database and trusted for at most `ttlMs` from the moment it was asked, so
 * what another replica changes shows here within that time even when its signal is missed, and at
 * once when the signal arrives ({@link forget}, {@link clear}). Concurrent loads of one key share one
 * read; a load that was under way when the cache was cleared or the key forgotten is not kept.
 * Nothing is kept for `undefined` (a key created a moment ago works on its first request).
 *
 * @example
 * const keys = new ShortLivedCache<string, SdkKeyIdentity>({ ttlMs: 1000, max: 10_000 });
 * const identity = await keys.get('rf_cli_…', (key) => findSdkKey(database, key));
 */
export class ShortLivedCache<K extends {}, V extends {}> {
  private readonly kept: LRUCache<K, { value: V; expires: number }>;
  private readonly pending = new Map<K, Promise<V | undefined>>();
  /** Bumped whenever something is forgotten: loads started before it are not kept. */
  private generation = 0;
  private readonly now: () => number;

  constructor(private readonly options: ShortLivedCacheOptions) {
    this.kept = new LRUCache({ max: options.max });
    this.now = options.now ?? (() => performance.now());
  }

  /** The kept value while it is trusted, else `load`'s (one read for concurrent callers). */
  get(key: K, load: (key: K) => Promise<V | undefined>): Promise<V | undefined> {
    const kept = this.kept.get(key);
    if (kept && this.now() < kept.expires) return Promise.resolve(kept.value);
    const joined = this.pending.get(key);
    if (joined) return joined;
    const pending = this.loadAndKeep(key, load).finally(() => {
      if (this.pending.get(key) === pending) this.pending.delete(key);
    });
    this.pending.set(key, pending);
    return pending;
  }

  /** The last value kept for `key`, trusted or not (to serve while the database cannot be read). */
  last(key: K): V | undefined {
    return this.kept.get(key, { allowStale: true })?.value;
  }

  /** Forgets the values `stale` picks, and every load under way. */
  forget(stale: (value: V) => boolean): void {
    this.generation++;
    for (const [key, kept] of this.kept.entries()) if (stale(kept.value)) this.kept.delete(key);
    this.pending.clear();
  }

  /** Forgets everything. */
  clear(): void {
    this.generation++;
    this.kept.clear();
    this.pending.clear();
  }

  private async loadAndKeep(key: K, load: (key: K) => Promise<V | undefined>): Promise<V | undefined> {
    const generation = this.generation;
    const expires = this.now() + this.options.ttlMs;
    const value = await load(key);
    if (value !== undefined && generation === this.generation && this.now() < expires) {
      this.kept.set(key, { value, expires });
    }
    return value;
  }
}
