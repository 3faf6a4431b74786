import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import {
  environmentChangesSchema,
  environmentKeySchema,
  newEnvironmentSchema,
} from './environment-schemas.js';
import type { EnvironmentService } from './environments.service.js';

const base = { tags: ['environments'], security: ADMIN_SECURITY };
const params = z.object({ env: environmentKeySchema });

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/environments',
  summary: 'Environments in pipeline order',
  middleware: [requireRole('viewer')],
  responses: responses({ 200: '{ items }' }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/environments/{env}',
  summary: 'One environment',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({ 200: 'The environment', 404: 'Not found' }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/environments',
  summary: 'Create an environment (every flag starts off there)',
  middleware: [requireRole('admin', 'global')],
  request: { body: jsonBody(newEnvironmentSchema) },
  responses: responses({ 201: 'The environment', 409: 'Exists' }),
});
const update = createRoute({
  ...base,
  method: 'patch',
  path: '/api/v1/environments/{env}',
  summary: 'Change name, order, requireApproval or CORS origins',
  middleware: [requireRole('admin', 'global')],
  request: { params, body: jsonBody(environmentChangesSchema) },
  responses: responses({ 200: 'The environment', 404: 'Not found' }),
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
  app.openapi(update, async (c) =>
    c.json(
      await environments.update(actorOf(principalOf(c)), c.req.valid('param').env, c.req.valid('json')),
      200,
    ),
  );
}
