import { contextJson, hashString } from './encode.js';
import type { CacheStorage, Context, FlagValues } from './types.js';

/** Contexts whose values one client key keeps; older ones are removed (a shared device, many users). */
const MAX_CONTEXTS = 8;

/** Last known values per context, so a reload renders them before the network answers. */
export interface ValueCache {
  read(context: Context): FlagValues | undefined;
  write(context: Context, values: FlagValues): void;
}

/** The page's `localStorage`, or `null` where it is missing or throws (privacy modes, sandboxed frames). */
export function defaultStorage(): CacheStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * A cache in Web Storage under `ringflag:<key hash>:<context hash>`, with an index `ringflag:<key hash>`
 * of the contexts kept (most recent last). Storage failures (quota, disabled) only lose the cache.
 *
 * @example
 * const cache = createCache(localStorage, 'rf_cli_…');
 * cache.write({ key: 'user-1' }, { revision: 3, flags });
 */
export function createCache(storage: CacheStorage | null, clientKey: string): ValueCache {
  const prefix = `ringflag:${hashString(clientKey)}`;
  const entry = (context: Context) => hashString(contextJson(context));
  return {
    read(context) {
      try {
        const text = storage?.getItem(`${prefix}:${entry(context)}`);
        const values = text ? (JSON.parse(text) as FlagValues) : undefined;
        return values && typeof values.flags === 'object' ? values : undefined;
      } catch {
        return undefined;
      }
    },
    write(context, values) {
      if (!storage) return;
      try {
        const id = entry(context);
        const kept = (JSON.parse(storage.getItem(prefix) ?? '[]') as string[]).filter(
          (other) => other !== id,
        );
        kept.push(id);
        while (kept.length > MAX_CONTEXTS) storage.removeItem(`${prefix}:${kept.shift()}`);
        storage.setItem(prefix, JSON.stringify(kept));
        storage.setItem(`${prefix}:${id}`, JSON.stringify(values));
      } catch {}
    },
  };
}
