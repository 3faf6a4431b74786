import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createApp } from './app.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { type OpenDatabase, openDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { resolveSecret } from './db/secret.js';
import { createChangeRequestService } from './features/change-requests/change-requests.service.js';
import { type ChangeScheduler, createChangeScheduler } from './features/change-requests/change-scheduler.js';
import { type ReleaseTicker, startReleaseTicker } from './features/releases/release-ticker.js';
import { PayloadCache } from './features/sdk/payload-cache.js';
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
  /** Failed logins allowed per email or client in 15 minutes (default 10). */
  loginMaxFailures?: number;
  /** Where a generated admin password is printed (stdout by default). */
  print?: (line: string) => void;
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
    const deps: AppDeps = {
      db: database.db,
      sqlite: database.sqlite,
      hub: new ChangeHub({ logger, heartbeatMs: options.heartbeatMs }),
      payloads: new PayloadCache(),
      clock: options.clock ?? (() => new Date()),
      logger,
      metrics: new Metrics(),
      secret: resolveSecret(database.db, options.secret),
      bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
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
  const app = createApp(deps, { loginMaxFailures: options.loginMaxFailures });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: options.host ?? '127.0.0.1' }) as Server;
  server.keepAliveTimeout = 65_000;
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
  const releases = startReleaseTicker(deps);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  deps.logger.info('listening', { url, db: options.dbPath });
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    app,
    deps,
    scheduler,
    releases,
    close() {
      closing ??= new Promise<void>((resolve) => {
        scheduler.close();
        releases.stop();
        deps.hub.close();
        server.close(() => {
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
