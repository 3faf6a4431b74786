/**
 * With `RINGFLAG_TEST_DB=postgres`, the whole suite runs on PostgreSQL: this starts one throwaway
 * server for the run, migrates a template database that every test database is cloned from, and
 * stops the server at the end. Without it, nothing happens (SQLite).
 */
import { openDatabase } from '../../server/src/db/client.js';
import { parseDatabaseLocation } from '../../server/src/db/location.js';
import { migrateDatabase } from '../../server/src/db/migrate.js';
import { PG_TEMPLATE, TEST_DIALECT } from '../../server/src/test-support/test-database.js';
import { type PostgresServer, startPostgres } from './postgres.js';

let server: PostgresServer | undefined;

export async function setup(): Promise<void> {
  if (TEST_DIALECT !== 'postgres') return;
  server = await startPostgres();
  const url = await server.createDatabase(PG_TEMPLATE);
  const database = await openDatabase(parseDatabaseLocation(url));
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
  process.env.RINGFLAG_TEST_PG_URL = server.url;
}

export async function teardown(): Promise<void> {
  await server?.destroy();
}
