import { describe, expect } from 'vitest';
import {
  lastEvaluatedMinutes,
  listExposures,
  pruneCountsBefore,
} from '../../features/insights/insights.store.js';
import {
  addGuardEventCounts,
  addGuardExposureCounts,
  sumExposures,
} from '../../features/releases/releases.store.js';
import { addEventCounts } from '../../features/sdk/event-counts.store.js';
import type { EventCounts } from '../../features/sdk/sdk-events.js';
import type { Queryable } from '../client.js';
import {
  BIG,
  type CurrentRun,
  it,
  makeEnvironment,
  ODD_KEYS,
  ODD_KEYS_SORTED,
  range,
  write,
} from './support.js';

/** The event counts of one environment, by event then minute (read through the store's table). */
async function eventTotals({ db, t }: Queryable, environmentId: number) {
  const rows = await db.select().from(t.eventCounts);
  return rows
    .filter((row) => row.environmentId === environmentId)
    .map(({ event, minute, count }) => ({ event, minute, count }))
    .sort((a, b) => (a.event < b.event ? -1 : a.event > b.event ? 1 : a.minute - b.minute));
}

/** event-counts.store.ts (the SDKs' reports) and insights.store.ts (the chart, last use, retention). */
export function countsContract(run: CurrentRun): void {
  describe('exposure and event counts', () => {
    it('adds reports up per key, past 2^31, and lists a flag’s minutes in order, bounds included', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const other = await makeEnvironment(database, 'staging');
      const report = (count: number): EventCounts => ({
        exposures: [
          ...ODD_KEYS.map((variant) => ({ flagKey: 'checkout', variant, minute: 11, count })),
          { flagKey: 'checkout', variant: 'on', minute: 10, count: 1 },
          { flagKey: 'checkout', variant: 'on', minute: 12, count: 1 },
          { flagKey: 'checkout', variant: 'on', minute: 13, count: 1 },
          { flagKey: 'search', variant: 'on', minute: 11, count: 1 },
        ],
        events: [
          { event: 'buy', minute: 11, count },
          { event: 'buy', minute: 12, count: 1 },
        ],
      });
      await write(database, (tx) => addEventCounts(tx, env.id, report(BIG)));
      await write(database, (tx) => addEventCounts(tx, env.id, report(BIG)));
      await write(database, (tx) => addEventCounts(tx, other.id, report(1)));

      const rows = await listExposures(database, env.id, 'checkout', 11, 12);
      expect(rows).toEqual([
        ...ODD_KEYS_SORTED.map((variant) => ({ minute: 11, variant, count: 2 * BIG })),
        { minute: 12, variant: 'on', count: 2 },
      ]);
      expect(typeof rows[0]!.count).toBe('number');
      expect(await listExposures(database, env.id, 'checkout', 14, 20)).toEqual([]);
      expect(await eventTotals(database, env.id)).toEqual([
        { event: 'buy', minute: 11, count: 2 * BIG },
        { event: 'buy', minute: 12, count: 2 },
      ]);
    });

    it('writes large reports whole (more rows than one statement carries)', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const minutes = range(1, 1200);
      await write(database, (tx) =>
        addEventCounts(tx, env.id, {
          exposures: minutes.map((minute) => ({ flagKey: 'f', variant: 'on', minute, count: minute })),
          events: minutes.map((minute) => ({ event: 'e', minute, count: 2 })),
        }),
      );
      const rows = await listExposures(database, env.id, 'f', 0, 10_000);
      expect(rows.map((row) => row.minute)).toEqual(minutes);
      expect(rows.every((row) => row.count === row.minute)).toBe(true);
      expect(await eventTotals(database, env.id)).toHaveLength(1200);
    });

    it('counts every concurrent report', async () => {
      const { dialect, database, replica } = run();
      const env = await makeEnvironment(database, 'production');
      const handles = dialect === 'postgres' ? [database, replica] : [database];
      const report: EventCounts = {
        exposures: [
          { flagKey: 'b', variant: 'on', minute: 5, count: 1 },
          { flagKey: 'a', variant: 'off', minute: 5, count: 2 },
        ],
        events: [{ event: 'buy', minute: 5, count: 3 }],
      };
      const writes = handles.flatMap((handle) =>
        Array.from({ length: 8 }, () => write(handle, (tx) => addEventCounts(tx, env.id, report))),
      );
      await Promise.all(writes);
      const n = writes.length;
      expect(await listExposures(database, env.id, 'a', 0, 10)).toEqual([
        { minute: 5, variant: 'off', count: 2 * n },
      ]);
      expect(await listExposures(database, env.id, 'b', 0, 10)).toEqual([
        { minute: 5, variant: 'on', count: n },
      ]);
      expect(await eventTotals(database, env.id)).toEqual([{ event: 'buy', minute: 5, count: 3 * n }]);
    });

    it('knows the last minute each flag was evaluated in each environment', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const other = await makeEnvironment(database, 'staging');
      expect(await lastEvaluatedMinutes(database)).toEqual(new Map());
      await write(database, async (tx) => {
        await addEventCounts(tx, env.id, {
          exposures: [
            { flagKey: 'checkout', variant: 'on', minute: 29_000_000, count: 1 },
            { flagKey: 'checkout', variant: 'off', minute: 29_000_007, count: 1 },
            { flagKey: 'search', variant: 'on', minute: 5, count: 1 },
          ],
          events: [],
        });
        await addEventCounts(tx, other.id, {
          exposures: [{ flagKey: 'checkout', variant: 'on', minute: 3, count: 1 }],
          events: [],
        });
      });
      expect(await lastEvaluatedMinutes(database)).toEqual(
        new Map([
          [
            env.id,
            new Map([
              ['checkout', 29_000_007],
              ['search', 5],
            ]),
          ],
          [other.id, new Map([['checkout', 3]])],
        ]),
      );
    });

    it('prunes the counts of every kind older than a minute and says how many rows went', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      await write(database, async (tx) => {
        for (const minute of [8, 9, 10]) {
          await addEventCounts(tx, env.id, {
            exposures: [{ flagKey: 'f', variant: 'on', minute, count: 1 }],
            events: [{ event: 'e', minute, count: 1 }],
          });
          await addGuardExposureCounts(tx, env.id, [{ flagKey: 'f', variant: 'on', minute, count: 1 }]);
          await addGuardEventCounts(tx, env.id, [
            { flagKey: 'f', variant: 'on', event: 'e', minute, count: 1 },
          ]);
        }
      });
      expect(await write(database, (tx) => pruneCountsBefore(tx, 10))).toBe(8);
      expect((await listExposures(database, env.id, 'f', 0, 100)).map((row) => row.minute)).toEqual([10]);
      expect((await eventTotals(database, env.id)).map((row) => row.minute)).toEqual([10]);
      expect(await sumExposures(database, env.id, 'f', 'on', 0)).toBe(1);
      expect(await write(database, (tx) => pruneCountsBefore(tx, 10))).toBe(0);
    });
  });
}
