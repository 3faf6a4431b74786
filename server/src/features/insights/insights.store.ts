import { and, eq, gte, lt, lte, max } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import { eventCounts, exposureCounts, guardEventCounts, guardExposureCounts } from '../../db/schema.js';

/** One minute of exposure counts of one variant. */
export interface ExposureRow {
  minute: number;
  variant: string;
  count: number;
}

/** Per-minute exposure counts of a flag in one environment, between two epoch minutes (inclusive). */
export function listExposures(
  db: Queryable,
  environmentId: number,
  flagKey: string,
  fromMinute: number,
  toMinute: number,
): ExposureRow[] {
  return db
    .select({ minute: exposureCounts.minute, variant: exposureCounts.variant, count: exposureCounts.count })
    .from(exposureCounts)
    .where(
      and(
        eq(exposureCounts.environmentId, environmentId),
        eq(exposureCounts.flagKey, flagKey),
        gte(exposureCounts.minute, fromMinute),
        lte(exposureCounts.minute, toMinute),
      ),
    )
    .orderBy(exposureCounts.minute, exposureCounts.variant)
    .all();
}

/** The latest minute each flag was evaluated in each environment, as `environmentId → flagKey → minute`. */
export function lastEvaluatedMinutes(db: Queryable): Map<number, Map<string, number>> {
  const rows = db
    .select({
      environmentId: exposureCounts.environmentId,
      flagKey: exposureCounts.flagKey,
      minute: max(exposureCounts.minute),
    })
    .from(exposureCounts)
    .groupBy(exposureCounts.environmentId, exposureCounts.flagKey)
    .all();
  const out = new Map<number, Map<string, number>>();
  for (const row of rows) {
    if (row.minute === null) continue;
    let byFlag = out.get(row.environmentId);
    if (!byFlag) {
      byFlag = new Map();
      out.set(row.environmentId, byFlag);
    }
    byFlag.set(row.flagKey, row.minute);
  }
  return out;
}

/**
 * Deletes the per-minute counts (insights and guards) older than `beforeMinute`, in one transaction,
 * and returns how many rows went. Counts are bounded per minute; this bounds them in time.
 *
 * @example
 * pruneCountsBefore(db, currentMinute - 90 * 24 * 60);
 */
export function pruneCountsBefore(db: Db, beforeMinute: number): number {
  return db.transaction((tx) => {
    let deleted = 0;
    for (const table of [exposureCounts, eventCounts, guardExposureCounts, guardEventCounts]) {
      deleted += tx.delete(table).where(lt(table.minute, beforeMinute)).run().changes;
    }
    return deleted;
  });
}
