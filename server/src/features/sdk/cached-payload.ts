import { createStore, type FlagStore } from '@ringflag/sdk-node/engine';
import type { SurfaceEnvironment } from '../client/environment-cache.js';

/** One environment's SDK payload at one revision, serialised once. */
export interface CachedPayload {
  readonly revision: number;
  /** `{revision, flags, segments}` as JSON: the body of `GET /sdk/v1/flags` and of a `put`. */
  readonly json: string;
  /** The payload compiled for the engine (built on first use). */
  store(): FlagStore;
}

/** What routes read payloads through: the server's cache over the database, or a relay's memory. */
export interface PayloadReader {
  /** The payload of `env` at its revision (on the server, see `PayloadCache.get`). */
  get(env: SurfaceEnvironment): Promise<CachedPayload>;
}

/**
 * A payload serialised once and compiled for the engine on first use: what the server builds from the
 * database and a relay from its upstream.
 *
 * @example
 * const payload = cachedPayload({ revision: 8, flags, segments }); // payload.json, payload.store()
 */
export function cachedPayload(payload: {
  revision: number;
  flags: Record<string, unknown>;
  segments: Record<string, unknown>;
}): CachedPayload {
  let store: FlagStore | undefined;
  return {
    revision: payload.revision,
    json: JSON.stringify(payload),
    store: () => {
      store ??= createStore(payload);
      return store;
    },
  };
}
