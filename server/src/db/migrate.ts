import { fileURLToPath } from 'node:url';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Database } from './client.js';

/** The generated SQL migrations of each dialect, at the repository root (committed beside the schemas). */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations/sqlite', import.meta.url));
export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations/postgres', import.meta.url));

/** The advisory lock replicas take to start one at a time (migrate, then seed). */
const STARTUP_LOCK = 7_305_118_450_100_002;

/**
 * Runs `start` (migrating and seeding) while no other replica does: on PostgreSQL under an advisory
 * lock held by a connection of its own, so three replicas starting together migrate once and seed
 * once; on SQLite there is one process per file.
 *
 * @example
 * await startupTurn(database, async () => { await migrateDatabase(database); await seed(); });
 */
export async function startupTurn<T>(database: Database, start: () => Promise<T>): Promise<T> {
  if (database.dialect !== 'postgres' || !database.pgConfig) return start();
  const client = new pg.Client(database.pgConfig);
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [STARTUP_LOCK]);
    return await start();
  } finally {
    await client.query('select pg_advisory_unlock($1::bigint)', [STARTUP_LOCK]).catch(() => {});
    await client.end().catch(() => {});
  }
}

/**
 * Applies pending migrations of the database's dialect; a no-op when it is current. On PostgreSQL,
 * call it inside {@link startupTurn}. `folder` replaces the dialect's migrations folder (tests that
 * build a database as an older release left it).
 *
 * @example
 * await migrateDatabase(database);
 */
export async function migrateDatabase(database: Database, folder?: string): Promise<void> {
  if (database.dialect === 'postgres') {
    if (!database.pgConfig) throw new Error('a PostgreSQL database without its connection settings');
    const client = new pg.Client(database.pgConfig);
    client.on('error', () => {});
    await client.connect();
    try {
      await migratePg(drizzlePg(client), { migrationsFolder: folder ?? PG_MIGRATIONS_FOLDER });
    } finally {
      await client.end();
    }
    return;
  }
  if (!database.sqlite) throw new Error('a SQLite database without its connection');
  migrateSqlite(drizzleSqlite(database.sqlite), { migrationsFolder: folder ?? MIGRATIONS_FOLDER });
}
