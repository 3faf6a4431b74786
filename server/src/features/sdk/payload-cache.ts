import type { Queryable } from '../../db/client.js';
import type { EnvironmentRef } from '../../db/schema.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import type { SurfaceEnvironment } from '../client/environment-cache.js';
import { composeConfig, segmentWire } from '../flags/flag-model.js';
import { listFlagsWithConfigs, listSegments } from '../flags/flags.store.js';
import { type CachedPayload, cachedPayload, type PayloadReader } from './cached-payload.js';

/** The payload held for an environment, with the id of the environment row it was built for. */
interface Held {
  readonly environmentId: number;
  readonly payload: CachedPayload;
}

/**
 * Builds SDK payloads and keeps the latest per environment. Every payload change bumps the
 * environment's revision, so a held payload at the revision of the caller's environment row is
 * current and is answered from memory, without a round trip to the database. Concurrent requests
 * for the same revision share one build.
 *
 * When the database is unreachable, the last payload held for the environment is answered instead:
 * SDKs keep being served what they were served last (any other failure is thrown). Callers take the revision
 * from the payload, not from their environment row, since the two may then differ.
 *
 * @example
 * const payload = await cache.get(database, env); // payload.revision, payload.json, payload.store()
 */
export class PayloadCache {
  private readonly byEnvironment = new Map<EnvironmentRef, Held>();
  private readonly building = new Map<string, Promise<CachedPayload>>();

  async get(q: Queryable, env: SurfaceEnvironment): Promise<CachedPayload> {
    const held = this.byEnvironment.get(env.ref);
    if (held && held.environmentId === env.id && held.payload.revision === env.revision) return held.payload;
    const id = `${env.id}\u0000${env.revision}`;
    let building = this.building.get(id);
    if (!building) {
      building = build(q, env).finally(() => this.building.delete(id));
      this.building.set(id, building);
    }
    try {
      const fresh = await building;
      this.keep(env, fresh);
      return fresh;
    } catch (error) {
      const last = this.byEnvironment.get(env.ref);
      if (last && last.environmentId === env.id && isDatabaseUnavailable(error)) return last.payload;
      throw error;
    }
  }

  /** The last payload held for an environment (by ref), without asking the database. */
  latest(environment: EnvironmentRef): CachedPayload | undefined {
    return this.byEnvironment.get(environment)?.payload;
  }

  /** Forgets every payload (they are built again on the next request). */
  clear(): void {
    this.byEnvironment.clear();
  }

  /** Keeps `payload` unless a newer revision of the same environment is held already. */
  private keep(env: SurfaceEnvironment, payload: CachedPayload): void {
    const held = this.byEnvironment.get(env.ref);
    if (held && held.environmentId === env.id && held.payload.revision > payload.revision) return;
    this.byEnvironment.set(env.ref, { environmentId: env.id, payload });
  }
}

/**
 * Binds a payload cache to the database it builds from.
 *
 * @example
 * const payloads = payloadReader(database, cache);
 * const { json } = await payloads.get(env);
 */
export function payloadReader(database: Queryable, cache: PayloadCache): PayloadReader {
  return { get: (env) => cache.get(database, env) };
}

async function build(q: Queryable, env: SurfaceEnvironment): Promise<CachedPayload> {
  const [configs, segmentRows] = await Promise.all([
    listFlagsWithConfigs(q, env.id),
    listSegments(q, env.projectId),
  ]);
  const flags: Record<string, unknown> = {};
  for (const { flag, config } of configs) flags[flag.key] = composeConfig(flag, config);
  const segments: Record<string, unknown> = {};
  for (const segment of segmentRows) segments[segment.key] = segmentWire(segment);
  return cachedPayload({ revision: env.revision, flags, segments });
}
