import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, jsonBody, listOf, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import { roleOrNoneSchema, roleSchema } from '../auth/roles.js';
import { type UserService, userSchema } from './users.service.js';

/** A password a person chooses: at least 8 characters. */
export const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(1024);

export const newUserSchema = z
  .object({
    email: z.email().max(320),
    name: z.string().min(1).max(256).optional(),
    password: passwordSchema,
    /** The role in the default project. */
    role: roleSchema.optional(),
    /** An organisation admin; when absent, a user given the admin role is one (as before projects). */
    orgAdmin: z.boolean().optional(),
  })
  .strict();

export const userChangesSchema = z
  .object({
    name: z.string().min(1).max(256).optional(),
    /** The role in the default project; null takes it away. */
    role: roleOrNoneSchema.optional(),
    orgAdmin: z.boolean().optional(),
    disabled: z.boolean().optional(),
    password: passwordSchema.optional(),
  })
  .strict();

const base = { tags: ['users'], security: ADMIN_SECURITY };
const params = z.object({ id: z.coerce.number().int().positive() });

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/users',
  summary: 'List users',
  middleware: [requireRole('admin', 'organisation')],
  responses: responses({ 200: { description: 'Every user', schema: listOf(userSchema, 'UserList') } }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/users',
  summary: 'Create a user',
  middleware: [requireRole('admin', 'organisation')],
  request: { body: jsonBody(newUserSchema) },
  responses: responses({ 201: { description: 'The user', schema: userSchema }, 409: 'Exists' }),
});
const update = createRoute({
  ...base,
  method: 'patch',
  path: '/api/v1/users/{id}',
  summary: 'Change name, role, password, or disable',
  middleware: [requireRole('admin', 'organisation')],
  request: { params, body: jsonBody(userChangesSchema) },
  responses: responses({
    200: { description: 'The user', schema: userSchema },
    404: 'Not found',
    409: 'Would leave no admin',
  }),
});

/** `/api/v1/users` (admins only). */
export function registerUserRoutes(app: OpenAPIHono<AppEnv>, { users }: { users: UserService }): void {
  app.openapi(list, async (c) => c.json({ items: await users.list() }, 200));
  app.openapi(create, async (c) =>
    c.json(await users.create(actorOf(principalOf(c)), c.req.valid('json')), 201),
  );
  app.openapi(update, async (c) =>
    c.json(await users.update(actorOf(principalOf(c)), c.req.valid('param').id, c.req.valid('json')), 200),
  );
}
