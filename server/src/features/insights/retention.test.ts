import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventCounts, exposureCounts, guardEventCounts, guardExposureCounts } from '../../db/schema.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { type ReleaseTicker, startReleaseTicker } from '../releases/release-ticker.js';

const DAY = 24 * 60;

describe('retention of per-minute counts', () => {
  let t: TestApp;
  let ticker: ReleaseTicker | undefined;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => {
    ticker?.stop();
    t.close();
  });

  it('deletes insights and guard counts older than the retention, keeping recent ones', async () => {
    const now = Math.floor(t.deps.clock().getTime() / 60_000);
    const environmentId = 1;
    const minutes = { old: now - 3 * DAY, recent: now - DAY / 2 };
    for (const minute of Object.values(minutes)) {
      const row = { environmentId, flagKey: 'f', variant: 'on', minute, count: 1 };
      t.deps.db.insert(exposureCounts).values(row).run();
      t.deps.db.insert(guardExposureCounts).values(row).run();
      t.deps.db.insert(eventCounts).values({ environmentId, event: 'e', minute, count: 1 }).run();
      t.deps.db
        .insert(guardEventCounts)
        .values({ ...row, event: 'e' })
        .run();
    }
    const tables = [exposureCounts, eventCounts, guardExposureCounts, guardEventCounts];
    const minutesIn = () =>
      tables.map((table) =>
        t.deps.db
          .select()
          .from(table)
          .all()
          .map((r) => r.minute),
      );
    expect(minutesIn()).toEqual(Array(4).fill([minutes.old, minutes.recent]));

    // Two days of retention, a ticker pass every 10 ms: the first pass prunes.
    ticker = startReleaseTicker(t.deps, 10, 2);
    await vi.waitFor(() => expect(minutesIn()).toEqual(Array(4).fill([minutes.recent])));
  });
});
