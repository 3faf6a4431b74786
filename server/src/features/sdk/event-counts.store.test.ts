import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, postgresAvailable, startPostgres } from '../../../../test/support/postgres.js';
import { type Database, execute, openDatabase } from '../../db/client.js';
import { parseDatabaseLocation } from '../../db/location.js';
import { migrateDatabase } from '../../db/migrate.js';
import { insertEnvironment } from '../environments/environments.store.js';
import { DEFAULT_PROJECT, inProject } from '../projects/project-scope.js';
import { addEventCounts } from './event-counts.store.js';
import { countsOf } from './sdk-events.js';

const dialects = postgresAvailable() ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(dialects)('event counts on %s', { timeout: 60_000 }, (dialect) => {
  let database: Database;
  let environmentId: number;
  let cleanUp: () => Promise<void>;

  beforeAll(async () => {
    let server: PostgresServer | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'ringflag-counts-'));
    if (dialect === 'postgres') server = await startPostgres();
    database = await openDatabase(parseDatabaseLocation(server ? server.url : join(dir, 'ringflag.db')));
    cleanUp = async () => {
      await database.close();
      await server?.destroy();
      rmSync(dir, { recursive: true, force: true });
    };
    await migrateDatabase(database);
    const at = new Date().toISOString();
    const env = await database.transaction((tx) =>
      inProject(DEFAULT_PROJECT, () =>
        insertEnvironment(tx, {
          key: 'production',
          name: 'Production',
          sortOrder: 0,
          createdAt: at,
          updatedAt: at,
        }),
      ),
    );
    environmentId = env.id;
  });
  afterAll(() => cleanUp?.());

  const rows = (query: string) => execute<Record<string, unknown>>(database, sql.raw(query));

  it('adds to the totals of a minute, repeats in one report merged, concurrent reports all counted', async () => {
    const now = new Date(29_000_000 * 60_000 + 5_000);
    const report = countsOf(
      {
        exposures: [
          { flag: 'f', variant: 'on', count: 2 },
          { flag: 'f', variant: 'on', count: 3, minute: 29_000_000 },
          { flag: 'f', variant: 'off', count: 1, minute: 28_999_999 },
        ],
        events: [{ event: 'clicked' }, { event: 'clicked', count: 4 }],
      },
      now,
    );
    expect(report.exposures).toHaveLength(2);
    await Promise.all(
      [1, 2, 3].map(() => database.transaction((tx) => addEventCounts(tx, environmentId, report))),
    );
    expect(
      await rows(
        'select flag_key, variant, minute, cast(count as integer) as count from exposure_counts order by flag_key, variant, minute',
      ),
    ).toEqual([
      { flag_key: 'f', variant: 'off', minute: 28_999_999, count: 3 },
      { flag_key: 'f', variant: 'on', minute: 29_000_000, count: 15 },
    ]);
    expect(
      await rows(
        'select event, minute, cast(count as integer) as count from event_counts order by event, minute',
      ),
    ).toEqual([{ event: 'clicked', minute: 29_000_000, count: 15 }]);
  });
});
