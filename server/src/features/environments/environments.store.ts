import { asc, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import { environments } from '../../db/schema.js';

/** An environment row. */
export type EnvironmentRow = typeof environments.$inferSelect;

export function listEnvironments(db: Queryable): EnvironmentRow[] {
  return db.select().from(environments).orderBy(asc(environments.sortOrder), asc(environments.id)).all();
}

export function findEnvironment(db: Queryable, key: string): EnvironmentRow | undefined {
  return prepared(db, 'findEnvironment', () =>
    db
      .select()
      .from(environments)
      .where(eq(environments.key, sql.placeholder('key')))
      .prepare(),
  ).get({ key });
}

export function findEnvironmentById(db: Queryable, id: number): EnvironmentRow | undefined {
  return prepared(db, 'findEnvironmentById', () =>
    db
      .select()
      .from(environments)
      .where(eq(environments.id, sql.placeholder('id')))
      .prepare(),
  ).get({ id });
}

export function insertEnvironment(db: Queryable, values: typeof environments.$inferInsert): EnvironmentRow {
  return db.insert(environments).values(values).returning().get();
}

export function updateEnvironment(
  db: Queryable,
  id: number,
  values: Partial<typeof environments.$inferInsert>,
): EnvironmentRow {
  return db.update(environments).set(values).where(eq(environments.id, id)).returning().get();
}

/** Increments an environment's revision and returns the new one. */
export function bumpRevision(db: Queryable, key: string): number {
  const row = prepared(db, 'bumpRevision', () =>
    db
      .update(environments)
      .set({ revision: sql`${environments.revision} + 1` })
      .where(eq(environments.key, sql.placeholder('key')))
      .returning({ revision: environments.revision })
      .prepare(),
  ).get({ key });
  if (!row) throw new Error(`environment ${key} vanished inside a write`);
  return row.revision;
}
