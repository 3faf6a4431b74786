import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.js';
import type { EnvironmentRef } from '../db/schema.js';
import { NotFoundError } from '../errors/index.js';
import { registerClientRoutes } from '../features/client/client.routes.js';
import { RefusedOriginLog } from '../features/client/refused-origins.js';
import { registerOfrepRoutes } from '../features/ofrep/ofrep.routes.js';
import {
  DEFAULT_ADDRESS_RATE_LIMIT,
  DEFAULT_CLIENT_RATE_LIMIT,
  DEFAULT_OFREP_RATE_LIMIT,
  type RateLimit,
} from '../features/ofrep/rate-limiter.js';
import { registerRelayRoutes } from '../features/relay/relay.routes.js';
import type { RelayEventsBatch } from '../features/relay/relay-wire.js';
import { registerSdkRoutes } from '../features/sdk/sdk.routes.js';
import { limitBodySize } from '../http/body-limit.js';
import { useCommonMiddleware } from '../http/common-middleware.js';
import { ConnectionGuard, connectionLimits, readFdLimit } from '../http/connection-guard.js';
import { boundedJsonBodies, rejectIllFormedStrings } from '../http/json-body.js';
import { listen } from '../http/listen.js';
import { createOpenApiApp } from '../http/openapi-app.js';
import { problemResponse } from '../http/problem.js';
import { TrustedProxies } from '../http/trusted-proxies.js';
import { createLogger, type Logger, type LogLevel } from '../logger.js';
import { Metrics } from '../ops/metrics.js';
import { ChangeHub } from '../stream/change-hub.js';
import { EventForwarder, type SendOutcome } from './event-forwarder.js';
import { RelayEnvironment, type RelayEnvironmentStatus, type UpstreamSource } from './relay-environment.js';
import { createRelaySurface } from './relay-surface.js';

/** Options of {@link startRelay}. */
export interface StartRelayOptions {
  /** The base URL of a Ringflag server or of another relay. */
  upstream: string;
  /** One server key per environment followed. */
  sdkKeys: readonly string[];
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where the last payload and keys of each environment are kept (none: nothing is persisted). */
  dataDir?: string;
  /** How often each environment's keys are asked again, in ms (default 2,000): how soon a revoked key is refused. */
  keyPollMs?: number;
  /** How often SDK events go upstream, in ms (default 1,000). */
  eventFlushMs?: number;
  /** SSE heartbeat interval (default 15,000 ms). */
  heartbeatMs?: number;
  /** Open connections at most (default: below the process's open-file limit). */
  maxConnections?: number;
  /** Open streams per SDK or client key (default: half of the streams). */
  maxStreamsPerKey?: number;
  /** Open streams per client address (default 256). */
  maxStreamsPerAddress?: number;
  /** Proxy addresses or CIDRs whose X-Forwarded-For is believed (default none). */
  trustProxy?: readonly string[];
  /** Requests per client key on /client/v1 and /ofrep/v1, and per key and address, as on the server. */
  rateLimits?: { perKey?: RateLimit; perAddress?: RateLimit };
  logLevel?: LogLevel;
  logger?: Logger;
  /** The stream to the upstream (tests). */
  source?: UpstreamSource;
}

/** A running relay. */
export interface RunningRelay {
  url: string;
  port: number;
  app: OpenAPIHono<AppEnv>;
  hub: ChangeHub;
  /** The followed environments' state. */
  status(): RelayStatus;
  /** Sends the SDK events waiting now (tests). */
  flushEvents(): Promise<void>;
  close(): Promise<void>;
}

/** What `/readyz` answers. */
export interface RelayStatus {
  /** Every environment the upstream does not refuse has flags to serve (and there is one at least). */
  ok: boolean;
  environments: RelayEnvironmentStatus[];
}

/**
 * Starts a relay: it follows `upstream` with one stream per server key and serves, from memory, what
 * the server serves to SDKs — `/sdk/v1` (payload with ETag, stream with Last-Event-ID catch-up from its
 * own history, events), `/client/v1` (evaluated on the relay, CORS per environment), `/ofrep/v1`,
 * `/relay/v1` (so relays chain) — and its own `/healthz`, `/readyz`, `/metrics`. It has no write path:
 * nothing but SDK events goes upstream, in batches.
 *
 * @example
 * const relay = await startRelay({ upstream: 'https://flags.example.com', sdkKeys: ['rf_srv_…'], dataDir: './data/relay' });
 */
export async function startRelay(options: StartRelayOptions): Promise<RunningRelay> {
  if (options.sdkKeys.length === 0) throw new Error('a relay needs at least one server key');
  const logger = options.logger ?? createLogger(options.logLevel ?? 'warn');
  const metrics = new Metrics();
  const hub = new ChangeHub({ logger, heartbeatMs: options.heartbeatMs });
  const connections = new ConnectionGuard(
    connectionLimits({
      fdLimit: readFdLimit(),
      maxConnections: options.maxConnections,
      maxStreamsPerKey: options.maxStreamsPerKey,
      maxStreamsPerAddress: options.maxStreamsPerAddress,
    }),
    { logger, metrics },
  );
  const clock = () => new Date();
  let surface: ReturnType<typeof createRelaySurface> | undefined;
  const environments = [...new Set(options.sdkKeys)].map(
    (sdkKey) =>
      new RelayEnvironment({
        upstream: options.upstream,
        sdkKey,
        dataDir: options.dataDir,
        hub,
        logger,
        keyPollMs: options.keyPollMs ?? 2000,
        onKeysChanged: () => surface?.origins.clear(),
        onReset: () => surface?.evaluations.clear(),
        source: options.source,
      }),
  );
  const forwarder = new EventForwarder({
    logger,
    flushMs: options.eventFlushMs,
    send: (environmentId, batch) => {
      const environment = environments.find((candidate) => candidate.environment?.id === environmentId);
      return environment ? sendBatch(options.upstream, environment.sdkKey, batch) : Promise.resolve('retry');
    },
  });
  surface = createRelaySurface(environments, forwarder, {
    refusals: new RefusedOriginLog(logger, () => Date.now()),
  });
  await Promise.all(environments.map((environment) => environment.start()));
  const followedTwice = environments.filter(
    (environment, index) =>
      environment.environment !== undefined &&
      environments.findIndex((other) => other.environment?.id === environment.environment?.id) !== index,
  );
  if (followedTwice.length > 0) {
    hub.close();
    await forwarder.close();
    await Promise.all(environments.map((environment) => environment.close()));
    throw new Error(
      `give one server key per environment: two keys name ${followedTwice.map((environment) => environment.environment?.ref).join(', ')}`,
    );
  }

  const status = (): RelayStatus => {
    const states = environments.map((environment) => environment.status());
    // Ready when every environment the upstream still grants has flags to serve; an environment whose
    // key was revoked is reported, but does not take the others out of a load balancer's rotation.
    const granted = states.filter((state) => state.refused === null);
    return {
      ok: granted.length > 0 && granted.every((state) => state.revision !== null),
      environments: states,
    };
  };

  const app = createOpenApiApp();
  useCommonMiddleware(app, { logger, metrics, trustedProxies: new TrustedProxies(options.trustProxy ?? []) });
  app.use('/sdk/*', limitBodySize(1024 * 1024));
  app.use('*', boundedJsonBodies());
  app.use('/sdk/*', rejectIllFormedStrings());
  const streaming = {
    hub,
    connections,
    feed: {
      missedSince: async (env: EnvironmentRef, last: number, current: number) =>
        hub.missedSince(env, last, current),
    },
  };
  const observability = { logger, metrics, clock };
  const perAddress = options.rateLimits?.perAddress ?? DEFAULT_ADDRESS_RATE_LIMIT;
  registerSdkRoutes(app, { ...surface, ...streaming, events: forwarder });
  registerClientRoutes(
    app,
    { ...surface, ...streaming, ...observability, events: forwarder, guards: forwarder },
    { rateLimits: { perKey: options.rateLimits?.perKey ?? DEFAULT_CLIENT_RATE_LIMIT, perAddress } },
  );
  registerOfrepRoutes(
    app,
    { ...surface, ...observability },
    { rateLimits: { perKey: options.rateLimits?.perKey ?? DEFAULT_OFREP_RATE_LIMIT, perAddress } },
  );
  registerRelayRoutes(app, { keys: surface.keys, source: surface.source });
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', (c) => {
    const state = status();
    return c.json(state, state.ok ? 200 : 503);
  });
  app.get('/metrics', (c) => {
    const names = hub.environments();
    const body = metrics.render({
      sseConnections: () =>
        names.map((environment) => ({ environment, count: hub.connectionCount(environment) })),
      revisions: () =>
        status().environments.flatMap(({ environment, revision }) =>
          revision === null ? [] : [{ environment, revision }],
        ),
      streamHistoryBytes: () =>
        names.map((environment) => ({ environment, bytes: hub.historyBytes(environment) })),
      connections: () => ({
        open: connections.connectionCount,
        streams: connections.streamCount,
        max: connections.limits.maxConnections,
        reserved: connections.limits.reserved,
      }),
      relay: () => ({
        environments: status().environments.map((state) => ({
          environment: state.environment,
          connected: state.connected,
          staleSeconds: state.staleSeconds,
          refused: state.refused !== null,
        })),
        events: forwarder.stats(),
      }),
    });
    return c.body(body, 200, { 'content-type': 'text/plain; version=0.0.4' });
  });
  app.notFound(() =>
    problemResponse(
      new NotFoundError('A relay serves only /sdk/v1, /client/v1, /ofrep/v1 and /relay/v1').toJSON(),
    ),
  );

  const host = options.host ?? '127.0.0.1';
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    serverOptions: { connectionsCheckingInterval: 1_000 },
  }) as Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  connections.attach(server);
  const stopAll = async () => {
    hub.close();
    await forwarder.close();
    await Promise.all(environments.map((environment) => environment.close()));
  };
  try {
    await listen(server, options.port ?? 0, host);
  } catch (error) {
    await stopAll();
    throw error;
  }
  server.on('error', (error) => logger.error('relay server error', { error: String(error) }));
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info('relay listening', { url, upstream: options.upstream, environments: environments.length });
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    app,
    hub,
    status,
    flushEvents: () => forwarder.flush(),
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          hub.close();
          server.closeAllConnections();
        });
        await stopAll();
      })();
      return closing;
    },
  };
}

/** Posts one batch upstream: sent, worth retrying (away, overloaded), or refused as invalid. */
async function sendBatch(upstream: string, sdkKey: string, batch: RelayEventsBatch): Promise<SendOutcome> {
  try {
    const response = await fetch(new URL('/relay/v1/events', upstream), {
      method: 'POST',
      headers: { authorization: sdkKey, 'content-type': 'application/json' },
      body: JSON.stringify(batch),
      signal: AbortSignal.timeout(10_000),
    });
    await response.body?.cancel();
    if (response.ok) return 'sent';
    // 401/403: the key is refused (the environment stops serving too); 400/413: retrying fails again.
    return response.status === 429 || response.status >= 500 ? 'retry' : 'rejected';
  } catch {
    return 'retry';
  }
}
