import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentRef } from '../../db/schema.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { pruneExpired } from './retention.js';

const DAY = 24 * 60;
const COUNT_TABLES = ['exposure_counts', 'event_counts', 'guard_exposure_counts', 'guard_event_counts'];

describe('retention of per-minute counts and the change log', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('deletes insights and guard counts and change-log rows older than the retention, keeping recent ones', async () => {
    const now = t.deps.clock();
    const nowMinute = Math.floor(now.getTime() / 60_000);
    const minutes = { old: nowMinute - 3 * DAY, recent: nowMinute - DAY / 2 };
    const [environment] = await t.query<{ id: number; ref: EnvironmentRef }>(
      "select id, ref from environments where key = 'production'",
    );
    const { id: environmentId, ref } = environment!;
    // Revisions far beyond the environment's, so they cannot clash with the rows its writes logged.
    const revisions = { old: 1_000_001, recent: 1_000_002 };
    await t.database.transaction(async ({ db, t: tables }) => {
      for (const [age, minute] of Object.entries(minutes) as ['old' | 'recent', number][]) {
        const row = { environmentId, flagKey: 'f', variant: 'on', minute, count: 1 };
        await db.insert(tables.exposureCounts).values(row);
        await db.insert(tables.guardExposureCounts).values(row);
        await db.insert(tables.eventCounts).values({ environmentId, event: 'e', minute, count: 1 });
        await db.insert(tables.guardEventCounts).values({ ...row, event: 'e' });
        await db.insert(tables.changeLog).values({
          environment: ref,
          revision: revisions[age],
          patch: { flags: {}, segments: {} },
          createdAt: new Date(minute * 60_000).toISOString(),
        });
      }
    });
    const minutesIn = () =>
      Promise.all(
        COUNT_TABLES.map(async (table) =>
          (await t.query<{ minute: number }>(`select minute from ${table} order by minute`)).map(
            (r) => r.minute,
          ),
        ),
      );
    const loggedRevisions = async () =>
      (
        await t.query<{ revision: number }>(
          "select revision from change_log where environment = 'production' and revision > 1000000 order by revision",
        )
      ).map((r) => r.revision);
    expect(await minutesIn()).toEqual(Array(4).fill([minutes.old, minutes.recent]));
    expect(await loggedRevisions()).toEqual([revisions.old, revisions.recent]);
    const before = (await t.query('select revision from change_log')).length;

    // Two days of retention: one row of each count table and the old change-log row go.
    expect(await pruneExpired(t.database, now, 2)).toEqual({ counts: 4, changes: 1 });
    expect(await minutesIn()).toEqual(Array(4).fill([minutes.recent]));
    expect(await loggedRevisions()).toEqual([revisions.recent]);
    expect(await t.query('select revision from change_log')).toHaveLength(before - 1);
    // A second pass finds nothing more to delete.
    expect(await pruneExpired(t.database, now, 2)).toEqual({ counts: 0, changes: 0 });
  });
});
