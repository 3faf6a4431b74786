import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKeySchema, LIMITS, segmentSchema } from '@ringflag/sdk-node/engine';
import type { AppEnv } from '../../app-env.js';
import { PreconditionFailedError } from '../../errors/index.js';
import { etagOf, versionFromTag } from '../../http/etag.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import type { SegmentService } from './segments.service.js';

const described = {
  name: z.string().min(1).max(LIMITS.nameLength).optional(),
  description: z.string().max(LIMITS.descriptionLength).optional(),
};

export const newSegmentSchema = segmentSchema.omit({ version: true }).extend(described).strict();
export const segmentUpdateSchema = segmentSchema.partial({ key: true }).extend(described).strict();

const base = { tags: ['segments'], security: ADMIN_SECURITY };
const params = z.object({ key: flagKeySchema });

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/segments',
  summary: 'List segments',
  middleware: [requireRole('viewer')],
  responses: responses({ 200: '{ items }' }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/segments/{key}',
  summary: 'One segment (ETag = version)',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({ 200: 'The segment', 404: 'Not found' }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/segments',
  summary: 'Create a segment',
  middleware: [requireRole('editor', 'global')],
  request: { body: jsonBody(newSegmentSchema) },
  responses: responses({ 201: 'The segment', 400: 'Invalid', 409: 'Exists' }),
});
const update = createRoute({
  ...base,
  method: 'put',
  path: '/api/v1/segments/{key}',
  summary: 'Replace a segment (If-Match: version)',
  middleware: [requireRole('editor', 'global')],
  request: { params, body: jsonBody(segmentUpdateSchema) },
  responses: responses({ 200: 'The segment', 400: 'Invalid', 404: 'Not found', 412: 'Stale version' }),
});
const remove = createRoute({
  ...base,
  method: 'delete',
  path: '/api/v1/segments/{key}',
  summary: 'Delete a segment no flag uses',
  middleware: [requireRole('editor', 'global')],
  request: { params },
  responses: responses({ 204: 'Deleted', 404: 'Not found', 409: 'Still used' }),
});

/** `/api/v1/segments`. */
export function registerSegmentRoutes(app: OpenAPIHono<AppEnv>, segments: SegmentService): void {
  app.openapi(list, (c) => c.json({ items: segments.list() }, 200));
  app.openapi(get, (c) => {
    const segment = segments.get(c.req.valid('param').key);
    c.header('ETag', etagOf(segment.version));
    return c.json(segment, 200);
  });
  app.openapi(create, (c) => {
    const segment = segments.create(actorOf(principalOf(c)), c.req.valid('json'));
    c.header('ETag', etagOf(segment.version));
    return c.json(segment, 201);
  });
  app.openapi(update, (c) => {
    const ifMatch = versionFromTag(c.req.header('if-match'));
    if (Number.isNaN(ifMatch)) throw new PreconditionFailedError('If-Match must be the ETag of the segment');
    const segment = segments.update(
      actorOf(principalOf(c)),
      c.req.valid('param').key,
      c.req.valid('json'),
      ifMatch,
    );
    c.header('ETag', etagOf(segment.version));
    return c.json(segment, 200);
  });
  app.openapi(remove, (c) => {
    segments.remove(actorOf(principalOf(c)), c.req.valid('param').key);
    return c.body(null, 204);
  });
}
