import { and, asc, eq, gt, lt, lte, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { fitsInteger, MAX_INTEGER } from '../../db/portable.js';
import type { changeLog, EnvironmentRef, environments } from '../../db/schema.js';
import { environmentRef, projectInScope } from '../projects/project-scope.js';

/** An environment row. */
export type EnvironmentRow = typeof environments.$inferSelect;

/** The environments of a project (the one in scope unless named), in pipeline order. */
export async function listEnvironments(
  { db, t }: Queryable,
  projectId: number = projectInScope().id,
): Promise<EnvironmentRow[]> {
  return db
    .select()
    .from(t.environments)
    .where(eq(t.environments.projectId, projectId))
    .orderBy(asc(t.environments.sortOrder), asc(t.environments.id));
}

/** The environments of every project (allowed origins for browsers, which any project's key may use). */
export async function listAllEnvironments({ db, t }: Queryable): Promise<EnvironmentRow[]> {
  return db.select().from(t.environments).orderBy(asc(t.environments.id));
}

/** An environment of the project in scope, by key. */
export async function findEnvironment(
  { db, t }: Queryable,
  key: string,
): Promise<EnvironmentRow | undefined> {
  const [row] = await db
    .select()
    .from(t.environments)
    .where(and(eq(t.environments.projectId, projectInScope().id), eq(t.environments.key, key)))
    .limit(1);
  return row;
}

/** An environment of any project, by its ref. */
export async function findEnvironmentByRef(
  { db, t }: Queryable,
  ref: EnvironmentRef,
): Promise<EnvironmentRow | undefined> {
  const [row] = await db.select().from(t.environments).where(eq(t.environments.ref, ref)).limit(1);
  return row;
}

export async function findEnvironmentById(
  { db, t }: Queryable,
  id: number,
): Promise<EnvironmentRow | undefined> {
  if (!fitsInteger(id)) return undefined;
  const [row] = await db.select().from(t.environments).where(eq(t.environments.id, id)).limit(1);
  return row;
}

/** Inserts an environment into the project in scope. */
export async function insertEnvironment(
  { db, t }: Queryable,
  values: Omit<typeof environments.$inferInsert, 'projectId' | 'ref'>,
): Promise<EnvironmentRow> {
  const project = projectInScope();
  const [row] = await db
    .insert(t.environments)
    .values({ ...values, projectId: project.id, ref: environmentRef(project.key, values.key) })
    .returning();
  return row!;
}

export async function updateEnvironment(
  { db, t }: Queryable,
  id: number,
  values: Partial<typeof environments.$inferInsert>,
): Promise<EnvironmentRow> {
  const [row] = await db.update(t.environments).set(values).where(eq(t.environments.id, id)).returning();
  if (!row) throw new Error(`environment ${id} vanished inside a write`);
  return row;
}

/**
 * Increments an environment's revision and returns the new one. On PostgreSQL the update locks the
 * row until the write commits, so concurrent writes on any replica get consecutive revisions.
 */
export async function bumpRevision({ db, t }: Queryable, ref: EnvironmentRef): Promise<number> {
  const [row] = await db
    .update(t.environments)
    .set({ revision: sql`${t.environments.revision} + 1` })
    .where(eq(t.environments.ref, ref))
    .returning({ revision: t.environments.revision });
  if (!row) throw new Error(`environment ${ref} vanished inside a write`);
  return row.revision;
}

/** One change-log row: what changed in an environment's SDK payload at one revision. */
export type ChangeLogRow = typeof changeLog.$inferSelect;

/** Appends a revision's patch to the change log (inside the write that bumped the revision). */
export async function appendChange({ db, t }: Queryable, row: ChangeLogRow): Promise<void> {
  await db.insert(t.changeLog).values(row);
}

/**
 * The logged changes of an environment after `afterRevision`, up to `upToRevision` (any larger number,
 * such as `Number.MAX_SAFE_INTEGER`, for no bound), oldest first.
 */
export async function changesSince(
  { db, t }: Queryable,
  environment: EnvironmentRef,
  afterRevision: number,
  upToRevision: number,
  limit: number,
): Promise<ChangeLogRow[]> {
  if (afterRevision >= MAX_INTEGER) return [];
  return db
    .select()
    .from(t.changeLog)
    .where(
      and(
        eq(t.changeLog.environment, environment),
        gt(t.changeLog.revision, afterRevision),
        lte(t.changeLog.revision, Math.min(upToRevision, MAX_INTEGER)),
      ),
    )
    .orderBy(asc(t.changeLog.revision))
    .limit(limit);
}

/** The current revision of every environment of every project. */
export async function currentRevisions({
  db,
  t,
}: Queryable): Promise<{ ref: EnvironmentRef; revision: number }[]> {
  return db.select({ ref: t.environments.ref, revision: t.environments.revision }).from(t.environments);
}

/** Deletes change-log rows written before `before` (ISO 8601); returns how many. */
export async function pruneChangeLog({ db, t }: Queryable, before: string): Promise<number> {
  const deleted = await db
    .delete(t.changeLog)
    .where(lt(t.changeLog.createdAt, before))
    .returning({ revision: t.changeLog.revision });
  return deleted.length;
}
