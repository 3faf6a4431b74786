import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import { apiTokens, sessions, users } from '../../db/schema.js';

export function findUserByEmail(db: Queryable, email: string) {
  return db.select().from(users).where(eq(users.email, email)).get();
}

export function findUserById(db: Queryable, id: number) {
  return prepared(db, 'findUserById', () =>
    db
      .select()
      .from(users)
      .where(eq(users.id, sql.placeholder('id')))
      .prepare(),
  ).get({ id });
}

export function insertSession(db: Queryable, values: typeof sessions.$inferInsert): void {
  db.insert(sessions).values(values).run();
}

export function findActiveSession(db: Queryable, id: string) {
  return prepared(db, 'findActiveSession', () =>
    db
      .select()
      .from(sessions)
      .where(and(eq(sessions.id, sql.placeholder('id')), isNull(sessions.revokedAt)))
      .prepare(),
  ).get({ id });
}

export function revokeSession(db: Queryable, id: string, at: string): void {
  db.update(sessions).set({ revokedAt: at }).where(eq(sessions.id, id)).run();
}

export function revokeUserSessions(db: Queryable, userId: number, at: string): void {
  db.update(sessions)
    .set({ revokedAt: at })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .run();
}

export function findApiTokenByHash(db: Queryable, tokenHash: string) {
  return prepared(db, 'findApiTokenByHash', () =>
    db
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.tokenHash, sql.placeholder('tokenHash')))
      .prepare(),
  ).get({ tokenHash });
}

/**
 * The user who created an API token: the person behind it (a token made by a token is recorded
 * under the user behind that one). Null for an unknown token or one that predates creators.
 */
export function findTokenCreator(db: Queryable, tokenId: number): number | null {
  return (
    db.select({ createdBy: apiTokens.createdBy }).from(apiTokens).where(eq(apiTokens.id, tokenId)).get()
      ?.createdBy ?? null
  );
}
