import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { fitsInteger } from '../../db/portable.js';
import type { apiTokens, users } from '../../db/schema.js';
import { projectInScope } from '../projects/project-scope.js';

/** An API token row (the secret itself is never stored, only its hash). */
export type ApiTokenRow = typeof apiTokens.$inferSelect;

/** Every API token of the project in scope, revoked ones included, oldest first. */
export async function listApiTokens({ db, t }: Queryable): Promise<ApiTokenRow[]> {
  return db
    .select()
    .from(t.apiTokens)
    .where(eq(t.apiTokens.projectId, projectInScope().id))
    .orderBy(asc(t.apiTokens.id));
}

/** A token of the project in scope. */
export async function findApiTokenById({ db, t }: Queryable, id: number): Promise<ApiTokenRow | undefined> {
  if (!fitsInteger(id)) return undefined;
  const [row] = await db
    .select()
    .from(t.apiTokens)
    .where(and(eq(t.apiTokens.projectId, projectInScope().id), eq(t.apiTokens.id, id)))
    .limit(1);
  return row;
}

/** A token with the user who created it (null for an unknown creator). */
export interface ApiTokenWithCreator {
  token: ApiTokenRow;
  creator: typeof users.$inferSelect | null;
}

/**
 * The token stored under this sha256 (hex), revoked or not, with its creator, in one round trip:
 * every request authenticated by an API token asks it.
 */
export async function findApiTokenWithCreator(
  { db, t }: Queryable,
  tokenHash: string,
): Promise<ApiTokenWithCreator | undefined> {
  const [row] = await db
    .select({ token: t.apiTokens, creator: t.users })
    .from(t.apiTokens)
    .leftJoin(t.users, eq(t.users.id, t.apiTokens.createdBy))
    .where(eq(t.apiTokens.tokenHash, tokenHash))
    .limit(1);
  return row;
}

/**
 * The user who created an API token: the person behind it (a token made by a token is recorded
 * under the user behind that one). Null for an unknown token or one that predates creators.
 */
export async function findTokenCreator({ db, t }: Queryable, tokenId: number): Promise<number | null> {
  if (!fitsInteger(tokenId)) return null;
  const [row] = await db
    .select({ createdBy: t.apiTokens.createdBy })
    .from(t.apiTokens)
    .where(eq(t.apiTokens.id, tokenId))
    .limit(1);
  return row?.createdBy ?? null;
}

/** The tokens a user created that are not revoked. */
export async function listLiveTokensOf({ db, t }: Queryable, userId: number): Promise<ApiTokenRow[]> {
  return db
    .select()
    .from(t.apiTokens)
    .where(and(eq(t.apiTokens.createdBy, userId), isNull(t.apiTokens.revokedAt)))
    .orderBy(asc(t.apiTokens.id));
}

/** Inserts a token into the project in scope. */
export async function insertApiToken(
  { db, t }: Queryable,
  values: Omit<typeof apiTokens.$inferInsert, 'projectId'>,
): Promise<ApiTokenRow> {
  const [row] = await db
    .insert(t.apiTokens)
    .values({ ...values, projectId: projectInScope().id })
    .returning();
  return row!;
}

/** Marks a token revoked at `at` and returns the row after. */
export async function markApiTokenRevoked(
  { db, t }: Queryable,
  id: number,
  at: string,
): Promise<ApiTokenRow> {
  const [row] = await db.update(t.apiTokens).set({ revokedAt: at }).where(eq(t.apiTokens.id, id)).returning();
  if (!row) throw new Error(`API token ${id} vanished inside a write`);
  return row;
}
