import { and, eq, isNull, ne } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { sessions, users } from '../../db/schema.js';

/** A login session row. */
export type SessionRow = typeof sessions.$inferSelect;

export async function insertSession(
  { db, t }: Queryable,
  values: typeof sessions.$inferInsert,
): Promise<void> {
  await db.insert(t.sessions).values(values);
}

export async function revokeSession({ db, t }: Queryable, id: string, at: string): Promise<void> {
  await db.update(t.sessions).set({ revokedAt: at }).where(eq(t.sessions.id, id));
}

/**
 * Revokes every live session of a user (disabling them, or a new password), but the session `except`
 * when given (the one that changed its own password).
 */
export async function revokeUserSessions(
  { db, t }: Queryable,
  userId: number,
  at: string,
  except?: string,
): Promise<void> {
  await db
    .update(t.sessions)
    .set({ revokedAt: at })
    .where(
      and(
        eq(t.sessions.userId, userId),
        isNull(t.sessions.revokedAt),
        except === undefined ? undefined : ne(t.sessions.id, except),
      ),
    );
}

/** A live session with its user, read in one query. */
export interface SessionWithUser {
  session: SessionRow;
  user: typeof users.$inferSelect;
}

/**
 * The session with this id and its user, unless the session was revoked (expiry and whether the
 * user is disabled are the caller's to check). One round trip: every authenticated request asks it.
 */
export async function findActiveSessionWithUser(
  { db, t }: Queryable,
  id: string,
): Promise<SessionWithUser | undefined> {
  const [row] = await db
    .select({ session: t.sessions, user: t.users })
    .from(t.sessions)
    .innerJoin(t.users, eq(t.users.id, t.sessions.userId))
    .where(and(eq(t.sessions.id, id), isNull(t.sessions.revokedAt)))
    .limit(1);
  return row;
}
