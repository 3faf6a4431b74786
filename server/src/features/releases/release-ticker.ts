import type { AppDeps } from '../../app-env.js';
import { pruneCountsBefore } from '../insights/insights.store.js';
import { createReleaseService, type ReleaseService } from './releases.service.js';

/** How often the ticker looks at active plans by default. */
export const RELEASE_TICK_MS = 5_000;

/** How long per-minute counts (insights, guards) are kept by default, in days. */
export const COUNTS_RETENTION_DAYS = 90;

const PRUNE_EVERY_MS = 60 * 60_000;

/** A running ticker; `stop()` releases its timer. */
export interface ReleaseTicker {
  readonly releases: ReleaseService;
  stop(): void;
}

/**
 * Starts the release ticker: every `intervalMs`, checks every active plan's guard and advances the
 * plans that are due (by `deps.clock`); once an hour it deletes per-minute counts older than
 * `retentionDays`, so the database does not grow without end (guards look back at most that far).
 * The timer is unref'ed, so it never keeps the process alive.
 *
 * @example
 * const ticker = startReleaseTicker(deps);
 * ticker.stop();
 */
export function startReleaseTicker(
  deps: AppDeps,
  intervalMs: number = RELEASE_TICK_MS,
  retentionDays: number = COUNTS_RETENTION_DAYS,
): ReleaseTicker {
  const releases = createReleaseService(deps);
  let prunedAt = Number.NEGATIVE_INFINITY;
  const timer = setInterval(() => {
    try {
      releases.tick();
    } catch (error) {
      deps.logger.error('release ticker failed', { error: String(error) });
    }
    const now = deps.clock().getTime();
    if (now - prunedAt >= PRUNE_EVERY_MS) {
      prunedAt = now;
      try {
        const deleted = pruneCountsBefore(deps.db, Math.floor(now / 60_000) - retentionDays * 24 * 60);
        if (deleted > 0) deps.logger.info('pruned old counts', { deleted, retentionDays });
      } catch (error) {
        deps.logger.error('pruning old counts failed', { error: String(error) });
      }
    }
  }, intervalMs);
  timer.unref();
  return { releases, stop: () => clearInterval(timer) };
}
