import { createHash } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { timestampSchema } from '../../http/openapi-app.js';
import { canonicalJson } from './canonical-json.js';

/** Who made a change. */
export const actorSchema = z
  .object({
    type: z.enum(['user', 'token', 'system']),
    id: z.string(),
    name: z.string(),
  })
  .openapi('Actor');
export type Actor = z.infer<typeof actorSchema>;

/** What a change touched. */
export const auditResourceSchema = z
  .object({
    type: z.string(),
    key: z.string(),
    environment: z.string().optional(),
  })
  .openapi('AuditResource');
export type AuditResource = z.infer<typeof auditResourceSchema>;

/** One audit event as the API shows it and as it is hashed (DESIGN §5). */
export const auditEventSchema = z
  .object({
    id: z.number().int(),
    at: timestampSchema,
    actor: actorSchema,
    action: z.string(),
    resource: auditResourceSchema,
    before: z.unknown(),
    after: z.unknown(),
    comment: z.string().optional(),
    changeRequestId: z.string().optional(),
    /** Set when the system acted for someone: the author of a scheduled change. */
    onBehalfOf: actorSchema.optional(),
    /** The key of the project the event happened in; absent for organisation events (users, projects). */
    project: z.string().optional(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEvent');
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** The `prevHash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The system itself, as an actor (seeding, automatic rollbacks). */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'system', name: 'ringflag' };

/**
 * `sha256(prevHash + "\n" + canonicalJson(event without hash))`, hex.
 *
 * @example
 * const hash = hashEvent({ ...event, prevHash: previous.hash });
 */
export function hashEvent(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = event;
  return createHash('sha256')
    .update(`${event.prevHash}\n${canonicalJson(rest)}`)
    .digest('hex');
}
