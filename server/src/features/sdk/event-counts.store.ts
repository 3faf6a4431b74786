import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { EventCounts } from './sdk-events.js';

/** Rows per insert statement: well under SQLite's and PostgreSQL's limits on bound parameters. */
const ROWS_PER_STATEMENT = 500;

/**
 * Adds per-minute totals to an environment's exposure and event counts (the insights chart). Rows
 * must be distinct per conflict key (see `countsOf`); they are written in key order, so two writers
 * adding to the same rows on PostgreSQL take their row locks in the same order and never deadlock.
 */
export async function addEventCounts(
  { db, t }: Queryable,
  environmentId: number,
  counts: EventCounts,
): Promise<void> {
  const exposures = counts.exposures
    .map((row) => ({ environmentId, ...row }))
    .sort((a, b) => compare(a.flagKey, b.flagKey) || compare(a.variant, b.variant) || a.minute - b.minute);
  for (let i = 0; i < exposures.length; i += ROWS_PER_STATEMENT) {
    await db
      .insert(t.exposureCounts)
      .values(exposures.slice(i, i + ROWS_PER_STATEMENT))
      .onConflictDoUpdate({
        target: [
          t.exposureCounts.environmentId,
          t.exposureCounts.flagKey,
          t.exposureCounts.variant,
          t.exposureCounts.minute,
        ],
        set: { count: sql`${t.exposureCounts.count} + excluded.count` },
      });
  }
  const events = counts.events
    .map((row) => ({ environmentId, ...row }))
    .sort((a, b) => compare(a.event, b.event) || a.minute - b.minute);
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    await db
      .insert(t.eventCounts)
      .values(events.slice(i, i + ROWS_PER_STATEMENT))
      .onConflictDoUpdate({
        target: [t.eventCounts.environmentId, t.eventCounts.event, t.eventCounts.minute],
        set: { count: sql`${t.eventCounts.count} + excluded.count` },
      });
  }
}

/** Code-unit order, the same on every replica whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
