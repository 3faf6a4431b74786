import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, jsonBody, listOf, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import { newSdkKeySecretSchema, type SdkKeyService, sdkKeySchema } from './sdk-keys.service.js';

export const newSdkKeySchema = z.object({ type: z.enum(['server', 'client']) }).strict();

const base = { tags: ['sdk keys'], security: ADMIN_SECURITY };
const envParams = z.object({ env: environmentKeySchema });

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/environments/{env}/sdk-keys',
  summary: "An environment's SDK keys (without secrets)",
  middleware: [requireRole('editor', 'environment')],
  request: { params: envParams },
  responses: responses({ 200: { description: 'The keys', schema: listOf(sdkKeySchema, 'SdkKeyList') } }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/environments/{env}/sdk-keys',
  summary: 'Create an SDK key; the key is shown only in this response',
  middleware: [requireRole('admin', 'environment')],
  request: { params: envParams, body: jsonBody(newSdkKeySchema) },
  responses: responses({
    201: { description: 'The key, with its secret', schema: newSdkKeySecretSchema },
    404: 'No environment',
  }),
});
const revoke = createRoute({
  ...base,
  method: 'delete',
  path: '/api/v1/environments/{env}/sdk-keys/{id}',
  summary: 'Revoke an SDK key (its open streams close)',
  middleware: [requireRole('admin', 'environment')],
  request: { params: envParams.extend({ id: z.coerce.number().int().positive() }) },
  responses: responses({ 200: { description: 'The revoked key', schema: sdkKeySchema }, 404: 'Not found' }),
});

/** `/api/v1/environments/{env}/sdk-keys`. */
export function registerSdkKeyRoutes(
  app: OpenAPIHono<AppEnv>,
  { sdkKeys }: { sdkKeys: SdkKeyService },
): void {
  app.openapi(list, async (c) => c.json({ items: await sdkKeys.list(c.req.valid('param').env) }, 200));
  app.openapi(create, async (c) =>
    c.json(
      await sdkKeys.create(actorOf(principalOf(c)), c.req.valid('param').env, c.req.valid('json').type),
      201,
    ),
  );
  app.openapi(revoke, async (c) => {
    const { env, id } = c.req.valid('param');
    return c.json(await sdkKeys.revoke(actorOf(principalOf(c)), env, id), 200);
  });
}
