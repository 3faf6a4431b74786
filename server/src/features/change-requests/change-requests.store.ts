import { and, asc, desc, eq, inArray, lte, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { apiTokens, changeRequests, environments, flags } from '../../db/schema.js';
import type { ChangeRequestRecord, ChangeRequestRow, ChangeRequestState } from './change-request.js';

/** Filters of the change request list. */
export interface ChangeRequestFilter {
  states?: ChangeRequestState[];
  flag?: string;
  environment?: string;
}

function selectRecords(db: Queryable) {
  return db
    .select({ row: changeRequests, flag: flags.key, environment: environments.key })
    .from(changeRequests)
    .innerJoin(flags, eq(flags.id, changeRequests.flagId))
    .innerJoin(environments, eq(environments.id, changeRequests.environmentId));
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
    filter.flag === undefined ? undefined : eq(flags.key, filter.flag),
    filter.environment === undefined ? undefined : eq(environments.key, filter.environment),
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

/** The user who created an API token (null when a token predates owners or its creator is unknown). */
export function findTokenOwner(db: Queryable, tokenId: number): number | null {
  return (
    db.select({ createdBy: apiTokens.createdBy }).from(apiTokens).where(eq(apiTokens.id, tokenId)).get()
      ?.createdBy ?? null
  );
}
