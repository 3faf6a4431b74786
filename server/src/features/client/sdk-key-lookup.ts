import type { SdkKeyIdentity } from '../sdk-keys/sdk-key-identity.js';
import { ShortLivedCache } from './short-lived-cache.js';

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

/**
 * Looks up SDK keys for the surfaces that authenticate every request (browser, OFREP), remembering
 * known keys for at most {@link KEY_CACHE_MS} from the moment the database was asked. So a revoked key
 * stops working on every replica within a second even when the signal of its revocation is missed;
 * with the signal ({@link forgetKey}, {@link clear}) at once. Unknown or revoked keys are never
 * remembered: a key created a moment ago works on its first request. `fresh` always asks the database
 * (streams and the server SDK: a revoked key must not open one).
 *
 * @example
 * const keys = new SdkKeyLookup((key) => findSdkKey(database, key));
 * const identity = await keys.lookup('rf_cli_…'); // { id, type: 'client', environmentId, environment }
 */
export class SdkKeyLookup {
  private readonly known: ShortLivedCache<string, SdkKeyIdentity>;

  constructor(
    private readonly find: FindSdkKey,
    options: SdkKeyLookupOptions = {},
  ) {
    this.known = new ShortLivedCache({
      ttlMs: options.ttlMs ?? KEY_CACHE_MS,
      max: options.maxKeys ?? 10_000,
      now: options.now,
    });
  }

  async lookup(key: string, options: { fresh?: boolean } = {}): Promise<SdkKeyIdentity | undefined> {
    return options.fresh ? this.find(key) : this.known.get(key, this.find);
  }

  /** Forgets a key by id (it was revoked). */
  forgetKey(id: number): void {
    this.known.forget((identity) => identity.id === id);
  }

  /** Forgets every key (keys or environments changed). */
  clear(): void {
    this.known.clear();
  }
}
