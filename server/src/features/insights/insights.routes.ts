import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKeySchema } from '@ringflag/sdk-node/engine';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, listOf, responses } from '../../http/openapi-app.js';
import { requireRole } from '../auth/authenticate.js';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import {
  environmentDeliverySchema,
  exposureSeriesSchema,
  flagStatesSchema,
  type InsightsService,
  segmentUseSchema,
} from './insights.service.js';

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
  responses: responses({
    200: {
      description: 'Every environment',
      schema: listOf(environmentDeliverySchema, 'EnvironmentDeliveryList'),
    },
  }),
});
const flagStates = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/insights/flags',
  summary: "Every flag's config per environment, when it changed and when SDKs last evaluated it",
  responses: responses({
    200: { description: 'Every flag', schema: listOf(flagStatesSchema, 'FlagStatesList') },
  }),
});
const exposures = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/flags/{key}/exposures',
  summary: 'Evaluations per variant and minute, from the SDK exposure summaries',
  request: { params: z.object({ key: flagKeySchema }), query: exposureQuerySchema },
  responses: responses({
    200: { description: 'Counts per minute and variant', schema: exposureSeriesSchema },
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
    200: { description: 'The uses', schema: listOf(segmentUseSchema, 'SegmentUseList') },
    404: 'Not found',
  }),
});

/** Read endpoints for the admin UI: delivery status, flag states, exposures, segment usage. */
export function registerInsightsRoutes(
  app: OpenAPIHono<AppEnv>,
  { insights }: { insights: InsightsService },
): void {
  app.openapi(delivery, async (c) => c.json({ items: await insights.delivery() }, 200));
  app.openapi(flagStates, async (c) => c.json({ items: await insights.flagStates() }, 200));
  app.openapi(exposures, async (c) => {
    const { key } = c.req.valid('param');
    const { environment, since, until } = c.req.valid('query');
    return c.json(await insights.exposures(key, environment, { since, until }), 200);
  });
  app.openapi(segmentUsage, async (c) =>
    c.json({ items: await insights.segmentUsage(c.req.valid('param').key) }, 200),
  );
}
