import { LRUCache } from 'lru-cache';
import type { SdkKeyIdentity } from '../sdk-keys/sdk-key-identity.js';

/** How long a looked-up key is trusted without asking the database again. */
export const KEY_CACHE_MS = 1000;

/** Finds an SDK key in the database: undefined for unknown or revoked keys (sdk-keys.service.ts). */
export type FindSdkKey = (key: string) => Promise<SdkKeyIdentity | undefined>;

/** Options of {@link SdkKeyLookup}. */
export interface SdkKeyLookupOptions {
  /** How long a known key is remembered, at most (default {@link KEY_CACHE_MS}). */
  ttlMs?: number;
  /** Keys remembered at most (default 10,000). */
  maxKeys?: number;
  /** The clock, in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** A known key, and when it stops being trusted without asking again. */
interface Known {
  identity: SdkKeyIdentity;
  expires: number;
}

/**
 * Looks up SDK keys for the surfaces that authenticate every request (browser, OFREP), remembering
 * known keys for at most {@link KEY_CACHE_MS} from the moment the database was asked. So a revoked key
 * stops working on every replica within a second even when the signal of its revocation is missed;
 * with the signal ({@link forgetKey}, {@link clear}) at once. Unknown or revoked keys are never
 * remembered: a key created a moment ago works on its first request. `fresh` always asks the database
 * (streams and the server SDK: a revoked key must not open one). Concurrent lookups of one key share
 * one query, and a lookup that was under way when the cache was cleared is not remembered.
 *
 * @example
 * const keys = new SdkKeyLookup((key) => findSdkKey(database, key));
 * const identity = await keys.lookup('rf_cli_…'); // { id, type: 'client', environmentId, environment }
 */
export class SdkKeyLookup {
  private readonly known: LRUCache<string, Known>;
  private readonly pending = new Map<string, Promise<SdkKeyIdentity | undefined>>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** Bumped whenever something is forgotten: lookups started before it are not remembered. */
  private generation = 0;

  constructor(
    private readonly find: FindSdkKey,
    options: SdkKeyLookupOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? KEY_CACHE_MS;
    this.now = options.now ?? (() => performance.now());
    this.known = new LRUCache({ max: options.maxKeys ?? 10_000 });
  }

  async lookup(key: string, options: { fresh?: boolean } = {}): Promise<SdkKeyIdentity | undefined> {
    if (options.fresh) return this.find(key);
    const cached = this.known.get(key);
    if (cached) {
      if (this.now() < cached.expires) return cached.identity;
      this.known.delete(key);
    }
    const joined = this.pending.get(key);
    if (joined) return joined;
    const pending: Promise<SdkKeyIdentity | undefined> = this.findAndRemember(key).finally(() => {
      if (this.pending.get(key) === pending) this.pending.delete(key);
    });
    this.pending.set(key, pending);
    return pending;
  }

  /** Forgets a key by id (it was revoked). */
  forgetKey(id: number): void {
    this.generation++;
    for (const [key, known] of this.known.entries()) if (known.identity.id === id) this.known.delete(key);
    this.pending.clear();
  }

  /** Forgets every key (keys or environments changed). */
  clear(): void {
    this.generation++;
    this.known.clear();
    this.pending.clear();
  }

  private async findAndRemember(key: string): Promise<SdkKeyIdentity | undefined> {
    const generation = this.generation;
    const expires = this.now() + this.ttlMs;
    const identity = await this.find(key);
    if (identity && generation === this.generation && this.now() < expires)
      this.known.set(key, { identity, expires });
    return identity;
  }
}
