import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { AppError, NotFoundError } from '../../errors/index.js';
import { pagePolicy } from '../../http/security-headers.js';
import type { Logger } from '../../logger.js';
import { demoBundle } from './demo-bundle.js';
import type { DemoService } from './demo-key.js';
import { demoPage } from './demo-page.js';

/** The demo's inline script by hash; the key is only in a JSON data block, so any key gives this policy. */
const DEMO_POLICY = pagePolicy(demoPage({ clientKey: 'rf_cli_policy' }));

/** What {@link registerDemoRoutes} needs. */
export interface DemoRouteDeps {
  demo: Pick<DemoService, 'findClientKey'>;
  logger: Logger;
}

/**
 * Registers the live demo: `GET /demo` (a page whose dark-launched banner follows the `demo-banner`
 * flag in development, through the browser SDK) and `GET /demo/ringflag.js` (the SDK it loads). Both
 * answer 404 unless the database was seeded in demo mode and the demo's client key is not revoked.
 *
 * @example
 * registerDemoRoutes(app, { demo, logger });
 */
export function registerDemoRoutes(app: OpenAPIHono<AppEnv>, deps: DemoRouteDeps): void {
  const demoKey = async () => {
    const key = await deps.demo.findClientKey();
    if (!key) {
      throw new NotFoundError(
        'The demo is off: it is seeded on a new database when RINGFLAG_DEMO=true, and turns off when its client key is revoked',
      );
    }
    return key;
  };

  app.get('/demo', async (c) => {
    const html = demoPage({ clientKey: await demoKey() });
    return c.html(html, 200, { 'cache-control': 'no-store', 'content-security-policy': DEMO_POLICY });
  });

  app.get('/demo/ringflag.js', async (c) => {
    await demoKey();
    let code: string;
    try {
      code = await demoBundle();
    } catch (error) {
      deps.logger.error('the demo cannot serve the browser SDK', { error: String(error) });
      throw new AppError(503, 'Demo unavailable', 'The browser SDK is not built');
    }
    return c.body(code, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
    });
  });
}
