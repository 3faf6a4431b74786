import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKeySchema } from '@ringflag/sdk-node/engine';
import type { AppDeps, AppEnv } from '../../app-env.js';
import { ValidationError } from '../../errors/index.js';
import { ADMIN_SECURITY, responses } from '../../http/openapi-app.js';
import { requireRole } from '../auth/authenticate.js';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import { createInsightsService } from './insights.service.js';
import { trackPublishes } from './publish-log.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The longest exposure range one request may ask for. */
export const MAX_EXPOSURE_RANGE_DAYS = 31;

const isoTime = z.iso.datetime({ offset: true });

export const exposureQuerySchema = z.object({
  environment: environmentKeySchema,
  /** Default: 24 hours before `until`. */
  since: isoTime.optional(),
  /** Default: now. */
  until: isoTime.optional(),
});

const base = { tags: ['insights'], security: ADMIN_SECURITY, middleware: [requireRole('viewer')] };

const delivery = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/insights/environments',
  summary:
    'Per environment: current revision, open SDK streams, and the revision and time of the last patch sent',
  responses: responses({ 200: '{ items: [{ environment, revision, streams, lastPublish }] }' }),
});
const flagStates = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/insights/flags',
  summary: "Every flag's config per environment, when it changed and when SDKs last evaluated it",
  responses: responses({
    200: '{ items: [{ key, environments: { env: { config, updatedAt, lastEvaluatedAt } } }] }',
  }),
});
const exposures = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/flags/{key}/exposures',
  summary: 'Evaluations per variant and minute, from the SDK exposure summaries',
  request: { params: z.object({ key: flagKeySchema }), query: exposureQuerySchema },
  responses: responses({
    200: '{ flag, environment, since, until, variants, minutes: [{ minute, at, counts }], totals }',
    400: 'Bad range',
    404: 'No such flag or environment',
  }),
});
const segmentUsage = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/segments/{key}/usage',
  summary: 'The flag rules that use a segment, per environment',
  request: { params: z.object({ key: flagKeySchema }) },
  responses: responses({
    200: '{ items: [{ flag, environment, rules: [{ index, id, name? }] }] }',
    404: 'Not found',
  }),
});

/** Read endpoints for the admin UI: delivery status, flag states, exposures, segment usage. */
export function registerInsightsRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const insights = createInsightsService(deps, trackPublishes(deps.hub, deps.clock));

  app.openapi(delivery, (c) => c.json({ items: insights.delivery() }, 200));
  app.openapi(flagStates, (c) => c.json({ items: insights.flagStates() }, 200));
  app.openapi(exposures, (c) => {
    const { key } = c.req.valid('param');
    const query = c.req.valid('query');
    const until = query.until === undefined ? deps.clock() : new Date(query.until);
    const since = query.since === undefined ? new Date(until.getTime() - DAY_MS) : new Date(query.since);
    if (since > until) {
      throw new ValidationError('Bad range', [{ path: 'query.since', message: 'must not be after until' }]);
    }
    if (until.getTime() - since.getTime() > MAX_EXPOSURE_RANGE_DAYS * DAY_MS) {
      throw new ValidationError('Bad range', [
        { path: 'query.since', message: `the range may span at most ${MAX_EXPOSURE_RANGE_DAYS} days` },
      ]);
    }
    return c.json(insights.exposures(key, query.environment, since, until), 200);
  });
  app.openapi(segmentUsage, (c) => c.json({ items: insights.segmentUsage(c.req.valid('param').key) }, 200));
}
