import { eq } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';

/** The value of a setting, if it is set. */
export async function findSetting({ db, t }: Queryable, key: string): Promise<string | undefined> {
  const [row] = await db.select().from(t.settings).where(eq(t.settings.key, key)).limit(1);
  return row?.value;
}

/** Sets a setting unless it is set already (the first value stays). */
export async function insertSettingIfAbsent({ db, t }: Queryable, key: string, value: string): Promise<void> {
  await db.insert(t.settings).values({ key, value }).onConflictDoNothing();
}
