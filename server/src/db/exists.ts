import { existsSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { execute, openDatabase } from './client.js';
import type { DatabaseLocation } from './location.js';
import { reachDatabase } from './unavailable.js';

/**
 * Whether a Ringflag database is at a location, without creating anything: a SQLite file that
 * exists, or a PostgreSQL database whose migration journal (drizzle's `__drizzle_migrations`) exists.
 * Throws, naming the location without its password, when PostgreSQL cannot be reached.
 *
 * @example
 * if (!(await databaseExists(parseDatabaseLocation('./data/ringflag.db')))) console.log('no database yet');
 */
export async function databaseExists(location: DatabaseLocation): Promise<boolean> {
  if (location.dialect === 'sqlite') return location.file !== ':memory:' && existsSync(location.file);
  const database = await openDatabase(location);
  try {
    await reachDatabase(database, location);
    const rows = await execute<{ journal: string | null }>(
      database,
      sql`select to_regclass('drizzle.__drizzle_migrations')::text as journal`,
    );
    return rows[0]?.journal != null;
  } finally {
    await database.close();
  }
}
