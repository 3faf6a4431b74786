import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  type Context,
  contextSchema,
  type EvaluationDetail,
  evaluateAll,
  type FlagStore,
  flagKeySchema,
  type JsonValue,
} from '@ringflag/sdk-node/engine';
import type { AppEnv } from '../../app-env.js';
import { NotFoundError } from '../../errors/index.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { requireRole } from '../auth/authenticate.js';
import type { EnvironmentCache } from '../client/environment-cache.js';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import type { PayloadReader } from '../sdk/cached-payload.js';
import { evaluationSchema } from './evaluation-schemas.js';

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
    'Evaluate flags for a context with the SDK engine: { revision, results: { key: { value, variant, reason, ruleName? } } }',
  description:
    '`reason` is exactly what an SDK reports. Beside it, for a `RULE_MATCH` whose rule has a name, `ruleName` is that name, read from the config evaluated.',
  middleware: [requireRole('viewer')],
  request: { params: z.object({ env: environmentKeySchema }), body: jsonBody(evaluateRequestSchema) },
  responses: responses({
    200: { description: 'Values and reasons', schema: evaluationSchema },
    404: 'No environment',
  }),
});

/** One result of the admin evaluation: the SDK's detail and, for a named rule that matched, its name. */
export type AdminEvaluation = EvaluationDetail<JsonValue | null> & { ruleName?: string };

/**
 * The detail with the matched rule's name beside the reason (the reason stays the SDK's own).
 *
 * @example
 * withRuleName('new-checkout', detail, store); // { …detail, ruleName: 'Beta testers' }
 */
export function withRuleName(
  key: string,
  detail: EvaluationDetail<JsonValue | null>,
  store: FlagStore,
): AdminEvaluation {
  if (detail.reason.kind !== 'RULE_MATCH') return detail;
  const name = store.flags.get(key)?.config?.rules[detail.reason.ruleIndex]?.name;
  return name ? { ...detail, ruleName: name } : detail;
}

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
    const results: Record<string, AdminEvaluation> = {};
    const evaluated = evaluateAll(context as Context, store, wanted && ((flag) => wanted.has(flag.key)));
    for (const [key, detail] of Object.entries(evaluated)) results[key] = withRuleName(key, detail, store);
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
