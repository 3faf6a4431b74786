import type { Hono } from 'hono';
import type { AppEnv } from '../app-env.js';
import type { Database } from '../db/client.js';
import type { Leadership } from '../db/leader.js';
import { rootMessage } from '../db/unavailable.js';
import type { ConnectionGuard } from '../http/connection-guard.js';
import type { Logger } from '../logger.js';
import type { ChangeFeed } from '../stream/change-feed.js';
import type { ChangeHub } from '../stream/change-hub.js';
import type { Metrics } from './metrics.js';

/** What the ops endpoints read: nothing here needs the database except the readiness check. */
export interface OpsDeps {
  database: Pick<Database, 'ping' | 'poolUse'>;
  hub: ChangeHub;
  feed: Pick<ChangeFeed, 'lag' | 'connected' | 'revisions'>;
  leadership: Pick<Leadership, 'isLeader'>;
  connections: ConnectionGuard;
  metrics: Metrics;
  logger: Logger;
}

/**
 * `/healthz` (the process answers), `/readyz` (the database answers: a replica without it keeps its
 * open streams but takes no new traffic from a load balancer) and `/metrics` (from memory, so it
 * answers while the database is away).
 */
export function registerOpsRoutes(app: Hono<AppEnv>, deps: OpsDeps): void {
  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/readyz', async (c) => {
    try {
      await deps.database.ping();
      return c.json({ ok: true, leader: deps.leadership.isLeader() });
    } catch (error) {
      deps.logger.warn('readiness check failed: the database does not answer', { error: rootMessage(error) });
      return c.json({ ok: false, reason: 'database unreachable' }, 503);
    }
  });

  app.get('/metrics', (c) => {
    const environments = deps.hub.environments();
    const body = deps.metrics.render({
      sseConnections: () =>
        environments.map((environment) => ({ environment, count: deps.hub.connectionCount(environment) })),
      revisions: () => deps.feed.revisions(),
      streamHistoryBytes: () =>
        environments.map((environment) => ({ environment, bytes: deps.hub.historyBytes(environment) })),
      connections: () => ({
        open: deps.connections.connectionCount,
        streams: deps.connections.streamCount,
        max: deps.connections.limits.maxConnections,
        reserved: deps.connections.limits.reserved,
      }),
      replica: () => ({
        leader: deps.leadership.isLeader(),
        changeLogLag: deps.feed.lag(),
        changeFeedConnected: deps.feed.connected(),
        pool: deps.database.poolUse(),
      }),
    });
    return c.body(body, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}
