import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { type AppOptions, createApp } from './app.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { type OpenDatabase, openDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { resolveSecret } from './db/secret.js';
import {
  type AuditCheckpointer,
  type CheckpointPolicy,
  startAuditCheckpointer,
} from './features/audit/audit-checkpoints.js';
import { defaultAuditKeyPath, loadAuditSigner } from './features/audit/audit-signing.js';
import { createChangeRequestService } from './features/change-requests/change-requests.service.js';
import { type ChangeScheduler, createChangeScheduler } from './features/change-requests/change-scheduler.js';
import { type ReleaseTicker, startReleaseTicker } from './features/releases/release-ticker.js';
import { PayloadCache } from './features/sdk/payload-cache.js';
import { ConnectionGuard, connectionLimits, readFdLimit } from './http/connection-guard.js';
import { TrustedProxies } from './http/trusted-proxies.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { Metrics } from './ops/metrics.js';
import { seedDatabase } from './seed.js';
import { ChangeHub } from './stream/change-hub.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Path of the SQLite file (created, migrated and seeded as needed). */
  dbPath: string;
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
  /** Applies scheduled changes when due; `scheduler.tick()` applies what is due now. */
  scheduler: ChangeScheduler;
  /** Advances release plans and checks their guards; `releases.releases.tick()` runs one pass now. */
  releases: ReleaseTicker;
  /** Signs the head of the audit chain in the background; `auditCheckpoints.tick()` looks now. */
  auditCheckpoints: AuditCheckpointer;
  /** Ends every stream, stops the scheduler, stops listening, closes the database. */
  close(): Promise<void>;
}

/** Opens, migrates and seeds the database and builds the dependencies of the app. */
export async function prepare(
  options: StartServerOptions,
): Promise<{ deps: AppDeps; database: OpenDatabase }> {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'warn');
  const database = openDatabase(options.dbPath);
  try {
    migrateDatabase(database.db);
    const metrics = new Metrics();
    const limits = connectionLimits({
      fdLimit: readFdLimit(),
      maxConnections: options.maxConnections,
      maxStreamsPerKey: options.maxStreamsPerKey,
      maxStreamsPerAddress: options.maxStreamsPerAddress,
    });
    const deps: AppDeps = {
      db: database.db,
      sqlite: database.sqlite,
      hub: new ChangeHub({
        logger,
        heartbeatMs: options.heartbeatMs,
        historyBytesPerEnvironment: options.streamHistoryBytes?.perEnvironment,
        historyBytesTotal: options.streamHistoryBytes?.total,
      }),
      payloads: new PayloadCache(),
      clock: options.clock ?? (() => new Date()),
      logger,
      metrics,
      secret: resolveSecret(database.db, options.secret),
      auditSigner: loadAuditSigner(options.auditKeyFile ?? defaultAuditKeyPath(options.dbPath)),
      bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
      connections: new ConnectionGuard(limits, { logger, metrics }),
      trustedProxies: new TrustedProxies(options.trustProxy ?? []),
      sessionTtlSeconds: 12 * 60 * 60,
    };
    await seedDatabase(deps, { admin: options.admin, demo: options.demo, print: options.print });
    return { deps, database };
  } catch (error) {
    database.close();
    throw error;
  }
}

const FD_ERRORS = new Set(['EMFILE', 'ENFILE']);

/**
 * Starts Ringflag: database (migrated, seeded), app, HTTP listener.
 *
 * @example
 * const server = await startServer({ dbPath: join(tmp, 'ringflag.db'), admin: { email, password } });
 * await fetch(`${server.url}/healthz`);
 * await server.close();
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { deps, database } = await prepare(options);
  const app = createApp(deps, { ...options.app, loginMaxFailures: options.loginMaxFailures });
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
    database.close();
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
  // After a restart this applies at once what fell due while the server was down.
  const scheduler = createChangeScheduler({
    changeRequests: createChangeRequestService(deps),
    logger: deps.logger,
  });
  scheduler.start();
  const releases = startReleaseTicker(deps, undefined, options.countsRetentionDays);
  const auditCheckpoints = startAuditCheckpointer(deps, options.auditCheckpoints);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  deps.logger.info('listening', {
    url,
    db: options.dbPath,
    maxConnections: deps.connections.limits.maxConnections,
    reservedForAdmin: deps.connections.limits.reserved,
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    app,
    deps,
    scheduler,
    releases,
    auditCheckpoints,
    close() {
      closing ??= new Promise<void>((resolve) => {
        scheduler.close();
        releases.stop();
        deps.hub.close();
        server.close(() => {
          // Last, so the final checkpoint covers every write the server took.
          auditCheckpoints.stop();
          database.close();
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
