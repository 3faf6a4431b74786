import type { HttpBindings } from '@hono/node-server';
import type { Db } from './db/client.js';
import type { AuditSigner } from './features/audit/audit-signing.js';
import type { Principal } from './features/auth/principal.js';
import type { PayloadCache } from './features/sdk/payload-cache.js';
import type { SdkKeyIdentity } from './features/sdk-keys/sdk-key-identity.js';
import type { ConnectionGuard } from './http/connection-guard.js';
import type { TrustedProxies } from './http/trusted-proxies.js';
import type { Logger } from './logger.js';
import type { Metrics } from './ops/metrics.js';
import type { ChangeHub } from './stream/change-hub.js';

/** What the application is built from: created by the composition root, replaced in tests. */
export interface AppDeps {
  db: Db;
  /** The raw SQLite handle, for readiness checks. */
  sqlite: { prepare(sql: string): { get(): unknown } };
  hub: ChangeHub;
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
    sdkKey: SdkKeyIdentity | undefined;
  };
}
