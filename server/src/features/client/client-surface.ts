import type { Queryable } from '../../db/client.js';
import type { Logger } from '../../logger.js';
import type { ChangeHub } from '../../stream/change-hub.js';
import { listAllEnvironments } from '../environments/environments.store.js';
import type { PayloadReader } from '../sdk/cached-payload.js';
import { type PayloadCache, payloadReader } from '../sdk/payload-cache.js';
import type { ClusterCaches } from './cluster-caches.js';
import { CorsOrigins } from './cors.js';
import { EnvironmentCache } from './environment-cache.js';
import { EvaluationCache } from './evaluation-cache.js';
import { RefusedOriginLog } from './refused-origins.js';
import { type FindSdkKey, SdkKeyLookup } from './sdk-key-lookup.js';

/** What {@link createClientSurface} needs. */
export interface ClientSurfaceDeps {
  /** Where environments and payloads are read (reads only). */
  database: Queryable;
  /** Environment rows are dropped when their environment publishes. */
  hub: Pick<ChangeHub, 'onPublish'>;
  /** The application's payload cache. */
  payloads: PayloadCache;
  /** Finds an SDK key in the database (the SDK keys service's lookup). */
  findSdkKey: FindSdkKey;
  /** Where the surface's caches are registered, to be dropped on cluster signals. */
  clusterCaches: Pick<ClusterCaches, 'register'>;
  /** The clock that bounds what the caches keep, in milliseconds (default `performance.now`). */
  now?: () => number;
  /** Where refused browser origins are logged (at most once per origin and environment a minute). */
  logger?: Logger;
  /** The clock of those log windows (default the system's). */
  clock?: () => Date;
}

/**
 * What the SDK-facing surfaces (`/sdk/v1`, `/client/v1`, `/ofrep/v1`, the admin evaluate route) read
 * through, so that none of them sees the database: keys, environments and payloads, and the caches of
 * the browser surfaces.
 */
export interface ClientSurface {
  /** SDK keys, known ones remembered for a second (or asked fresh). */
  keys: SdkKeyLookup;
  /** Environment rows by id (cached, current with every published revision) or by key (fresh). */
  environments: EnvironmentCache;
  /** Payloads per environment revision (from memory when held). */
  payloads: PayloadReader;
  /** The environments' allowed origins, for CORS. */
  origins: CorsOrigins;
  /** Results per environment revision, scope and context (bounded: 10,000 entries, 64 MiB). */
  evaluations: EvaluationCache;
}

/**
 * Builds the shared reads and caches of the SDK-facing surfaces, once per app, and registers the
 * caches with `clusterCaches` (cluster signals drop them).
 *
 * @example
 * const surface = createClientSurface({ database, hub, payloads, findSdkKey: (key) => findSdkKey(database, key), clusterCaches });
 * registerClientRoutes(app, { ...surface, events, guards, hub, connections, logger, metrics, clock }, options);
 */
export function createClientSurface(deps: ClientSurfaceDeps): ClientSurface {
  const caches = {
    keys: new SdkKeyLookup(deps.findSdkKey, { now: deps.now }),
    environments: new EnvironmentCache(deps.database, deps.hub, { now: deps.now }),
    origins: new CorsOrigins(() => listAllEnvironments(deps.database), {
      now: deps.now,
      refusals: deps.logger
        ? new RefusedOriginLog(deps.logger, () => (deps.clock ? deps.clock().getTime() : Date.now()))
        : undefined,
    }),
    evaluations: new EvaluationCache(),
  };
  deps.clusterCaches.register(caches);
  return { ...caches, payloads: payloadReader(deps.database, deps.payloads) };
}
