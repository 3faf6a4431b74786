import { and, asc, eq, gte, lt, lte, max } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { inByteOrder } from '../../db/portable.js';

/** One minute of exposure counts of one variant. */
export interface ExposureRow {
  minute: number;
  variant: string;
  count: number;
}

/**
 * Per-minute exposure counts of a flag in one environment, between two epoch minutes (inclusive), by
 * minute, then variant (byte order).
 */
export async function listExposures(
  q: Queryable,
  environmentId: number,
  flagKey: string,
  fromMinute: number,
  toMinute: number,
): Promise<ExposureRow[]> {
  const { db, t } = q;
  const counts = t.exposureCounts;
  return db
    .select({ minute: counts.minute, variant: counts.variant, count: counts.count })
    .from(counts)
    .where(
      and(
        eq(counts.environmentId, environmentId),
        eq(counts.flagKey, flagKey),
        gte(counts.minute, fromMinute),
        lte(counts.minute, toMinute),
      ),
    )
    .orderBy(asc(counts.minute), asc(inByteOrder(q, counts.variant)));
}

/** The latest minute each flag was evaluated in each environment, as `environmentId → flagKey → minute`. */
export async function lastEvaluatedMinutes({ db, t }: Queryable): Promise<Map<number, Map<string, number>>> {
  const counts = t.exposureCounts;
  const rows = await db
    .select({ environmentId: counts.environmentId, flagKey: counts.flagKey, minute: max(counts.minute) })
    .from(counts)
    .groupBy(counts.environmentId, counts.flagKey);
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
 * Deletes the per-minute counts (insights and guards) older than `beforeMinute` and returns how many
 * rows went. Counts are bounded per minute; this bounds them in time. Call it inside a transaction.
 *
 * @example
 * await database.transaction((tx) => pruneCountsBefore(tx, currentMinute - 90 * 24 * 60));
 */
export async function pruneCountsBefore({ db, t }: Queryable, beforeMinute: number): Promise<number> {
  let deleted = 0;
  deleted += (
    await db
      .delete(t.exposureCounts)
      .where(lt(t.exposureCounts.minute, beforeMinute))
      .returning({ minute: t.exposureCounts.minute })
  ).length;
  deleted += (
    await db
      .delete(t.eventCounts)
      .where(lt(t.eventCounts.minute, beforeMinute))
      .returning({ minute: t.eventCounts.minute })
  ).length;
  deleted += (
    await db
      .delete(t.guardExposureCounts)
      .where(lt(t.guardExposureCounts.minute, beforeMinute))
      .returning({ minute: t.guardExposureCounts.minute })
  ).length;
  deleted += (
    await db
      .delete(t.guardEventCounts)
      .where(lt(t.guardEventCounts.minute, beforeMinute))
      .returning({ minute: t.guardEventCounts.minute })
  ).length;
  return deleted;
}
