import { and, asc, desc, eq, inArray, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { fitsInteger } from '../../db/portable.js';
import type { changeRequests } from '../../db/schema.js';
import { ofProject } from '../audit/audit.store.js';
import { type ProjectScope, projectInScope } from '../projects/project-scope.js';
import type {
  ChangeRequestKind,
  ChangeRequestRecord,
  ChangeRequestRow,
  ChangeRequestState,
} from './change-request.js';

/** Filters of the change request list. */
export interface ChangeRequestFilter {
  states?: ChangeRequestState[];
  kinds?: ChangeRequestKind[];
  flag?: string;
  segment?: string;
  /** Requests in this environment, and global requests gated by it. */
  environment?: string;
}

function selectRecords({ db, t }: Queryable) {
  return db
    .select({
      row: t.changeRequests,
      flag: t.flags.key,
      environment: t.environments.key,
      segment: t.segments.key,
    })
    .from(t.changeRequests)
    .leftJoin(t.flags, eq(t.flags.id, t.changeRequests.flagId))
    .leftJoin(t.environments, eq(t.environments.id, t.changeRequests.environmentId))
    .leftJoin(t.segments, eq(t.segments.id, t.changeRequests.segmentId));
}

/** Inserts a request into the project in scope. */
export async function insertChangeRequest(
  { db, t }: Queryable,
  values: Omit<typeof changeRequests.$inferInsert, 'projectId'>,
): Promise<ChangeRequestRow> {
  const [row] = await db
    .insert(t.changeRequests)
    .values({ ...values, projectId: projectInScope().id })
    .returning();
  return row!;
}

/** A request of the project in scope. */
export async function findChangeRequest(q: Queryable, id: number): Promise<ChangeRequestRecord | undefined> {
  if (!fitsInteger(id)) return undefined;
  const { t } = q;
  const [record] = await selectRecords(q)
    .where(and(eq(t.changeRequests.projectId, projectInScope().id), eq(t.changeRequests.id, id)))
    .limit(1);
  return record;
}

/** The `pending` config and toggle requests on one flag in one environment, oldest first. */
export async function listPendingConfigRequests(
  q: Queryable,
  flagId: number,
  environmentId: number,
): Promise<ChangeRequestRecord[]> {
  const { t } = q;
  return selectRecords(q)
    .where(
      and(
        eq(t.changeRequests.flagId, flagId),
        eq(t.changeRequests.environmentId, environmentId),
        eq(t.changeRequests.state, 'pending'),
        inArray(t.changeRequests.kind, ['config', 'toggle']),
      ),
    )
    .orderBy(asc(t.changeRequests.id));
}

/**
 * The `before` of a flag change request's `change_request.create` audit event (the config it was
 * proposed against), or undefined when there is none.
 */
export async function findCreationBefore(q: Queryable, id: number, flagKey: string): Promise<unknown> {
  const { db, t } = q;
  const [event] = await db
    .select({ before: t.auditEvents.before })
    .from(t.auditEvents)
    .where(
      and(
        eq(t.auditEvents.resourceType, 'flag'),
        eq(t.auditEvents.resourceKey, flagKey),
        ofProject(q, projectInScope().key),
        eq(t.auditEvents.action, 'change_request.create'),
        eq(t.auditEvents.changeRequestId, String(id)),
      ),
    )
    .orderBy(asc(t.auditEvents.id))
    .limit(1);
  return event?.before == null ? undefined : (JSON.parse(event.before) as unknown);
}

/** Whether a request's `environments` (a JSON array of keys) lists `environment`. */
function gatedBy({ t, dialect }: Queryable, environment: string): SQL {
  return dialect === 'postgres'
    ? sql`exists (select 1 from json_array_elements_text(${t.changeRequests.environments}) as gate(value) where gate.value = ${environment})`
    : sql`exists (select 1 from json_each(${t.changeRequests.environments}) where value = ${environment})`;
}

/** Change requests of the project in scope matching the filter, newest first. */
export async function listChangeRequests(
  q: Queryable,
  filter: ChangeRequestFilter,
  limit: number,
): Promise<ChangeRequestRecord[]> {
  const { t } = q;
  const parts: (SQL | undefined)[] = [
    eq(t.changeRequests.projectId, projectInScope().id),
    filter.states === undefined ? undefined : inArray(t.changeRequests.state, filter.states),
    filter.kinds === undefined ? undefined : inArray(t.changeRequests.kind, filter.kinds),
    filter.flag === undefined ? undefined : eq(t.flags.key, filter.flag),
    filter.segment === undefined ? undefined : eq(t.segments.key, filter.segment),
    filter.environment === undefined
      ? undefined
      : or(eq(t.environments.key, filter.environment), gatedBy(q, filter.environment)),
  ];
  return selectRecords(q)
    .where(and(...parts))
    .orderBy(desc(t.changeRequests.id))
    .limit(limit);
}

/**
 * Updates a request only if it is still in state `from` — and, when `revision` is given, still at
 * that revision (a compare-and-set): returns the updated row, or undefined when another write moved
 * it first. On PostgreSQL the update waits for a concurrent one on the same row and then re-checks
 * the state and revision, so a request moves out of a state once, whichever replica tries, and is
 * never changed after it left `pending`.
 */
export async function updateChangeRequestFrom(
  { db, t }: Queryable,
  id: number,
  from: ChangeRequestState,
  values: Partial<typeof changeRequests.$inferInsert>,
  revision?: number,
): Promise<ChangeRequestRow | undefined> {
  const [row] = await db
    .update(t.changeRequests)
    .set(values)
    .where(
      and(
        eq(t.changeRequests.id, id),
        eq(t.changeRequests.state, from),
        revision === undefined ? undefined : eq(t.changeRequests.revision, revision),
      ),
    )
    .returning();
  return row;
}

/** Ids of an environment's `scheduled` requests that nobody reviewed (scheduled where no approval was needed). */
export async function listUnreviewedScheduledIds(
  { db, t }: Queryable,
  environmentId: number,
): Promise<number[]> {
  const rows = await db
    .select({ id: t.changeRequests.id })
    .from(t.changeRequests)
    .where(
      and(
        eq(t.changeRequests.environmentId, environmentId),
        eq(t.changeRequests.state, 'scheduled'),
        isNull(t.changeRequests.reviewer),
      ),
    )
    .orderBy(asc(t.changeRequests.id));
  return rows.map((r) => r.id);
}

/**
 * `scheduled` requests of every project whose time has come (`applyAt <= now`), oldest time first,
 * with the project each is applied in.
 */
export async function listDueChangeRequests(
  { db, t }: Queryable,
  now: string,
): Promise<{ id: number; project: ProjectScope }[]> {
  return db
    .select({ id: t.changeRequests.id, project: { id: t.projects.id, key: t.projects.key } })
    .from(t.changeRequests)
    .innerJoin(t.projects, eq(t.projects.id, t.changeRequests.projectId))
    .where(and(eq(t.changeRequests.state, 'scheduled'), lte(t.changeRequests.applyAt, now)))
    .orderBy(asc(t.changeRequests.applyAt), asc(t.changeRequests.id));
}

/** A request still open (pending, approved or scheduled): one that may yet apply. */
export interface OpenChangeRequest {
  id: number;
  kind: ChangeRequestKind;
  segmentId: number | null;
  /** The environment of a config or toggle request. */
  environmentId: number | null;
  proposed: unknown;
}

/** Every open request of the project in scope (pending, or approved and waiting for its time), oldest first. */
export async function listOpenChangeRequests({ db, t }: Queryable): Promise<OpenChangeRequest[]> {
  return db
    .select({
      id: t.changeRequests.id,
      kind: t.changeRequests.kind,
      segmentId: t.changeRequests.segmentId,
      environmentId: t.changeRequests.environmentId,
      proposed: t.changeRequests.proposed,
    })
    .from(t.changeRequests)
    .where(
      and(
        eq(t.changeRequests.projectId, projectInScope().id),
        inArray(t.changeRequests.state, ['pending', 'approved', 'scheduled']),
      ),
    )
    .orderBy(asc(t.changeRequests.id));
}
