import type { HttpBindings } from '@hono/node-server';
import type { Database } from './db/client.js';
import type { Leadership } from './db/leader.js';
import type { AuditSigner } from './features/audit/audit-signing.js';
import type { Principal } from './features/auth/principal.js';
import type { ClusterCaches } from './features/client/cluster-caches.js';
import type { ProjectRow } from './features/projects/projects.store.js';
import type { PayloadCache } from './features/sdk/payload-cache.js';
import type { SdkKeyIdentity } from './features/sdk-keys/sdk-key-identity.js';
import type { ConnectionGuard } from './http/connection-guard.js';
import type { TrustedProxies } from './http/trusted-proxies.js';
import type { Logger } from './logger.js';
import type { Metrics } from './ops/metrics.js';
import type { ChangeFeed } from './stream/change-feed.js';
import type { ChangeHub } from './stream/change-hub.js';
import type { CommittedChanges } from './write/unit-of-work.js';

/**
 * The infrastructure the application is built from, created once by the composition root
 * (server.ts); services are built from it in services.ts, each taking only what it uses.
 */
export interface AppDeps {
  /** SQLite or PostgreSQL; reads on it directly, writes through the unit of work. */
  database: Database;
  /** This replica's SDK streams. */
  hub: ChangeHub;
  /** Publishes committed changes to the hub in order, from this replica's writes and the others'. */
  feed: ChangeFeed;
  /** Where the unit of work hands committed changes (the feed). */
  changes: CommittedChanges;
  /** Caches dropped when any replica signals a change to keys or environments. */
  clusterCaches: ClusterCaches;
  /** Whether this replica runs the periodic jobs. */
  leadership: Leadership;
  payloads: PayloadCache;
  clock: () => Date;
  logger: Logger;
  metrics: Metrics;
  /** The JWT signing secret. */
  secret: Uint8Array;
  /** Signs audit checkpoints; its private key is kept outside the database. */
  auditSigner: AuditSigner;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Counts connections and keeps headroom for the admin API (streams take a slot from it). */
  connections: ConnectionGuard;
  /** Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (none by default). */
  trustedProxies: TrustedProxies;
  /** Session lifetime, in seconds. */
  sessionTtlSeconds: number;
}

/** Hono's environment for this app. Node bindings are absent under `app.request()` in tests. */
export interface AppEnv {
  Bindings: Partial<HttpBindings> | undefined;
  Variables: {
    principal: Principal | undefined;
    /** The project an admin API request acts in; undefined for organisation routes. */
    project: ProjectRow | undefined;
    sdkKey: SdkKeyIdentity | undefined;
  };
}
