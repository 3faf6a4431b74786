import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, postgresAvailable, startPostgres } from '../../../../test/support/postgres.js';
import { type Database, openDatabase } from '../../db/client.js';
import { parseDatabaseLocation } from '../../db/location.js';
import { migrateDatabase } from '../../db/migrate.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { type EnvironmentRow, insertEnvironment } from '../environments/environments.store.js';
import { DEFAULT_PROJECT, inProject } from '../projects/project-scope.js';
import { PayloadCache } from './payload-cache.js';

// Skipped only where PostgreSQL is not installed; `npm test` installs it (.ci/system-packages.sh).
describe.skipIf(!postgresAvailable())('PayloadCache while PostgreSQL goes away', { timeout: 60_000 }, () => {
  let server: PostgresServer;
  let database: Database;
  let production: EnvironmentRow;
  let staging: EnvironmentRow;

  beforeAll(async () => {
    server = await startPostgres();
    database = await openDatabase(parseDatabaseLocation(server.url));
    await migrateDatabase(database);
    const at = new Date().toISOString();
    const environment = (key: string, sortOrder: number) => ({
      key,
      name: key,
      sortOrder,
      revision: 7,
      createdAt: at,
      updatedAt: at,
    });
    const insert = (key: string, sortOrder: number) =>
      inProject(DEFAULT_PROJECT, () =>
        database.transaction((tx) => insertEnvironment(tx, environment(key, sortOrder))),
      );
    production = await insert('production', 0);
    staging = await insert('staging', 1);
    await database.transaction(async ({ db, t }) => {
      await db.insert(t.segments).values({
        projectId: DEFAULT_PROJECT.id,
        key: 'beta',
        name: 'Beta',
        description: '',
        included: ['user-1'],
        excluded: [],
        rules: [],
        version: 1,
        createdAt: at,
        updatedAt: at,
      });
    });
  });
  afterAll(async () => {
    await database?.close();
    await server?.destroy();
  });

  it('answers a held revision from memory, the last payload while the database is unreachable, and recovers', async () => {
    const cache = new PayloadCache();
    const held = await cache.get(database, production);
    expect(held.revision).toBe(7);
    expect(JSON.parse(held.json)).toMatchObject({ revision: 7, flags: {}, segments: { beta: {} } });
    expect(cache.latest(production.ref)).toBe(held);

    await server.stop('fast');
    // The database is gone: only memory can answer these.
    expect(await cache.get(database, production)).toBe(held);
    expect(await cache.get(database, { ...production, revision: 8 })).toBe(held);
    // Nothing held for staging: the failure is the caller's (a 503).
    const failure = await cache.get(database, staging).catch((error: unknown) => error);
    expect(isDatabaseUnavailable(failure)).toBe(true);

    await server.start();
    const fresh = await cache.get(database, { ...production, revision: 8 });
    expect(fresh.revision).toBe(8);
    expect(cache.latest(production.ref)).toBe(fresh);
    // An older revision arriving late does not replace the newer one held.
    await cache.get(database, production);
    expect(cache.latest(production.ref)).toBe(fresh);
  });
});
