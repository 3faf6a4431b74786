import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import { ADMIN_SECURITY, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { namesProject } from '../projects/project-path.js';
import { projectKeySchema } from '../projects/projects.routes.js';
import {
  type AuditService,
  auditPageSchema,
  auditPublicKeySchema,
  signedAuditHeadSchema,
} from './audit.service.js';
import type { AuditFilter } from './audit.store.js';
import type { AuditEvent } from './audit-event.js';
import { CSV_COLUMNS, csvLine, linesStream } from './audit-export.js';
import { verifyResultSchema } from './audit-verify.js';

const isoTime = z.iso.datetime({ offset: true });

export const auditFilterSchema = z.object({
  resourceType: z.string().max(64).optional(),
  resource: z.string().max(256).optional(),
  environment: z.string().max(64).optional(),
  actor: z.string().max(256).optional(),
  action: z.string().max(128).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  /**
   * Org admins, at `/api/v1/audit`: one project's events (its key), or every event (`*`, the
   * default for them, organisation events included). Everyone else sees the project of the URL.
   */
  project: z.union([z.literal('*'), projectKeySchema]).optional(),
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
  responses: responses({ 200: { description: 'A page of events', schema: auditPageSchema } }),
});
const verify = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/audit/verify',
  summary:
    'Check the hash chain, every signed checkpoint and optionally a head remembered outside (`head=<eventId>:<hash>`): ' +
    '{ ok, count, firstBadId?, checkpoints, firstBadCheckpointId?, signedThrough, keyId, reason? }',
  middleware: [requireRole('viewer')],
  request: {
    query: z.object({
      head: z
        .string()
        .regex(
          /^[1-9]\d{0,15}:[0-9a-f]{64}$/,
          'must be <eventId>:<64 hex digits>, as GET /api/v1/audit/head gives',
        )
        .optional(),
    }),
  },
  responses: responses({
    200: { description: 'What was checked and what holds', schema: verifyResultSchema },
  }),
});
const head = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/audit/head',
  summary:
    'The head of the chain, signed (a new checkpoint when the head moved): { eventId, hash, at, signature, keyId, ' +
    'algorithm, publicKey, message }. Store it outside Ringflag; verify with `?head=<eventId>:<hash>` later',
  middleware: [requireRole('viewer')],
  responses: responses({
    200: { description: 'The signed head', schema: signedAuditHeadSchema },
    404: 'No events yet',
    409: 'The chain is broken: nothing signed',
  }),
});
const publicKey = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/audit/public-key',
  summary: 'The Ed25519 public key that signs audit checkpoints: { keyId, algorithm, publicKey (SPKI PEM) }',
  middleware: [requireRole('viewer')],
  responses: responses({ 200: { description: 'The public key', schema: auditPublicKeySchema } }),
});
const exportRoute = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/audit/export',
  summary: 'Export events oldest first as NDJSON (default) or CSV',
  middleware: [requireRole('viewer')],
  request: { query: auditFilterSchema.extend({ format: z.enum(['ndjson', 'csv']).default('ndjson') }) },
  responses: responses({
    200: {
      description: 'One event per line: JSON (NDJSON), or CSV after a header line',
      schema: z.string(),
      mediaType: ['application/x-ndjson', 'text/csv'],
    },
  }),
});

/**
 * Which projects' events a request may list: the project its URL names; at `/api/v1/audit`, for an
 * org admin, the `project` asked for or every event; for anyone else there, the default project's.
 */
function projectsOf(c: Context<AppEnv>, asked: string | undefined): string[] | undefined {
  const project = c.get('project');
  const principal = principalOf(c);
  if (namesProject(c.req.raw) || !principal.orgAdmin) {
    if (asked !== undefined && asked !== project?.key) {
      throw new ValidationError('The project is named by the URL', [
        { path: 'query.project', message: 'use /api/v1/projects/{project}/audit, or ask as an org admin' },
      ]);
    }
    return [project?.key ?? 'default'];
  }
  return asked === undefined || asked === '*' ? undefined : [asked];
}

function toFilter(c: Context<AppEnv>, query: z.infer<typeof auditFilterSchema>): AuditFilter {
  return {
    projects: projectsOf(c, query.project),
    resourceType: query.resourceType,
    resourceKey: query.resource,
    environment: query.environment,
    actor: query.actor,
    action: query.action,
    since: query.since === undefined ? undefined : new Date(query.since).toISOString(),
    until: query.until === undefined ? undefined : new Date(query.until).toISOString(),
  };
}

/** The export's lines, one per event. */
async function* exportLines(
  events: AsyncIterable<AuditEvent>,
  format: 'ndjson' | 'csv',
): AsyncGenerator<string> {
  for await (const event of events) yield format === 'csv' ? csvLine(event) : `${JSON.stringify(event)}\n`;
}

/** `/api/v1/audit`: list, verify, export, the signed head and the signing public key. */
export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, { audit }: { audit: AuditService }): void {
  app.openapi(list, async (c) => {
    const query = c.req.valid('query');
    try {
      return c.json(await audit.page(toFilter(c, query), query.limit, query.cursor), 200);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new ValidationError('Bad cursor', [
          { path: 'query.cursor', message: 'is not a cursor from this API' },
        ]);
      }
      throw error;
    }
  });

  app.openapi(verify, async (c) => {
    const remembered = c.req.valid('query').head?.split(':');
    const result = await audit.verify(remembered && { eventId: Number(remembered[0]), hash: remembered[1]! });
    return c.json(result, 200);
  });

  app.openapi(head, async (c) => {
    const outcome = await audit.signHead();
    if (outcome.kind === 'empty') throw new NotFoundError('The audit trail has no events yet');
    if (outcome.kind === 'broken') {
      throw new ConflictError(
        `The chain is broken at event #${outcome.firstBadId}: it no longer extends the last signed checkpoint, so it is not signed`,
      );
    }
    return c.json(outcome.head, 200);
  });

  app.openapi(publicKey, (c) => c.json(audit.publicKey(), 200));

  app.openapi(exportRoute, (c) => {
    const query = c.req.valid('query');
    const csv = query.format === 'csv';
    const lines = exportLines(audit.export(toFilter(c, query)), query.format);
    const body = linesStream(csv ? `${CSV_COLUMNS.join(',')}\n` : '', lines);
    return c.body(body, 200, {
      'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      'content-disposition': `attachment; filename="ringflag-audit.${csv ? 'csv' : 'ndjson'}"`,
    });
  });
}
