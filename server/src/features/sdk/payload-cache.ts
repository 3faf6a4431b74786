import { createStore, type FlagStore } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import type { EnvironmentRow } from '../environments/environments.store.js';
import { composeConfig, segmentWire } from '../flags/flag-model.js';
import { listFlagsWithConfigs, listSegments } from '../flags/flags.store.js';

/** One environment's SDK payload at one revision, serialised once. */
export interface CachedPayload {
  readonly revision: number;
  /** `{revision, flags, segments}` as JSON: the body of `GET /sdk/v1/flags` and of a `put`. */
  readonly json: string;
  /** The payload compiled for the engine (built on first use). */
  store(): FlagStore;
}

/**
 * Builds SDK payloads and keeps the latest per environment. Every payload change bumps the
 * environment's revision, so a cached payload at the current revision is current.
 *
 * @example
 * const payload = cache.get(db, env); // payload.json, payload.store()
 */
export class PayloadCache {
  private readonly byEnvironment = new Map<string, CachedPayload>();

  get(db: Queryable, env: EnvironmentRow): CachedPayload {
    const cached = this.byEnvironment.get(env.key);
    if (cached && cached.revision === env.revision) return cached;
    const fresh = build(db, env);
    this.byEnvironment.set(env.key, fresh);
    return fresh;
  }
}

function build(db: Queryable, env: EnvironmentRow): CachedPayload {
  const flags: Record<string, unknown> = {};
  for (const { flag, config } of listFlagsWithConfigs(db, env.id))
    flags[flag.key] = composeConfig(flag, config);
  const segments: Record<string, unknown> = {};
  for (const segment of listSegments(db)) segments[segment.key] = segmentWire(segment);
  const payload = { revision: env.revision, flags, segments };
  let store: FlagStore | undefined;
  return {
    revision: env.revision,
    json: JSON.stringify(payload),
    store: () => {
      store ??= createStore(payload);
      return store;
    },
  };
}
