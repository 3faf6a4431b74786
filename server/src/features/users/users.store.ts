import { and, asc, eq } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { fitsInteger } from '../../db/portable.js';
import type { users } from '../../db/schema.js';

/** A user row (with the password hash: never shown by the API). */
export type UserRow = typeof users.$inferSelect;

/** Every user, oldest first. */
export async function listUsers({ db, t }: Queryable): Promise<UserRow[]> {
  return db.select().from(t.users).orderBy(asc(t.users.id));
}

/** The user with this (already lower-cased) email. */
export async function findUserByEmail({ db, t }: Queryable, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(t.users).where(eq(t.users.email, email)).limit(1);
  return row;
}

/** The user who signs in through single sign-on as `subject` of `issuer`. */
export async function findUserBySso(
  { db, t }: Queryable,
  issuer: string,
  subject: string,
): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(t.users)
    .where(and(eq(t.users.ssoIssuer, issuer), eq(t.users.ssoSubject, subject)))
    .limit(1);
  return row;
}

/** The user with this id. */
export async function findUserById({ db, t }: Queryable, id: number): Promise<UserRow | undefined> {
  if (!fitsInteger(id)) return undefined;
  const [row] = await db.select().from(t.users).where(eq(t.users.id, id)).limit(1);
  return row;
}

export async function insertUser({ db, t }: Queryable, values: typeof users.$inferInsert): Promise<UserRow> {
  const [row] = await db.insert(t.users).values(values).returning();
  return row!;
}

/** Changes a user (undefined fields are left alone) and returns the row after. */
export async function updateUser(
  { db, t }: Queryable,
  id: number,
  values: Partial<typeof users.$inferInsert>,
): Promise<UserRow> {
  const [row] = await db.update(t.users).set(values).where(eq(t.users.id, id)).returning();
  if (!row) throw new Error(`user ${id} vanished inside a write`);
  return row;
}

/** How many enabled organisation admins there are. */
export async function countActiveAdmins({ db, t }: Queryable): Promise<number> {
  const rows = await db
    .select({ id: t.users.id })
    .from(t.users)
    .where(and(eq(t.users.orgAdmin, true), eq(t.users.disabled, false)));
  return rows.length;
}
