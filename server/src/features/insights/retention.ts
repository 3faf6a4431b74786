import type { Database } from '../../db/client.js';
import { pruneChangeLog } from '../environments/environments.store.js';
import { pruneCountsBefore } from './insights.store.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Days per-minute counts and change-log rows are kept by default (`RINGFLAG_RETENTION_DAYS`). */
export const DEFAULT_RETENTION_DAYS = 90;

/** What one retention pass deleted. */
export interface RetentionPass {
  /** Per-minute count rows (insights and guards). */
  counts: number;
  /** Change-log rows. */
  changes: number;
}

/**
 * One retention pass: in one transaction, deletes the per-minute counts (insights and guards) of
 * minutes more than `retentionDays` before the minute of `now`, and the change-log rows written more
 * than `retentionDays` before `now`, so neither grows without end. One replica (the leader) runs it.
 *
 * @example
 * const { counts, changes } = await pruneExpired(database, new Date(), 90);
 */
export function pruneExpired(database: Database, now: Date, retentionDays: number): Promise<RetentionPass> {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  return database.transaction(async (tx) => ({
    counts: await pruneCountsBefore(tx, Math.floor(now.getTime() / MINUTE_MS) - retentionDays * 24 * 60),
    changes: await pruneChangeLog(tx, new Date(cutoff).toISOString()),
  }));
}
