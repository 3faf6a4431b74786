import { and, desc, eq, gte, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import { auditCheckpoints, auditEvents } from '../../db/schema.js';
import type { Actor, AuditEvent } from './audit-event.js';

type Row = typeof auditEvents.$inferSelect;

/** Filters of the audit list and export. */
export interface AuditFilter {
  resourceType?: string;
  resourceKey?: string;
  environment?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
}

/** The newest event's id and hash, to chain the next one. */
export function lastAuditLink(db: Queryable): { id: number; hash: string } | undefined {
  return prepared(db, 'lastAuditLink', () =>
    db
      .select({ id: auditEvents.id, hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.id))
      .limit(1)
      .prepare(),
  ).get();
}

export function insertAuditEvent(db: Queryable, event: AuditEvent): void {
  const insert = prepared(db, 'insertAuditEvent', () =>
    db
      .insert(auditEvents)
      .values({
        id: sql.placeholder('id'),
        at: sql.placeholder('at'),
        actorType: sql.placeholder('actorType'),
        actorId: sql.placeholder('actorId'),
        actorName: sql.placeholder('actorName'),
        action: sql.placeholder('action'),
        resourceType: sql.placeholder('resourceType'),
        resourceKey: sql.placeholder('resourceKey'),
        resourceEnvironment: sql.placeholder('resourceEnvironment'),
        before: sql.placeholder('before'),
        after: sql.placeholder('after'),
        comment: sql.placeholder('comment'),
        changeRequestId: sql.placeholder('changeRequestId'),
        onBehalfOf: sql.placeholder('onBehalfOf'),
        prevHash: sql.placeholder('prevHash'),
        hash: sql.placeholder('hash'),
      })
      .prepare(),
  );
  insert.run({
    id: event.id,
    at: event.at,
    actorType: event.actor.type,
    actorId: event.actor.id,
    actorName: event.actor.name,
    action: event.action,
    resourceType: event.resource.type,
    resourceKey: event.resource.key,
    resourceEnvironment: event.resource.environment ?? null,
    before: event.before === null ? null : JSON.stringify(event.before),
    after: event.after === null ? null : JSON.stringify(event.after),
    comment: event.comment ?? null,
    changeRequestId: event.changeRequestId ?? null,
    onBehalfOf: event.onBehalfOf === undefined ? null : JSON.stringify(event.onBehalfOf),
    prevHash: event.prevHash,
    hash: event.hash,
  });
}

/** Rebuilds the event exactly as it was hashed. */
export function rowToEvent(row: Row): AuditEvent {
  const event: AuditEvent = {
    id: row.id,
    at: row.at,
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    action: row.action,
    resource: { type: row.resourceType, key: row.resourceKey },
    before: row.before === null ? null : (JSON.parse(row.before) as unknown),
    after: row.after === null ? null : (JSON.parse(row.after) as unknown),
    prevHash: row.prevHash,
    hash: row.hash,
  };
  if (row.resourceEnvironment !== null) event.resource.environment = row.resourceEnvironment;
  if (row.comment !== null) event.comment = row.comment;
  if (row.changeRequestId !== null) event.changeRequestId = row.changeRequestId;
  if (row.onBehalfOf !== null) event.onBehalfOf = JSON.parse(row.onBehalfOf) as Actor;
  return event;
}

function conditions(filter: AuditFilter, beforeId?: number): SQL | undefined {
  const parts: (SQL | undefined)[] = [
    filter.resourceType === undefined ? undefined : eq(auditEvents.resourceType, filter.resourceType),
    filter.resourceKey === undefined ? undefined : eq(auditEvents.resourceKey, filter.resourceKey),
    filter.environment === undefined ? undefined : eq(auditEvents.resourceEnvironment, filter.environment),
    filter.actor === undefined ? undefined : eq(auditEvents.actorId, filter.actor),
    filter.action === undefined ? undefined : eq(auditEvents.action, filter.action),
    filter.since === undefined ? undefined : gte(auditEvents.at, filter.since),
    filter.until === undefined ? undefined : lte(auditEvents.at, filter.until),
    beforeId === undefined ? undefined : lt(auditEvents.id, beforeId),
  ];
  return and(...parts);
}

/** One page of events, newest first, strictly older than `beforeId`. */
export function listAuditEvents(
  db: Queryable,
  filter: AuditFilter,
  limit: number,
  beforeId?: number,
): AuditEvent[] {
  return db
    .select()
    .from(auditEvents)
    .where(conditions(filter, beforeId))
    .orderBy(desc(auditEvents.id))
    .limit(limit)
    .all()
    .map(rowToEvent);
}

/** Every event matching the filter, oldest first, in bounded batches (for exports and verification). */
export function* iterateAuditEvents(
  db: Queryable,
  filter: AuditFilter = {},
  batch = 1000,
  startAfterId = 0,
): Generator<AuditEvent> {
  let afterId = startAfterId;
  for (;;) {
    const rows = db
      .select()
      .from(auditEvents)
      .where(and(conditions(filter), gte(auditEvents.id, afterId + 1)))
      .orderBy(auditEvents.id)
      .limit(batch)
      .all();
    for (const row of rows) yield rowToEvent(row);
    if (rows.length < batch) return;
    afterId = rows[rows.length - 1]!.id;
  }
}

/** The stored hash of event `id`, or `undefined` when there is no such event. */
export function auditEventHash(db: Queryable, id: number): string | undefined {
  return prepared(db, 'auditEventHash', () =>
    db
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .where(eq(auditEvents.id, sql.placeholder('id')))
      .prepare(),
  ).get({ id })?.hash;
}

/** A signed checkpoint of the chain's head, as stored. */
export type AuditCheckpoint = typeof auditCheckpoints.$inferSelect;

export function insertAuditCheckpoint(
  db: Queryable,
  checkpoint: Omit<AuditCheckpoint, 'id'>,
): AuditCheckpoint {
  return db.insert(auditCheckpoints).values(checkpoint).returning().get();
}

/** The newest checkpoint. */
export function lastAuditCheckpoint(db: Queryable): AuditCheckpoint | undefined {
  return db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1).get();
}

/** Every checkpoint, oldest first, in bounded batches. */
export function* iterateAuditCheckpoints(db: Queryable, batch = 1000): Generator<AuditCheckpoint> {
  let afterId = 0;
  for (;;) {
    const rows = db
      .select()
      .from(auditCheckpoints)
      .where(gte(auditCheckpoints.id, afterId + 1))
      .orderBy(auditCheckpoints.id)
      .limit(batch)
      .all();
    yield* rows;
    if (rows.length < batch) return;
    afterId = rows[rows.length - 1]!.id;
  }
}
