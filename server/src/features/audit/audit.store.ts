import { and, asc, desc, eq, gt, gte, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import { execute, type Queryable, type Tables } from '../../db/client.js';
import { fitsInteger, MAX_INTEGER } from '../../db/portable.js';
import type { auditCheckpoints, auditEvents } from '../../db/schema.js';
import type { Actor, AuditEvent } from './audit-event.js';

type Row = typeof auditEvents.$inferSelect;

/** How many rows a walk over the chain reads per query. */
export const AUDIT_BATCH = 1000;

/** Filters of the audit list and export. */
export interface AuditFilter {
  resourceType?: string;
  resourceKey?: string;
  environment?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  /** Only events of these projects (by key); every event when absent. */
  projects?: string[];
}

/** The advisory lock key of the audit chain on PostgreSQL (any fixed 64-bit number unique to Ringflag). */
export const AUDIT_CHAIN_LOCK = 7_305_118_450_100_001;

/**
 * Makes the current transaction the only one that may append to or sign the chain until it ends. On
 * PostgreSQL an advisory transaction lock; on SQLite a no-op, as one transaction runs at a time.
 */
export async function lockAuditChain(tx: Queryable): Promise<void> {
  if (tx.dialect !== 'postgres') return;
  await execute(tx, sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK}::bigint)`);
}

/** The newest event's id and hash, to chain the next one. */
export async function lastAuditLink({ db, t }: Queryable): Promise<{ id: number; hash: string } | undefined> {
  const [row] = await db
    .select({ id: t.auditEvents.id, hash: t.auditEvents.hash })
    .from(t.auditEvents)
    .orderBy(desc(t.auditEvents.id))
    .limit(1);
  return row;
}

export async function insertAuditEvent({ db, t }: Queryable, event: AuditEvent): Promise<void> {
  await db.insert(t.auditEvents).values({
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
    project: event.project ?? null,
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
  if (row.project !== null) event.project = row.project;
  return event;
}

/**
 * Events of a project. Events written before projects existed carry none (their hash covers what they
 * had then) and are all the default project's: the ids below the `audit_project_since` setting, which
 * the upgrade to projects recorded.
 */
export function ofProject({ t }: Pick<Queryable, 't'>, key: string): SQL {
  const events = t.auditEvents;
  if (key !== 'default') return eq(events.project, key);
  const since = sql`(select cast(${t.settings.value} as integer) from ${t.settings} where ${t.settings.key} = 'audit_project_since')`;
  return or(eq(events.project, key), and(isNull(events.project), lt(events.id, since))) as SQL;
}

function conditions(t: Tables, filter: AuditFilter, beforeId?: number): SQL | undefined {
  const events = t.auditEvents;
  const parts: (SQL | undefined)[] = [
    filter.resourceType === undefined ? undefined : eq(events.resourceType, filter.resourceType),
    filter.resourceKey === undefined ? undefined : eq(events.resourceKey, filter.resourceKey),
    filter.environment === undefined ? undefined : eq(events.resourceEnvironment, filter.environment),
    filter.actor === undefined ? undefined : eq(events.actorId, filter.actor),
    filter.action === undefined ? undefined : eq(events.action, filter.action),
    filter.since === undefined ? undefined : gte(events.at, filter.since),
    filter.until === undefined ? undefined : lte(events.at, filter.until),
    beforeId === undefined || beforeId > MAX_INTEGER ? undefined : lt(events.id, beforeId),
    filter.projects === undefined
      ? undefined
      : filter.projects.length === 0
        ? sql`false`
        : or(...filter.projects.map((key) => ofProject({ t }, key))),
  ];
  return and(...parts);
}

/** One page of events, newest first, strictly older than `beforeId`. */
export async function listAuditEvents(
  { db, t }: Queryable,
  filter: AuditFilter,
  limit: number,
  beforeId?: number,
): Promise<AuditEvent[]> {
  const rows = await db
    .select()
    .from(t.auditEvents)
    .where(conditions(t, filter, beforeId))
    .orderBy(desc(t.auditEvents.id))
    .limit(limit);
  return rows.map(rowToEvent);
}

/**
 * Every event matching the filter after `startAfterId`, oldest first, read `batch` rows per query
 * (for exports and verification). Each batch is its own query, so a long walk holds no statement open.
 */
export async function* iterateAuditEvents(
  { db, t }: Queryable,
  filter: AuditFilter = {},
  batch = AUDIT_BATCH,
  startAfterId = 0,
): AsyncGenerator<AuditEvent> {
  let afterId = startAfterId;
  if (afterId >= MAX_INTEGER) return;
  for (;;) {
    const rows = await db
      .select()
      .from(t.auditEvents)
      .where(and(conditions(t, filter), gt(t.auditEvents.id, afterId)))
      .orderBy(asc(t.auditEvents.id))
      .limit(batch);
    for (const row of rows) yield rowToEvent(row);
    if (rows.length < batch) return;
    afterId = rows[rows.length - 1]!.id;
  }
}

/** The stored hash of event `id`, or `undefined` when there is no such event. */
export async function auditEventHash({ db, t }: Queryable, id: number): Promise<string | undefined> {
  if (!fitsInteger(id)) return undefined;
  const [row] = await db
    .select({ hash: t.auditEvents.hash })
    .from(t.auditEvents)
    .where(eq(t.auditEvents.id, id))
    .limit(1);
  return row?.hash;
}

/** A signed checkpoint of the chain's head, as stored. */
export type AuditCheckpoint = typeof auditCheckpoints.$inferSelect;

export async function insertAuditCheckpoint(
  { db, t }: Queryable,
  checkpoint: Omit<AuditCheckpoint, 'id'>,
): Promise<AuditCheckpoint> {
  const [row] = await db.insert(t.auditCheckpoints).values(checkpoint).returning();
  return row!;
}

/** The newest checkpoint. */
export async function lastAuditCheckpoint({ db, t }: Queryable): Promise<AuditCheckpoint | undefined> {
  const [row] = await db.select().from(t.auditCheckpoints).orderBy(desc(t.auditCheckpoints.id)).limit(1);
  return row;
}

/** Every checkpoint, oldest first, read `batch` rows per query. */
export async function* iterateAuditCheckpoints(
  { db, t }: Queryable,
  batch = AUDIT_BATCH,
): AsyncGenerator<AuditCheckpoint> {
  let afterId = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(t.auditCheckpoints)
      .where(gt(t.auditCheckpoints.id, afterId))
      .orderBy(asc(t.auditCheckpoints.id))
      .limit(batch);
    yield* rows;
    if (rows.length < batch) return;
    afterId = rows[rows.length - 1]!.id;
  }
}
