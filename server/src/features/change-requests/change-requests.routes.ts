import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, responses } from '../../http/openapi-app.js';
import { PROBLEM_JSON } from '../../http/problem.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { ChangeRequestConflictError } from './change-request-conflict-error.js';
import { changeRequestListQuery, changeRequestParams } from './change-request-schemas.js';
import {
  changeRequestListSchema,
  changeRequestProblemSchema,
  changeRequestSchema,
} from './change-request-wire.js';
import type { ChangeRequestService } from './change-requests.service.js';
import { commentOf, decisionOf } from './comment-body.js';

const base = { tags: ['change requests'], security: ADMIN_SECURITY };
const params = changeRequestParams;

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/change-requests',
  summary: 'List change requests, newest first (state and kind may list several, comma-separated)',
  description:
    'Kinds: config and toggle change one flag config in one environment (environment set), holding the author’s changes as operations (proposed: the live config with them applied, while open); flag (variations, clientSide), archive and unarchive change a flag everywhere, segment a segment (environment null, segment set for segment changes). Those global requests list in environments the approval-required environments that gate them; filtering by environment returns both.',
  middleware: [requireRole('viewer')],
  request: { query: changeRequestListQuery },
  responses: responses({ 200: { description: 'Newest first', schema: changeRequestListSchema } }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/change-requests/{id}',
  summary: 'A change request',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({
    200: { description: 'The change request', schema: changeRequestSchema },
    404: 'Not found',
  }),
});

/** Who may do what is the service's rule (four eyes); the route only requires someone logged in. */
function action(name: string, summary: string, decision = false) {
  return createRoute({
    ...base,
    method: 'post',
    path: `/api/v1/change-requests/{id}/${name}`,
    summary,
    description: decision
      ? 'Body (optional): `{ "comment": string ≤ 1000, "revision": integer }`. `revision` is the revision of the request the reviewer saw: when its author changed it since (a later write went into it), the answer is 409 and nothing changes. An empty body is accepted, whatever its content type.'
      : 'Body (optional): `{ "comment": string ≤ 1000 }`. An empty body is accepted, whatever its content type.',
    middleware: [requireRole('viewer')],
    request: { params },
    responses: responses({
      200: { description: 'The change request', schema: changeRequestSchema },
      403: 'Not allowed (the author may not review their own change)',
      404: 'Not found',
      409: {
        mediaType: PROBLEM_JSON,
        schema: changeRequestProblemSchema,
        description:
          'Not in a state that allows this, or (approve, reject) not at the revision given; for approve, also a config field or rule changed underneath it (conflicts names them), or a flag or segment that moved since it was proposed (state conflict)',
      },
    }),
  });
}

const approve = action(
  'approve',
  'Approve: applies it now, or schedules it for its applyAt (approver, not the author)',
  true,
);
const reject = action('reject', 'Reject a pending change request (approver, not the author)', true);
const withdraw = action('withdraw', 'Withdraw a pending change request (its author)');
const cancel = action('cancel', 'Cancel a scheduled change (its author or an admin)');

/** What the change request routes use. */
export interface ChangeRequestRouteDeps {
  changeRequests: ChangeRequestService;
}

/** `/api/v1/change-requests`: the four-eyes inbox and scheduled changes. */
export function registerChangeRequestRoutes(
  app: OpenAPIHono<AppEnv>,
  { changeRequests }: ChangeRequestRouteDeps,
): void {
  app.openapi(list, async (c) => {
    const { state, kind, flag, segment, environment, limit } = c.req.valid('query');
    const items = await changeRequests.list(
      { states: state, kinds: kind, flag, segment, environment },
      limit,
    );
    return c.json({ items }, 200);
  });
  app.openapi(get, async (c) => c.json(await changeRequests.get(c.req.valid('param').id), 200));
  app.openapi(approve, async (c) => {
    const decision = await decisionOf(c);
    const outcome = await changeRequests.approve(principalOf(c), c.req.valid('param').id, decision);
    if (outcome.kind === 'conflict') throw new ChangeRequestConflictError(outcome.changeRequest);
    return c.json(outcome.changeRequest, 200);
  });
  app.openapi(reject, async (c) => {
    const decision = await decisionOf(c);
    return c.json(await changeRequests.reject(principalOf(c), c.req.valid('param').id, decision), 200);
  });
  app.openapi(withdraw, async (c) => {
    const comment = await commentOf(c);
    return c.json(await changeRequests.withdraw(principalOf(c), c.req.valid('param').id, comment), 200);
  });
  app.openapi(cancel, async (c) => {
    const comment = await commentOf(c);
    return c.json(await changeRequests.cancel(principalOf(c), c.req.valid('param').id, comment), 200);
  });
}
