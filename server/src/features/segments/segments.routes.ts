import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKeySchema, LIMITS, segmentSchema } from '@ringflag/sdk-node/engine';
import type { AppEnv } from '../../app-env.js';
import { etagOf, replacedVersion } from '../../http/etag.js';
import { ADMIN_SECURITY, jsonBody, listOf, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import { writeOptionsShape } from '../change-requests/change-request-schemas.js';
import { changeRequestSchema } from '../change-requests/change-request-wire.js';
import { requestedResponse } from '../change-requests/requested-response.js';
import { segmentViewSchema } from './segment-schemas.js';
import type { SegmentService } from './segments.service.js';

const described = {
  name: z.string().min(1).max(LIMITS.nameLength).optional(),
  description: z.string().max(LIMITS.descriptionLength).optional(),
};

export const newSegmentSchema = segmentSchema.omit({ version: true }).extend(described).strict();
export const segmentUpdateSchema = segmentSchema
  .partial({ key: true })
  // The version the client read (like If-Match); no default, so that leaving it out is told apart.
  .extend({ ...described, version: z.number().int().min(1).optional(), comment: writeOptionsShape.comment })
  .strict();

const base = { tags: ['segments'], security: ADMIN_SECURITY };
const params = z.object({ key: flagKeySchema });

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/segments',
  summary: 'List segments',
  middleware: [requireRole('viewer')],
  responses: responses({
    200: { description: 'Every segment', schema: listOf(segmentViewSchema, 'SegmentList') },
  }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/segments/{key}',
  summary: 'One segment (ETag = version)',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({ 200: { description: 'The segment', schema: segmentViewSchema }, 404: 'Not found' }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/segments',
  summary: 'Create a segment',
  middleware: [requireRole('editor', 'global')],
  request: { body: jsonBody(newSegmentSchema) },
  responses: responses({
    201: { description: 'The segment', schema: segmentViewSchema },
    400: 'Invalid',
    409: 'Exists',
  }),
});
const update = createRoute({
  ...base,
  method: 'put',
  path: '/api/v1/segments/{key}',
  summary: 'Replace a segment (If-Match: version, or * for any; required)',
  description:
    'Where an environment requiring approval depends on the segment (a flag config there, archived flags included, an open change request or any stage of an active release plan names it) and its members or rules change, answers 202 with a change request that someone else with the approver role approves; otherwise applies at once (200). Name and description alone always apply at once. Send If-Match with the ETag you read, or the version in the body (412 when the segment moved, 428 when neither); If-Match: * writes whatever the version.',
  middleware: [requireRole('editor', 'global')],
  request: { params, body: jsonBody(segmentUpdateSchema) },
  responses: responses({
    200: { description: 'The segment', schema: segmentViewSchema },
    202: {
      description: 'A change request (an environment requiring approval uses the segment)',
      schema: changeRequestSchema,
    },
    400: 'Invalid',
    404: 'Not found',
    412: 'Stale version',
  }),
});
const remove = createRoute({
  ...base,
  method: 'delete',
  path: '/api/v1/segments/{key}',
  summary: 'Delete a segment nothing names',
  description:
    'Refused (409, naming them) while a flag config (archived flags included), an open change request or an active release plan in any environment names the segment. Applied and rejected change requests on it stay, with segment null.',
  middleware: [requireRole('editor', 'global')],
  request: { params },
  responses: responses({ 204: 'Deleted', 404: 'Not found', 409: 'Still used' }),
});

/** `/api/v1/segments`. */
export function registerSegmentRoutes(
  app: OpenAPIHono<AppEnv>,
  { segments }: { segments: SegmentService },
): void {
  app.openapi(list, async (c) => c.json({ items: await segments.list() }, 200));
  app.openapi(get, async (c) => {
    const segment = await segments.get(c.req.valid('param').key);
    c.header('ETag', etagOf(segment.version));
    return c.json(segment, 200);
  });
  app.openapi(create, async (c) => {
    const segment = await segments.create(actorOf(principalOf(c)), c.req.valid('json'));
    c.header('ETag', etagOf(segment.version));
    return c.json(segment, 201);
  });
  app.openapi(update, async (c) => {
    const { comment, ...input } = c.req.valid('json');
    const expectedVersion = replacedVersion(c.req.header('if-match'), input.version, 'the segment');
    const outcome = await segments.update(principalOf(c), c.req.valid('param').key, input, {
      expectedVersion,
      comment,
    });
    if (outcome.kind === 'requested') return requestedResponse(c, outcome.changeRequest);
    c.header('ETag', etagOf(outcome.segment.version));
    return c.json(outcome.segment, 200);
  });
  app.openapi(remove, async (c) => {
    await segments.remove(actorOf(principalOf(c)), c.req.valid('param').key);
    return c.body(null, 204);
  });
}
