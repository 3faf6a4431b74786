import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../../app-env.js';
import { ValidationError } from '../../errors/index.js';
import { ADMIN_SECURITY, responses } from '../../http/openapi-app.js';
import { requireRole } from '../auth/authenticate.js';
import { pageAuditEvents, verifyAuditChain } from './audit.service.js';
import { type AuditFilter, iterateAuditEvents } from './audit.store.js';
import { CSV_COLUMNS, csvLine, linesStream } from './audit-export.js';

const isoTime = z.iso.datetime({ offset: true });

export const auditFilterSchema = z.object({
  resourceType: z.string().max(64).optional(),
  resource: z.string().max(256).optional(),
  environment: z.string().max(64).optional(),
  actor: z.string().max(256).optional(),
  action: z.string().max(128).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
});

const listQuery = auditFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(100).optional(),
});

const base = { tags: ['audit'], security: ADMIN_SECURITY };

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/audit',
  summary: 'Audit events, newest first (filters; `limit` and `cursor` pages)',
  middleware: [requireRole('viewer')],
  request: { query: listQuery },
  responses: responses({ 200: '{ items, nextCursor }' }),
});
const verify = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/audit/verify',
  summary: 'Check the hash chain: { ok, count, firstBadId? }',
  middleware: [requireRole('viewer')],
  responses: responses({ 200: '{ ok, count, firstBadId? }' }),
});
const exportRoute = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/audit/export',
  summary: 'Export events oldest first as NDJSON (default) or CSV',
  middleware: [requireRole('viewer')],
  request: { query: auditFilterSchema.extend({ format: z.enum(['ndjson', 'csv']).default('ndjson') }) },
  responses: responses({ 200: 'application/x-ndjson or text/csv' }),
});

function toFilter(query: z.infer<typeof auditFilterSchema>): AuditFilter {
  return {
    resourceType: query.resourceType,
    resourceKey: query.resource,
    environment: query.environment,
    actor: query.actor,
    action: query.action,
    since: query.since === undefined ? undefined : new Date(query.since).toISOString(),
    until: query.until === undefined ? undefined : new Date(query.until).toISOString(),
  };
}

/** `/api/v1/audit`: list, verify, export. */
export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(list, (c) => {
    const query = c.req.valid('query');
    try {
      return c.json(pageAuditEvents(deps.db, toFilter(query), query.limit, query.cursor), 200);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new ValidationError('Bad cursor', [
          { path: 'query.cursor', message: 'is not a cursor from this API' },
        ]);
      }
      throw error;
    }
  });

  app.openapi(verify, (c) => c.json(verifyAuditChain(deps.db), 200));

  app.openapi(exportRoute, (c) => {
    const query = c.req.valid('query');
    const events = iterateAuditEvents(deps.db, toFilter(query));
    function* lines(format: 'ndjson' | 'csv') {
      for (const event of events) yield format === 'csv' ? csvLine(event) : `${JSON.stringify(event)}\n`;
    }
    const csv = query.format === 'csv';
    const body = linesStream(csv ? `${CSV_COLUMNS.join(',')}\n` : '', lines(query.format));
    return c.body(body, 200, {
      'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      'content-disposition': `attachment; filename="ringflag-audit.${csv ? 'csv' : 'ndjson'}"`,
    });
  });
}
