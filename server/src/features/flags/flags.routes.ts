import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKeySchema, flagKindSchema, LIMITS, variationSchema } from '@ringflag/sdk-node/engine';
import type { AppEnv } from '../../app-env.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import type { FlagService } from './flags.service.js';

const tagsSchema = z.array(z.string().min(1).max(64)).max(50);

export const newFlagSchema = z
  .object({
    key: flagKeySchema,
    name: z.string().min(1).max(LIMITS.nameLength).optional(),
    description: z.string().max(LIMITS.descriptionLength).optional(),
    kind: flagKindSchema,
    variations: z.array(variationSchema).min(1).max(LIMITS.variations).optional(),
    tags: tagsSchema.optional(),
    owner: z.string().max(LIMITS.nameLength).nullable().optional(),
    temporary: z.boolean().optional(),
    clientSide: z.boolean().optional(),
  })
  .strict();

export const flagChangesSchema = newFlagSchema.omit({ key: true, kind: true }).strict();

const keyParams = z.object({ key: flagKeySchema });

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(400).optional(),
  archived: z.enum(['true', 'false']).optional(),
  tag: z.string().max(64).optional(),
});

const base = { tags: ['flags'], security: ADMIN_SECURITY };

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/flags',
  summary: 'List flags',
  middleware: [requireRole('viewer')],
  request: { query: listQuery },
  responses: responses({ 200: '{ items, nextCursor }' }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/flags',
  summary: 'Create a flag (off in every environment)',
  middleware: [requireRole('editor', 'global')],
  request: { body: jsonBody(newFlagSchema) },
  responses: responses({ 201: 'The flag', 400: 'Invalid', 409: 'Exists' }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/flags/{key}',
  summary: 'A flag, with its state per environment',
  middleware: [requireRole('viewer')],
  request: { params: keyParams },
  responses: responses({ 200: 'The flag', 404: 'No such flag' }),
});
const patch = createRoute({
  ...base,
  method: 'patch',
  path: '/api/v1/flags/{key}',
  summary: "Change a flag's name, description, variations, tags, owner, temporary or clientSide",
  middleware: [requireRole('editor', 'global')],
  request: { params: keyParams, body: jsonBody(flagChangesSchema) },
  responses: responses({ 200: 'The flag', 400: 'Invalid', 404: 'No such flag' }),
});
const archive = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/flags/{key}/archive',
  summary: 'Archive a flag (SDKs stop seeing it)',
  middleware: [requireRole('editor', 'global')],
  request: { params: keyParams },
  responses: responses({ 200: 'The flag', 404: 'No such flag', 409: 'Still a prerequisite' }),
});
const unarchive = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/flags/{key}/unarchive',
  summary: 'Restore an archived flag',
  middleware: [requireRole('editor', 'global')],
  request: { params: keyParams },
  responses: responses({ 200: 'The flag', 404: 'No such flag' }),
});

/** `/api/v1/flags`: the global part of flags. */
export function registerFlagRoutes(app: OpenAPIHono<AppEnv>, flags: FlagService): void {
  app.openapi(list, (c) => {
    const query = c.req.valid('query');
    const archived = query.archived === undefined ? undefined : query.archived === 'true';
    return c.json(flags.list({ limit: query.limit, cursor: query.cursor, archived, tag: query.tag }), 200);
  });
  app.openapi(create, (c) => c.json(flags.create(actorOf(principalOf(c)), c.req.valid('json')), 201));
  app.openapi(get, (c) => c.json(flags.get(c.req.valid('param').key), 200));
  app.openapi(patch, (c) =>
    c.json(flags.update(actorOf(principalOf(c)), c.req.valid('param').key, c.req.valid('json')), 200),
  );
  app.openapi(archive, (c) =>
    c.json(flags.setArchived(actorOf(principalOf(c)), c.req.valid('param').key, true), 200),
  );
  app.openapi(unarchive, (c) =>
    c.json(flags.setArchived(actorOf(principalOf(c)), c.req.valid('param').key, false), 200),
  );
}
