import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKeySchema } from '@ringflag/sdk-node/engine';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import { roleIn } from '../change-requests/requester.js';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import type { ReleaseService } from './release-plans.service.js';
import { approveReleaseSchema, newReleasePlanSchema } from './release-schemas.js';
import {
  releaseApprovalListSchema,
  releasePlanResultSchema,
  releasePlanSchema,
  releasePreviewSchema,
} from './release-wire.js';

const params = z.object({ key: flagKeySchema, env: environmentKeySchema });
const base = { tags: ['releases'], security: ADMIN_SECURITY };
const PATH = '/api/v1/flags/{key}/environments/{env}/release';
const PLAN =
  'The plan { id, flag, environment, variation, state, stages, currentStage (0-based; -1 while the first stage awaits its approval), stageStartedAt, nextAdvanceAt, guard, onTrip, before (the config before the plan started, null for older plans), approvals, incident, createdBy, createdAt, updatedAt, stageHistory }';
const PLAN_RESULT = `${PLAN}, with warnings (string[]: where the flag serves the variation outside the plan's control) and summary (what the action did, in words)`;
const PREVIEW =
  'What starting the plan would do, nothing written: { warnings: string[], before (the config now, which a rollback restores), stages: [{ index (0-based), name, percentage, segments, holdMinutes, approval, summary, config }] }';

const create = createRoute({
  ...base,
  method: 'post',
  path: PATH,
  summary: 'Start a release plan: the variation, ordered stages (rings) and an optional guard',
  middleware: [requireRole('editor', 'environment')],
  request: { params, body: jsonBody(newReleasePlanSchema) },
  responses: responses({
    201: { description: PLAN_RESULT, schema: releasePlanResultSchema },
    400: 'Invalid plan',
    404: 'Not found',
    409: 'A plan is already active',
  }),
});
const preview = createRoute({
  ...base,
  method: 'post',
  path: `${PATH}/preview`,
  summary: 'Preview a release plan (the same body as starting one): warnings and each stage’s config',
  middleware: [requireRole('viewer')],
  request: { params, body: jsonBody(newReleasePlanSchema) },
  responses: responses({
    200: { description: PREVIEW, schema: releasePreviewSchema },
    400: 'Invalid plan',
    404: 'Not found',
    409: 'A plan is already active',
  }),
});
const approvals = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/release-approvals',
  summary: 'Release stages awaiting an approval, across flags and environments',
  middleware: [requireRole('viewer')],
  responses: responses({
    200: {
      description:
        '{ items: [{ flag, environment, stage (0-based index of the stage awaiting approval), stageName, plan, waitingSince }] }',
      schema: releaseApprovalListSchema,
    },
  }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: PATH,
  summary: 'The newest release plan of the flag in the environment',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({ 200: { description: PLAN, schema: releasePlanSchema }, 404: 'No plan' }),
});

const actionResponses = responses({
  200: { description: PLAN, schema: releasePlanSchema },
  403: 'Not allowed',
  404: 'No plan',
  409: 'Not possible in this state',
});
const action = (name: string, summary: string) =>
  createRoute({
    ...base,
    method: 'post',
    path: `${PATH}/${name}`,
    summary,
    middleware: [requireRole('editor', 'environment')],
    request: { params },
    responses: actionResponses,
  });

const advance = action('advance', 'Advance to the next stage now (a gated stage needs its approval first)');
const pause = action('pause', 'Stop advancing on its own');
const resume = action('resume', 'Advance on its own again');
const rollback = createRoute({
  ...base,
  method: 'post',
  path: `${PATH}/rollback`,
  summary:
    'Roll back: the config from before the plan comes back (changes others made since are kept); answers warnings when it serves the variation',
  middleware: [requireRole('editor', 'environment')],
  request: { params },
  responses: responses({
    200: { description: PLAN_RESULT, schema: releasePlanResultSchema },
    403: 'Not allowed',
    404: 'No plan',
    409: 'Not possible in this state',
  }),
});
const approve = createRoute({
  ...base,
  method: 'post',
  path: `${PATH}/approve`,
  summary: "Approve the next gated stage (an approver other than the plan's creator)",
  // The approver role and four eyes are the service's rule; here only the token's environments.
  middleware: [requireRole('viewer', 'environment')],
  request: { params, body: { ...jsonBody(approveReleaseSchema), required: false } },
  responses: actionResponses,
});

/** What the release routes use. */
export interface ReleaseRouteDeps {
  releases: ReleaseService;
}

/**
 * `/api/v1/flags/{key}/environments/{env}/release[/preview|advance|pause|resume|rollback|approve]` and
 * `/api/v1/release-approvals`.
 */
export function registerReleaseRoutes(app: OpenAPIHono<AppEnv>, { releases }: ReleaseRouteDeps): void {
  app.openapi(create, async (c) => {
    const { key, env } = c.req.valid('param');
    return c.json(await releases.create(actorOf(principalOf(c)), key, env, c.req.valid('json')), 201);
  });
  app.openapi(preview, async (c) => {
    const { key, env } = c.req.valid('param');
    return c.json(await releases.preview(key, env, c.req.valid('json')), 200);
  });
  app.openapi(approvals, async (c) => c.json({ items: await releases.approvals() }, 200));
  app.openapi(get, async (c) => {
    const { key, env } = c.req.valid('param');
    return c.json(await releases.get(key, env), 200);
  });
  app.openapi(advance, async (c) => {
    const { key, env } = c.req.valid('param');
    return c.json(await releases.advance(actorOf(principalOf(c)), key, env), 200);
  });
  app.openapi(pause, async (c) => {
    const { key, env } = c.req.valid('param');
    return c.json(await releases.pause(actorOf(principalOf(c)), key, env), 200);
  });
  app.openapi(resume, async (c) => {
    const { key, env } = c.req.valid('param');
    return c.json(await releases.resume(actorOf(principalOf(c)), key, env), 200);
  });
  app.openapi(rollback, async (c) => {
    const { key, env } = c.req.valid('param');
    return c.json(await releases.rollback(actorOf(principalOf(c)), key, env), 200);
  });
  app.openapi(approve, async (c) => {
    const { key, env } = c.req.valid('param');
    const { comment } = c.req.valid('json') ?? {};
    const principal = principalOf(c);
    const reviewer = { actor: actorOf(principal), role: roleIn(principal) };
    return c.json(await releases.approve(reviewer, key, env, comment), 200);
  });
}
