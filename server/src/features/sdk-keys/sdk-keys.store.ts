import { and, asc, eq } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { fitsInteger } from '../../db/portable.js';
import type { sdkKeys } from '../../db/schema.js';

/** An SDK key row (the key itself is never stored, only its hash). */
export type SdkKeyRow = typeof sdkKeys.$inferSelect;

/** What authenticating an SDK key needs: the key's row fields and its environment's key. */
export interface SdkKeyLookupRow {
  id: number;
  type: 'server' | 'client';
  environmentId: number;
  keyHash: string;
  revokedAt: string | null;
  environment: string;
}

/** The key stored under this sha256 (hex), revoked or not, with its environment's key. */
export async function findSdkKeyByHash(
  { db, t }: Queryable,
  hash: string,
): Promise<SdkKeyLookupRow | undefined> {
  const [row] = await db
    .select({
      id: t.sdkKeys.id,
      type: t.sdkKeys.type,
      environmentId: t.sdkKeys.environmentId,
      keyHash: t.sdkKeys.keyHash,
      revokedAt: t.sdkKeys.revokedAt,
      environment: t.environments.key,
    })
    .from(t.sdkKeys)
    .innerJoin(t.environments, eq(t.environments.id, t.sdkKeys.environmentId))
    .where(eq(t.sdkKeys.keyHash, hash))
    .limit(1);
  return row;
}

/** An environment's keys, revoked ones included, oldest first. */
export async function listSdkKeys({ db, t }: Queryable, environmentId: number): Promise<SdkKeyRow[]> {
  return db
    .select()
    .from(t.sdkKeys)
    .where(eq(t.sdkKeys.environmentId, environmentId))
    .orderBy(asc(t.sdkKeys.id));
}

/** The key with this id, if it belongs to this environment. */
export async function findSdkKeyIn(
  { db, t }: Queryable,
  environmentId: number,
  id: number,
): Promise<SdkKeyRow | undefined> {
  if (!fitsInteger(id)) return undefined;
  const [row] = await db
    .select()
    .from(t.sdkKeys)
    .where(and(eq(t.sdkKeys.id, id), eq(t.sdkKeys.environmentId, environmentId)))
    .limit(1);
  return row;
}

export async function insertSdkKey(
  { db, t }: Queryable,
  values: typeof sdkKeys.$inferInsert,
): Promise<SdkKeyRow> {
  const [row] = await db.insert(t.sdkKeys).values(values).returning();
  return row!;
}

/** Marks a key revoked at `at` and returns the row after. */
export async function markSdkKeyRevoked({ db, t }: Queryable, id: number, at: string): Promise<SdkKeyRow> {
  const [row] = await db.update(t.sdkKeys).set({ revokedAt: at }).where(eq(t.sdkKeys.id, id)).returning();
  if (!row) throw new Error(`SDK key ${id} vanished inside a write`);
  return row;
}
