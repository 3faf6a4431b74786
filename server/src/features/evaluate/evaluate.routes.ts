import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { type Context, contextSchema, evaluateAll, flagKeySchema } from '@ringflag/sdk-node/engine';
import type { AppEnv } from '../../app-env.js';
import { NotFoundError } from '../../errors/index.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { requireRole } from '../auth/authenticate.js';
import type { EnvironmentCache } from '../client/environment-cache.js';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import type { PayloadReader } from '../sdk/payload-cache.js';

export const evaluateRequestSchema = z
  .object({
    context: contextSchema,
    /** Only these flags; every non-archived flag when left out. */
    flags: z.array(flagKeySchema).max(1000).optional(),
  })
  .strict();

const evaluate = createRoute({
  tags: ['evaluate'],
  security: ADMIN_SECURITY,
  method: 'post',
  path: '/api/v1/environments/{env}/evaluate',
  summary:
    'Evaluate flags for a context with the SDK engine: { revision, results: { key: { value, variant, reason } } }',
  middleware: [requireRole('viewer')],
  request: { params: z.object({ env: environmentKeySchema }), body: jsonBody(evaluateRequestSchema) },
  responses: responses({ 200: 'Values and reasons', 404: 'No environment' }),
});

/** What {@link registerEvaluateRoutes} needs (the client surface provides both). */
export interface EvaluateRouteDeps {
  environments: Pick<EnvironmentCache, 'byKey'>;
  payloads: PayloadReader;
}

/**
 * `POST /api/v1/environments/{env}/evaluate`: what a context gets, with the same engine the SDKs run.
 *
 * @example
 * registerEvaluateRoutes(app, surface);
 */
export function registerEvaluateRoutes(app: OpenAPIHono<AppEnv>, deps: EvaluateRouteDeps): void {
  app.openapi(evaluate, async (c) => {
    const envKey = c.req.valid('param').env;
    const env = await deps.environments.byKey(envKey);
    if (!env) throw new NotFoundError(`No environment "${envKey}"`);
    const { context, flags } = c.req.valid('json');
    const store = (await deps.payloads.get(env)).store();
    const wanted = flags === undefined ? undefined : new Set(flags);
    const results = evaluateAll(context as Context, store, wanted && ((flag) => wanted.has(flag.key)));
    if (wanted) {
      for (const key of wanted) {
        results[key] ??= {
          value: null,
          variant: null,
          reason: { kind: 'ERROR', errorKind: 'FLAG_NOT_FOUND' },
        };
      }
    }
    return c.json({ environment: env.key, revision: store.revision, results }, 200);
  });
}
