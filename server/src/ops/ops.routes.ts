import type { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app-env.js';
import { listEnvironments } from '../features/environments/environments.store.js';

/** `/healthz` (the process answers), `/readyz` (the database answers) and `/metrics`. */
export function registerOpsRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/readyz', (c) => {
    try {
      deps.sqlite.prepare('select 1').get();
      return c.json({ ok: true });
    } catch (error) {
      deps.logger.error('readiness check failed', { error: String(error) });
      return c.json({ ok: false }, 503);
    }
  });

  app.get('/metrics', (c) => {
    const environments = listEnvironments(deps.db);
    const body = deps.metrics.render({
      sseConnections: () =>
        environments.map((env) => ({ environment: env.key, count: deps.hub.connectionCount(env.key) })),
      revisions: () => environments.map((env) => ({ environment: env.key, revision: env.revision })),
      streamHistoryBytes: () =>
        environments.map((env) => ({ environment: env.key, bytes: deps.hub.historyBytes(env.key) })),
      connections: () => ({
        open: deps.connections.connectionCount,
        streams: deps.connections.streamCount,
        max: deps.connections.limits.maxConnections,
        reserved: deps.connections.limits.reserved,
      }),
    });
    return c.body(body, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}
