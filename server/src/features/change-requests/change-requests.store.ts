import { and, asc, desc, eq, inArray, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { changeRequests, environments, flags, segments } from '../../db/schema.js';
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

function selectRecords(db: Queryable) {
  return db
    .select({ row: changeRequests, flag: flags.key, environment: environments.key, segment: segments.key })
    .from(changeRequests)
    .leftJoin(flags, eq(flags.id, changeRequests.flagId))
    .leftJoin(environments, eq(environments.id, changeRequests.environmentId))
    .leftJoin(segments, eq(segments.id, changeRequests.segmentId));
}

export function insertChangeRequest(
  db: Queryable,
  values: typeof changeRequests.$inferInsert,
): ChangeRequestRow {
  return db.insert(changeRequests).values(values).returning().get();
}

export function findChangeRequest(db: Queryable, id: number): ChangeRequestRecord | undefined {
  return selectRecords(db).where(eq(changeRequests.id, id)).get();
}

/** Change requests matching the filter, newest first. */
export function listChangeRequests(
  db: Queryable,
  filter: ChangeRequestFilter,
  limit: number,
): ChangeRequestRecord[] {
  const parts: (SQL | undefined)[] = [
    filter.states === undefined ? undefined : inArray(changeRequests.state, filter.states),
    filter.kinds === undefined ? undefined : inArray(changeRequests.kind, filter.kinds),
    filter.flag === undefined ? undefined : eq(flags.key, filter.flag),
    filter.segment === undefined ? undefined : eq(segments.key, filter.segment),
    filter.environment === undefined
      ? undefined
      : or(
          eq(environments.key, filter.environment),
          sql`exists (select 1 from json_each(${changeRequests.environments}) where value = ${filter.environment})`,
        ),
  ];
  return selectRecords(db)
    .where(and(...parts))
    .orderBy(desc(changeRequests.id))
    .limit(limit)
    .all();
}

export function updateChangeRequest(
  db: Queryable,
  id: number,
  values: Partial<typeof changeRequests.$inferInsert>,
): void {
  db.update(changeRequests).set(values).where(eq(changeRequests.id, id)).run();
}

/** Ids of an environment's `scheduled` requests that nobody reviewed (scheduled where no approval was needed). */
export function listUnreviewedScheduledIds(db: Queryable, environmentId: number): number[] {
  return db
    .select({ id: changeRequests.id })
    .from(changeRequests)
    .where(
      and(
        eq(changeRequests.environmentId, environmentId),
        eq(changeRequests.state, 'scheduled'),
        isNull(changeRequests.reviewer),
      ),
    )
    .orderBy(asc(changeRequests.id))
    .all()
    .map((r) => r.id);
}

/** Ids of `scheduled` requests whose time has come (`applyAt <= now`), oldest time first. */
export function listDueChangeRequestIds(db: Queryable, now: string): number[] {
  return db
    .select({ id: changeRequests.id })
    .from(changeRequests)
    .where(and(eq(changeRequests.state, 'scheduled'), lte(changeRequests.applyAt, now)))
    .orderBy(asc(changeRequests.applyAt), asc(changeRequests.id))
    .all()
    .map((r) => r.id);
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

/** Every open request (pending, or approved and waiting for its time), oldest first. */
export function listOpenChangeRequests(db: Queryable): OpenChangeRequest[] {
  return db
    .select({
      id: changeRequests.id,
      kind: changeRequests.kind,
      segmentId: changeRequests.segmentId,
      environmentId: changeRequests.environmentId,
      proposed: changeRequests.proposed,
    })
    .from(changeRequests)
    .where(inArray(changeRequests.state, ['pending', 'approved', 'scheduled']))
    .orderBy(asc(changeRequests.id))
    .all();
}
