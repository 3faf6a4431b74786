import type { OpenAPIHono } from '@hono/zod-openapi';
import { routePath } from 'hono/route';
import type { AppEnv } from '../app-env.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../ops/metrics.js';
import { trustProxies } from './client-address.js';
import { errorHandler } from './problem.js';
import { securityHeaders } from './security-headers.js';
import type { TrustedProxies } from './trusted-proxies.js';

/** What {@link useCommonMiddleware} needs. */
export interface CommonMiddlewareDeps {
  logger: Logger;
  metrics: Pick<Metrics, 'observeRequest'>;
  trustedProxies: TrustedProxies;
}

/**
 * What every Ringflag HTTP surface does first, the server's and a relay's alike: errors rendered as
 * problem+json, security headers, client addresses from trusted proxies only, and each request counted
 * by route and status with its latency.
 *
 * @example
 * const app = createOpenApiApp();
 * useCommonMiddleware(app, { logger, metrics, trustedProxies });
 */
export function useCommonMiddleware(app: OpenAPIHono<AppEnv>, deps: CommonMiddlewareDeps): void {
  app.onError(errorHandler(deps.logger));
  app.use('*', securityHeaders());
  app.use('*', trustProxies(deps.trustedProxies));
  app.use('*', async function measure(c, next) {
    const started = performance.now();
    await next();
    const route = routePath(c, -1);
    deps.metrics.observeRequest(
      c.req.method,
      route.endsWith('*') ? 'unmatched' : route,
      c.res.status,
      (performance.now() - started) / 1000,
    );
  });
}
