import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKeySchema, flagKindSchema, LIMITS, variationSchema } from '@ringflag/sdk-node/engine';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { etagOf, ifMatchVersion } from '../../http/etag.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import { writeOptionsShape } from '../change-requests/change-request-schemas.js';
import { changeRequestSchema } from '../change-requests/change-request-wire.js';
import { commentOf } from '../change-requests/comment-body.js';
import { requestedResponse } from '../change-requests/requested-response.js';
import { flagDetailSchema, flagPageSchema, flagSchema } from './flag-schemas.js';
import type { FlagService, FlagWriteOutcome } from './flags.service.js';

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

export const flagChangesSchema = newFlagSchema
  .omit({ key: true, kind: true })
  .extend({ comment: writeOptionsShape.comment })
  .strict();

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
  responses: responses({ 200: { description: 'A page of flags', schema: flagPageSchema } }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/flags',
  summary: 'Create a flag (off in every environment)',
  middleware: [requireRole('editor', 'global')],
  request: { body: jsonBody(newFlagSchema) },
  responses: responses({
    201: { description: 'The flag', schema: flagSchema },
    400: 'Invalid',
    409: 'Exists',
  }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/flags/{key}',
  summary: 'A flag, with its state per environment',
  middleware: [requireRole('viewer')],
  request: { params: keyParams },
  responses: responses({
    200: { description: 'The flag, with its state per environment', schema: flagDetailSchema },
    404: 'No such flag',
  }),
});
const FOUR_EYES =
  'Where the change alters what an environment requiring approval serves (variation ids or values, exposing the flag to browser keys with clientSide: true, archiving or restoring), it answers 202 with a change request that someone else with the approver role approves; otherwise it applies at once (200). A PATCH that mixes such fields with descriptive ones (name, description, tags, owner, temporary, variation names) becomes one change request as a whole. Send If-Match with the ETag you read (412 when the flag moved); If-Match: * or none writes whatever the version.';

const patch = createRoute({
  ...base,
  method: 'patch',
  path: '/api/v1/flags/{key}',
  summary:
    "Change a flag's name, description, variations, tags, owner, temporary or clientSide (If-Match: version)",
  description: FOUR_EYES,
  middleware: [requireRole('editor', 'global')],
  request: { params: keyParams, body: jsonBody(flagChangesSchema) },
  responses: responses({
    200: { description: 'The flag (ETag = version)', schema: flagSchema },
    202: {
      description: 'A change request (an environment requiring approval serves this flag)',
      schema: changeRequestSchema,
    },
    400: 'Invalid',
    404: 'No such flag',
    412: 'Stale version',
  }),
});
const archive = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/flags/{key}/archive',
  summary: 'Archive a flag (SDKs stop seeing it)',
  description: `Body (optional): \`{ "comment": string }\`. ${FOUR_EYES}`,
  middleware: [requireRole('editor', 'global')],
  request: { params: keyParams },
  responses: responses({
    200: { description: 'The flag', schema: flagSchema },
    202: {
      description: 'A change request (an environment requiring approval serves this flag)',
      schema: changeRequestSchema,
    },
    404: 'No such flag',
    409: 'Still a prerequisite',
    412: 'Stale version',
  }),
});
const unarchive = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/flags/{key}/unarchive',
  summary: 'Restore an archived flag',
  description: `Body (optional): \`{ "comment": string }\`. ${FOUR_EYES}`,
  middleware: [requireRole('editor', 'global')],
  request: { params: keyParams },
  responses: responses({
    200: { description: 'The flag', schema: flagSchema },
    202: {
      description: 'A change request (an environment requiring approval would serve this flag)',
      schema: changeRequestSchema,
    },
    404: 'No such flag',
    412: 'Stale version',
  }),
});

/** The version `If-Match` names; undefined for none or `*`. */
function expectedVersion(c: Context<AppEnv>): number | undefined {
  return ifMatchVersion(c.req.header('if-match'), 'the flag');
}

/** 200 with the flag (and its ETag), or 202 with the change request. */
function respond(c: Context<AppEnv>, outcome: FlagWriteOutcome) {
  if (outcome.kind === 'requested') return requestedResponse(c, outcome.changeRequest);
  c.header('ETag', etagOf(outcome.flag.version));
  return c.json(outcome.flag, 200);
}

/** `/api/v1/flags`: the global part of flags. */
export function registerFlagRoutes(app: OpenAPIHono<AppEnv>, { flags }: { flags: FlagService }): void {
  app.openapi(list, async (c) => {
    const query = c.req.valid('query');
    const archived = query.archived === undefined ? undefined : query.archived === 'true';
    return c.json(
      await flags.list({ limit: query.limit, cursor: query.cursor, archived, tag: query.tag }),
      200,
    );
  });
  app.openapi(create, async (c) =>
    c.json(await flags.create(actorOf(principalOf(c)), c.req.valid('json')), 201),
  );
  app.openapi(get, async (c) => {
    const flag = await flags.get(c.req.valid('param').key);
    c.header('ETag', etagOf(flag.version));
    return c.json(flag, 200);
  });
  app.openapi(patch, async (c) => {
    const { comment, ...changes } = c.req.valid('json');
    const outcome = await flags.update(principalOf(c), c.req.valid('param').key, changes, {
      expectedVersion: expectedVersion(c),
      comment,
    });
    return respond(c, outcome);
  });
  app.openapi(archive, async (c) => {
    const options = { expectedVersion: expectedVersion(c), comment: await commentOf(c) };
    return respond(c, await flags.setArchived(principalOf(c), c.req.valid('param').key, true, options));
  });
  app.openapi(unarchive, async (c) => {
    const options = { expectedVersion: expectedVersion(c), comment: await commentOf(c) };
    return respond(c, await flags.setArchived(principalOf(c), c.req.valid('param').key, false, options));
  });
}
