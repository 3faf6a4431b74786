import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, jsonBody, listOf, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { roleSchema } from '../auth/roles.js';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import { type ApiTokenService, apiTokenSchema, newApiTokenSecretSchema } from './api-tokens.service.js';

export const newApiTokenSchema = z
  .object({
    name: z.string().min(1).max(128),
    role: roleSchema,
    environments: z.array(environmentKeySchema).min(1).max(100).optional(),
  })
  .strict();

const base = { tags: ['api tokens'], security: ADMIN_SECURITY };

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/api-tokens',
  summary: 'List API tokens (without secrets)',
  middleware: [requireRole('admin', 'global')],
  responses: responses({
    200: { description: 'Every API token', schema: listOf(apiTokenSchema, 'ApiTokenList') },
  }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/api-tokens',
  summary: 'Create an API token (at most your own rights); the token is shown only in this response',
  middleware: [requireRole('admin', 'global')],
  request: { body: jsonBody(newApiTokenSchema) },
  responses: responses({
    201: { description: 'The token, with its secret', schema: newApiTokenSecretSchema },
  }),
});
const revoke = createRoute({
  ...base,
  method: 'delete',
  path: '/api/v1/api-tokens/{id}',
  summary: 'Revoke an API token',
  middleware: [requireRole('admin', 'global')],
  request: { params: z.object({ id: z.coerce.number().int().positive() }) },
  responses: responses({
    200: { description: 'The revoked token', schema: apiTokenSchema },
    404: 'Not found',
  }),
});

/** `/api/v1/api-tokens` (admins only). */
export function registerApiTokenRoutes(
  app: OpenAPIHono<AppEnv>,
  { apiTokens }: { apiTokens: ApiTokenService },
): void {
  app.openapi(list, async (c) => c.json({ items: await apiTokens.list() }, 200));
  app.openapi(create, async (c) => c.json(await apiTokens.create(principalOf(c), c.req.valid('json')), 201));
  app.openapi(revoke, async (c) =>
    c.json(await apiTokens.revoke(principalOf(c), c.req.valid('param').id), 200),
  );
}
