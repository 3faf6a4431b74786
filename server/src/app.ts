import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from './app-env.js';
import { NotFoundError } from './errors/index.js';
import { registerApiTokenRoutes } from './features/api-tokens/api-tokens.routes.js';
import { registerAuditRoutes } from './features/audit/audit.routes.js';
import { registerAuthRoutes } from './features/auth/auth.routes.js';
import { authenticate } from './features/auth/authenticate.js';
import { registerChangeRequestRoutes } from './features/change-requests/change-requests.routes.js';
import { registerClientRoutes } from './features/client/client.routes.js';
import { registerDemoRoutes } from './features/demo/demo.routes.js';
import { registerEnvironmentRoutes } from './features/environments/environments.routes.js';
import { registerEvaluateRoutes } from './features/evaluate/evaluate.routes.js';
import { registerFlagConfigRoutes } from './features/flag-configs/flag-configs.routes.js';
import { registerFlagRoutes } from './features/flags/flags.routes.js';
import { registerInsightsRoutes } from './features/insights/insights.routes.js';
import { registerOfrepRoutes } from './features/ofrep/ofrep.routes.js';
import {
  DEFAULT_ADDRESS_RATE_LIMIT,
  DEFAULT_CLIENT_RATE_LIMIT,
  DEFAULT_OFREP_RATE_LIMIT,
  type RateLimit,
} from './features/ofrep/rate-limiter.js';
import { routedPath } from './features/projects/project-path.js';
import { registerProjectRoutes } from './features/projects/projects.routes.js';
import { findProjectByKey } from './features/projects/projects.store.js';
import { registerRelayRoutes } from './features/relay/relay.routes.js';
import { registerReleaseRoutes } from './features/releases/releases.routes.js';
import { registerSdkRoutes } from './features/sdk/sdk.routes.js';
import { registerSdkKeyRoutes } from './features/sdk-keys/sdk-keys.routes.js';
import { registerSegmentRoutes } from './features/segments/segments.routes.js';
import { registerSsoRoutes } from './features/sso/sso.routes.js';
import { registerUiRoutes } from './features/ui/ui.routes.js';
import { registerUserRoutes } from './features/users/users.routes.js';
import { limitBodySize } from './http/body-limit.js';
import { useCommonMiddleware } from './http/common-middleware.js';
import { DOCS_PAGE, DOCS_POLICY } from './http/docs-page.js';
import { boundedJsonBodies, rejectIllFormedStrings } from './http/json-body.js';
import { createOpenApiApp, openApiDocument, registerRecursiveSchemas } from './http/openapi-app.js';
import { problemResponse } from './http/problem.js';
import { registerOpsRoutes } from './ops/ops.routes.js';
import type { ServiceOptions, Services } from './services.js';

/** Options of {@link createApp} beyond its dependencies. */
export interface AppOptions extends ServiceOptions {
  /** The built admin UI served at `/` (default: admin-ui/dist of this checkout). */
  uiDir?: string;
  /** Requests per SDK key on /ofrep/v1 (default 1,000/s, bursts of 2,000). */
  ofrepRateLimit?: RateLimit;
  /** Requests per client key on /client/v1 (default 2,000/s, bursts of 5,000). */
  clientRateLimit?: RateLimit;
  /**
   * Requests per SDK key and client address on /client/v1 and /ofrep/v1 (default 200/s, bursts of
   * 1,000): one address cannot use up a key that every browser shares.
   */
  addressRateLimit?: RateLimit;
}

/**
 * Builds the HTTP application: admin API, SDK surface, ops endpoints, OpenAPI document and docs page,
 * with one error handler that renders problem+json.
 *
 * @example
 * const app = createApp(deps, createServices(deps));
 * const res = await app.request('/healthz');
 */
export function createApp(deps: AppDeps, services: Services, options: AppOptions = {}): OpenAPIHono<AppEnv> {
  // `/api/v1/projects/{project}/flags/…` is routed as `/api/v1/flags/…` in that project.
  const app = createOpenApiApp({ getPath: routedPath });
  useCommonMiddleware(app, deps);

  const limit = limitBodySize(deps.bodyLimitBytes);
  app.use('/api/*', limit);
  app.use('/sdk/*', limit);
  app.use('*', boundedJsonBodies());
  // After the body limits; /client, /ofrep and /relay register theirs after their own limits. Before
  // authentication: a body that can never be stored is refused whoever sends it, wherever.
  app.use('/api/*', rejectIllFormedStrings());
  app.use('/sdk/*', rejectIllFormedStrings());
  app.use(
    '/api/v1/*',
    authenticate(services.principals, (key) => findProjectByKey(deps.database, key)),
  );

  registerRecursiveSchemas(app);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A session JWT from /api/v1/auth/login, or an API token rf_api_…',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'cookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'rf_session',
    description: 'The session cookie; unsafe methods also need X-CSRF-Token',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'sdkKey', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'A server SDK key rf_srv_… (a "Bearer " prefix is accepted)',
  });

  registerAuthRoutes(app, { auth: services.auth, sessionTtlSeconds: deps.sessionTtlSeconds });
  registerSsoRoutes(app, { sso: services.sso, sessionTtlSeconds: deps.sessionTtlSeconds });
  registerUserRoutes(app, services);
  registerProjectRoutes(app, services);
  registerApiTokenRoutes(app, services);
  registerEnvironmentRoutes(app, services);
  registerFlagRoutes(app, services);
  registerFlagConfigRoutes(app, services);
  registerChangeRequestRoutes(app, services);
  registerReleaseRoutes(app, services);
  registerSegmentRoutes(app, services);
  registerSdkKeyRoutes(app, services);
  const { surface } = services;
  registerEvaluateRoutes(app, surface);
  registerAuditRoutes(app, services);
  registerInsightsRoutes(app, services);
  const streaming = { hub: deps.hub, connections: deps.connections, feed: deps.feed };
  registerSdkRoutes(app, { ...surface, ...streaming, events: services.events });
  registerRelayRoutes(app, { keys: surface.keys, source: services.relay });
  const perAddress = options.addressRateLimit ?? DEFAULT_ADDRESS_RATE_LIMIT;
  registerClientRoutes(
    app,
    {
      ...surface,
      ...streaming,
      events: services.events,
      guards: services.guardIntake,
      ...observability(deps),
    },
    { rateLimits: { perKey: options.clientRateLimit ?? DEFAULT_CLIENT_RATE_LIMIT, perAddress } },
  );
  registerOfrepRoutes(
    app,
    { ...surface, ...observability(deps) },
    {
      rateLimits: { perKey: options.ofrepRateLimit ?? DEFAULT_OFREP_RATE_LIMIT, perAddress },
    },
  );
  registerOpsRoutes(app, deps);
  registerDemoRoutes(app, { demo: services.demo, logger: deps.logger });

  // Built once, on the first request (every route is registered by then): generating it costs
  // milliseconds of CPU, and anyone may ask for it.
  let openApiJson: string | undefined;
  app.get('/api/v1/openapi.json', (c) => {
    openApiJson ??= JSON.stringify(openApiDocument(app));
    return c.body(openApiJson, 200, { 'content-type': 'application/json' });
  });
  app.get('/api/docs', (c) => c.html(DOCS_PAGE, 200, { 'content-security-policy': DOCS_POLICY }));
  // Last: the UI answers only its own paths and lets everything else fall through.
  const ui = registerUiRoutes(app, { dir: options.uiDir });
  // A page path nothing answered gets the UI's not-found page; anything else a problem+json 404.
  app.notFound(
    async (c) =>
      (await ui.unknownPage(c)) ??
      problemResponse(new NotFoundError(`No route ${c.req.method} ${c.req.path}`).toJSON()),
  );
  return app;
}

function observability(deps: AppDeps) {
  return { logger: deps.logger, metrics: deps.metrics, clock: deps.clock };
}
