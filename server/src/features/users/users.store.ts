import { and, asc, eq } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { users } from '../../db/schema.js';

export type UserRow = typeof users.$inferSelect;

export function listUsers(db: Queryable): UserRow[] {
  return db.select().from(users).orderBy(asc(users.id)).all();
}

export function insertUser(db: Queryable, values: typeof users.$inferInsert): UserRow {
  return db.insert(users).values(values).returning().get();
}

export function updateUser(db: Queryable, id: number, values: Partial<typeof users.$inferInsert>): UserRow {
  return db.update(users).set(values).where(eq(users.id, id)).returning().get();
}

export function countActiveAdmins(db: Queryable): number {
  return db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), eq(users.disabled, false)))
    .all().length;
}

export { findUserByEmail, findUserById } from '../auth/auth.store.js';
