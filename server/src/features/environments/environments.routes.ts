import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, jsonBody, listOf, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import { writeOptionsShape } from '../change-requests/change-request-schemas.js';
import {
  environmentChangesSchema,
  environmentKeySchema,
  environmentOrderSchema,
  newEnvironmentSchema,
} from './environment-schemas.js';
import { type EnvironmentService, environmentSchema } from './environments.service.js';

const base = { tags: ['environments'], security: ADMIN_SECURITY };
const params = z.object({ env: environmentKeySchema });
const environmentListSchema = listOf(environmentSchema, 'EnvironmentList');

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/environments',
  summary: 'Environments in pipeline order',
  middleware: [requireRole('viewer')],
  responses: responses({
    200: { description: 'Every environment', schema: environmentListSchema },
  }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/environments/{env}',
  summary: 'One environment',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({
    200: { description: 'The environment', schema: environmentSchema },
    404: 'Not found',
  }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/environments',
  summary: 'Create an environment (every flag starts off there)',
  middleware: [requireRole('admin', 'global')],
  request: { body: jsonBody(newEnvironmentSchema) },
  responses: responses({ 201: { description: 'The environment', schema: environmentSchema }, 409: 'Exists' }),
});
const update = createRoute({
  ...base,
  method: 'patch',
  path: '/api/v1/environments/{env}',
  summary: 'Change name, order, requireApproval or CORS origins',
  description:
    'Applies at once (admins only), with an `environment.update` audit event that keeps `comment`. Turning `requireApproval` on sends the changes scheduled there without a review back to pending; turning it off lets later changes apply at once, and requests already waiting still need an approver.',
  middleware: [requireRole('admin', 'global')],
  request: {
    params,
    body: jsonBody(environmentChangesSchema.extend({ comment: writeOptionsShape.comment }).strict()),
  },
  responses: responses({
    200: { description: 'The environment', schema: environmentSchema },
    400: 'Invalid',
    404: 'Not found',
  }),
});
const reorder = createRoute({
  ...base,
  method: 'put',
  path: '/api/v1/environments/order',
  summary: 'Set the pipeline order: { order: [every environment key, first to last] }',
  middleware: [requireRole('admin', 'global')],
  request: { body: jsonBody(environmentOrderSchema) },
  responses: responses({
    200: { description: 'Every environment, in the new order', schema: environmentListSchema },
    400: 'Not every environment exactly once',
  }),
});

/** `/api/v1/environments`. */
export function registerEnvironmentRoutes(
  app: OpenAPIHono<AppEnv>,
  { environments }: { environments: EnvironmentService },
): void {
  app.openapi(list, async (c) => c.json({ items: await environments.list() }, 200));
  app.openapi(get, async (c) => c.json(await environments.get(c.req.valid('param').env), 200));
  app.openapi(create, async (c) =>
    c.json(await environments.create(actorOf(principalOf(c)), c.req.valid('json')), 201),
  );
  app.openapi(update, async (c) => {
    const { comment, ...changes } = c.req.valid('json');
    const view = await environments.update(actorOf(principalOf(c)), c.req.valid('param').env, changes, {
      comment,
    });
    return c.json(view, 200);
  });
  app.openapi(reorder, async (c) =>
    c.json({ items: await environments.reorder(actorOf(principalOf(c)), c.req.valid('json').order) }, 200),
  );
}
