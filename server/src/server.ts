import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { type AppOptions, createApp } from './app.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { type Database, openDatabase } from './db/client.js';
import { electLeader } from './db/leader.js';
import { type DatabaseLocation, describeLocation, parseDatabaseLocation } from './db/location.js';
import { migrateDatabase, startupTurn } from './db/migrate.js';
import { resolveSecret } from './db/secret.js';
import { reachDatabase } from './db/unavailable.js';
import {
  type AuditCheckpointer,
  type CheckpointPolicy,
  createAuditCheckpointer,
} from './features/audit/audit-checkpoints.js';
import { defaultAuditKeyPath, loadAuditSigner } from './features/audit/audit-signing.js';
import { type ChangeScheduler, createChangeScheduler } from './features/change-requests/change-scheduler.js';
import { ClusterCaches } from './features/client/cluster-caches.js';
import { DEFAULT_RETENTION_DAYS, pruneExpired } from './features/insights/retention.js';
import { createReleaseTicker, type ReleaseTicker } from './features/releases/release-ticker.js';
import { PayloadCache } from './features/sdk/payload-cache.js';
import { ConnectionGuard, connectionLimits, readFdLimit } from './http/connection-guard.js';
import { listen } from './http/listen.js';
import { TrustedProxies } from './http/trusted-proxies.js';
import { createLeaderJob, type LeaderJob } from './jobs/leader-job.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { Metrics } from './ops/metrics.js';
import { seedDatabase } from './seed.js';
import { createServices, type Services } from './services.js';
import { ChangeFeed } from './stream/change-feed.js';
import { ChangeHub } from './stream/change-hub.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /**
   * The database: a SQLite file path (created as needed) or a PostgreSQL URL, as `RINGFLAG_DB` takes
   * it, or a parsed location. Migrated and seeded at start, one replica at a time.
   */
  db: string | DatabaseLocation;
  /** Connections of the PostgreSQL pool (`RINGFLAG_DB_POOL`, default 10). */
  dbPool?: number;
  /** How often the change log is read without a notification, in ms (default 2,000). */
  changeLogPollMs?: number;
  /** How often a follower tries to take the lead of the periodic jobs, in ms (default 1,000). */
  leaderRetryMs?: number;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** JWT secret; else generated once and kept in the database. */
  secret?: string;
  /**
   * The Ed25519 private key (PEM) that signs audit checkpoints; default `audit-signing.pem` beside the
   * database, created on first start.
   */
  auditKeyFile?: string;
  /** When the head of the audit chain is signed (default every 1,000 events or 60 s). */
  auditCheckpoints?: CheckpointPolicy;
  /** The first admin of an empty database; else admin@localhost with a printed random password. */
  admin?: { email: string; password: string };
  /** Seed the demo flags on an empty database (default false; the CLI and main.ts turn it on). */
  demo?: boolean;
  /** Default 'warn'. */
  logLevel?: LogLevel;
  logger?: Logger;
  clock?: () => Date;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** SSE heartbeat interval (default 15 000 ms). */
  heartbeatMs?: number;
  /** Open connections at most (default: below the process's open-file limit, keeping descriptors for the rest). */
  maxConnections?: number;
  /** Open streams per SDK or client key (default: half of the streams). */
  maxStreamsPerKey?: number;
  /** Open streams per client address (default 256). */
  maxStreamsPerAddress?: number;
  /** Bytes of stream patches kept for Last-Event-ID catch-up, per environment and in all (16 / 64 MiB). */
  streamHistoryBytes?: { perEnvironment?: number; total?: number };
  /** Proxy addresses or CIDRs whose X-Forwarded-For / X-Forwarded-Proto are believed (default none). */
  trustProxy?: readonly string[];
  /** Login attempts per email and client address in 15 minutes (default 10); other limits follow it. */
  loginMaxFailures?: number;
  /** Where a generated admin password is printed (stdout by default). */
  print?: (line: string) => void;
  /** Days per-minute counts (insights chart, guards) are kept (default 90). */
  countsRetentionDays?: number;
  /** Options of the HTTP app beyond the above (rate limits of the public surfaces, guard bounds). */
  app?: Omit<AppOptions, 'loginMaxFailures'>;
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  app: OpenAPIHono<AppEnv>;
  deps: AppDeps;
  services: Services;
  /** Applies scheduled changes when due; `scheduler.tick()` applies what is due now. */
  scheduler: ChangeScheduler;
  /** Advances release plans and checks their guards; `releases.releases.tick()` runs one pass now. */
  releases: ReleaseTicker;
  /** Signs the head of the audit chain in the background; `auditCheckpoints.tick()` looks now. */
  auditCheckpoints: AuditCheckpointer;
  /** Deletes per-minute counts and change-log rows older than the retention; `retention.tick()` now. */
  retention: LeaderJob<unknown>;
  /** Ends every stream, stops the scheduler, stops listening, closes the database. */
  close(): Promise<void>;
}

/**
 * The composition root: opens, migrates and seeds the database, builds the infrastructure and every
 * service once, and starts following the change log.
 */
export async function prepare(
  options: StartServerOptions,
): Promise<{ deps: AppDeps; services: Services; database: Database }> {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'warn');
  const location =
    typeof options.db === 'string' ? parseDatabaseLocation(options.db, options.dbPool) : options.db;
  const database = await openDatabase(location);
  try {
    await reachDatabase(database, location);
    if (location.dialect === 'postgres' && options.auditKeyFile === undefined) {
      throw new Error(
        'RINGFLAG_AUDIT_KEY_FILE is required with PostgreSQL: every replica signs audit checkpoints with the same key',
      );
    }
    // Replicas starting together take turns: the first migrates and seeds, the others find it done.
    const { deps, services } = await startupTurn(database, async () => {
      await migrateDatabase(database);
      const deps = await infrastructure(options, database, location, logger);
      const services = createServices(deps, {
        loginMaxFailures: options.loginMaxFailures,
        guardContextLimits: options.app?.guardContextLimits,
        oidc: options.app?.oidc,
      });
      await seedDatabase(database, services, {
        admin: options.admin,
        demo: options.demo,
        print: options.print,
      });
      return { deps, services };
    });
    await deps.feed.start();
    return { deps, services, database };
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}

/** The infrastructure of one replica (streams, change feed, leadership, limits, keys), built once. */
async function infrastructure(
  options: StartServerOptions,
  database: Database,
  location: DatabaseLocation,
  logger: Logger,
): Promise<AppDeps> {
  const metrics = new Metrics();
  const limits = connectionLimits({
    fdLimit: readFdLimit(),
    maxConnections: options.maxConnections,
    maxStreamsPerKey: options.maxStreamsPerKey,
    maxStreamsPerAddress: options.maxStreamsPerAddress,
  });
  const hub = new ChangeHub({
    logger,
    heartbeatMs: options.heartbeatMs,
    historyBytesPerEnvironment: options.streamHistoryBytes?.perEnvironment,
    historyBytesTotal: options.streamHistoryBytes?.total,
  });
  const clusterCaches = new ClusterCaches();
  const feed = new ChangeFeed({
    database,
    hub,
    logger,
    pollMs: options.changeLogPollMs,
    onSignal: (signal) => clusterCaches.onClusterSignal(signal),
  });
  return {
    database,
    hub,
    feed,
    changes: feed,
    clusterCaches,
    leadership: electLeader(database, { logger, retryMs: options.leaderRetryMs }),
    payloads: new PayloadCache(),
    clock: options.clock ?? (() => new Date()),
    logger,
    metrics,
    secret: await resolveSecret(database, options.secret),
    auditSigner: loadAuditSigner(
      options.auditKeyFile ??
        (location.dialect === 'sqlite' ? defaultAuditKeyPath(location.file) : undefined),
    ),
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    connections: new ConnectionGuard(limits, { logger, metrics }),
    trustedProxies: new TrustedProxies(options.trustProxy ?? []),
    sessionTtlSeconds: 12 * 60 * 60,
  };
}

const FD_ERRORS = new Set(['EMFILE', 'ENFILE']);

/**
 * Starts Ringflag: database (migrated, seeded), app, HTTP listener.
 *
 * @example
 * const server = await startServer({ db: join(tmp, 'ringflag.db'), admin: { email, password } });
 * await fetch(`${server.url}/healthz`);
 * await server.close();
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { deps, services, database } = await prepare(options);
  const app = createApp(deps, services, options.app);
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: options.host ?? '127.0.0.1',
    // How often Node enforces the header and request timeouts below (its default is every 30 s).
    serverOptions: { connectionsCheckingInterval: 1_000 },
  }) as Server;
  server.keepAliveTimeout = 65_000;
  // A request, body included, must arrive within these: a slow sender cannot hold a connection for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  deps.connections.attach(server);
  try {
    await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  } catch (error) {
    deps.hub.close();
    await deps.feed.stop();
    await database.close();
    throw error;
  }
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code && FD_ERRORS.has(error.code)) {
      // Out of file descriptors: new connections fail until some close. Say so instead of dropping silently.
      deps.metrics.recordFdExhaustion();
      deps.logger.error('out of file descriptors: cannot accept connections', {
        code: error.code,
        streams: deps.hub.connectionCount(),
      });
      return;
    }
    deps.logger.error('server error', { error: String(error) });
  });
  // The periodic jobs run on the leader only (with SQLite, this process). A replica that becomes the
  // leader applies at once what fell due while nobody led.
  const isLeader = () => deps.leadership.isLeader();
  const scheduler = createChangeScheduler({
    changeRequests: services.changeRequests,
    logger: deps.logger,
    isLeader,
  });
  const releases = createReleaseTicker({ ...deps, guards: services.guards, isLeader });
  const auditCheckpoints = createAuditCheckpointer({ ...deps, isLeader }, options.auditCheckpoints);
  const retentionDays = options.countsRetentionDays ?? DEFAULT_RETENTION_DAYS;
  const retention = createLeaderJob({
    pass: () => pruneExpired(database, deps.clock(), retentionDays),
    intervalMs: 60 * 60 * 1000,
    isLeader,
    onError: (error) => deps.logger.error('deleting expired counts failed', { error: String(error) }),
  });
  await deps.leadership.start();
  await Promise.all([scheduler.start(), releases.start(), auditCheckpoints.start(), retention.start()]);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  deps.logger.info('listening', {
    url,
    db: describeLocation(typeof options.db === 'string' ? parseDatabaseLocation(options.db) : options.db),
    maxConnections: deps.connections.limits.maxConnections,
    reservedForAdmin: deps.connections.limits.reserved,
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    app,
    deps,
    services,
    scheduler,
    releases,
    auditCheckpoints,
    retention,
    close() {
      closing ??= (async () => {
        await Promise.all([scheduler.stop(), releases.stop(), retention.stop()]);
        deps.hub.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // Browser exposures still buffered are written before the database closes.
        await services.guardIntake.close();
        // Last, so the final checkpoint covers every write the server took.
        await auditCheckpoints.stop();
        await deps.leadership.stop();
        await deps.feed.stop();
        await database.close();
      })();
      return closing;
    },
  };
}
