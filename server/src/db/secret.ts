import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from './client.js';

const SECRET_SETTING = 'jwt_secret';

/**
 * The JWT signing secret: the configured one, else the one generated on first start and kept in the
 * database, shared by every replica (so a session from one works on all, and survives restarts).
 *
 * @example
 * const secret = await resolveSecret(database, process.env.RINGFLAG_SECRET);
 */
export async function resolveSecret(database: Database, configured: string | undefined): Promise<Uint8Array> {
  if (configured !== undefined) return new TextEncoder().encode(configured);
  const { db, t } = database;
  const read = async () => {
    const [row] = await db.select().from(t.settings).where(eq(t.settings.key, SECRET_SETTING)).limit(1);
    return row;
  };
  const stored = await read();
  if (stored) return Buffer.from(stored.value, 'base64url');
  const generated = randomBytes(48).toString('base64url');
  await database.transaction(async (tx) => {
    await tx.db.insert(tx.t.settings).values({ key: SECRET_SETTING, value: generated }).onConflictDoNothing();
  });
  // Another replica may have won the race; use what is stored.
  return Buffer.from((await read())?.value ?? generated, 'base64url');
}
