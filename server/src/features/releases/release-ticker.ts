import { createLeaderJob } from '../../jobs/leader-job.js';
import type { WriteDeps } from '../../write/unit-of-work.js';
import { inProject } from '../projects/project-scope.js';
import type { GuardChecker } from './guard-figures.js';
import { advanceIfDue } from './release-stages.js';
import { listActivePlans } from './releases.store.js';

/** How often the ticker looks at active plans by default. */
export const RELEASE_TICK_MS = 5_000;

/** What the ticker uses. */
export interface ReleaseTickerDeps extends WriteDeps {
  /** The replica's guards (the same checker the guard intake feeds: its pending exposures are written before a check). */
  guards: Pick<GuardChecker, 'checkGuard'>;
  /** Whether this replica leads: only the leader runs passes on the timer (always true on SQLite). */
  isLeader: () => boolean;
}

/** Options of {@link createReleaseTicker}. */
export interface ReleaseTickerOptions {
  /** Time between passes (default {@link RELEASE_TICK_MS}). */
  intervalMs?: number;
}

/** What one {@link ReleaseTicker.tick} did: the ids of the plans it moved. */
export interface TickResult {
  advanced: number[];
  completed: number[];
  rolledBack: number[];
}

/** The periodic work of release plans: guard checks and auto-advance. */
export interface ReleaseTicker {
  /** Runs one pass now, after the pass in progress (if any). */
  tick(): Promise<TickResult>;
  /** Runs a pass now if this replica leads, then every interval while it leads; resolves after the first. */
  start(): Promise<void>;
  /** Stops; resolves when the pass in progress (if any) is done. */
  stop(): Promise<void>;
}

/**
 * Builds the release ticker. A pass checks every active plan's guard (rolling back those that trip)
 * and advances the plans that are due (by `deps.clock`). Passes never overlap; should two replicas run
 * one at once, each plan still moves once (every move is a compare-and-set on its row).
 *
 * @example
 * const ticker = createReleaseTicker({ database, changes, clock, logger, guards, isLeader: leadership.isLeader });
 * await ticker.start();
 * await ticker.stop();
 */
export function createReleaseTicker(
  deps: ReleaseTickerDeps,
  options: ReleaseTickerOptions = {},
): ReleaseTicker {
  return createLeaderJob({
    async pass() {
      const result: TickResult = { advanced: [], completed: [], rolledBack: [] };
      for (const located of await listActivePlans(deps.database, null)) {
        const id = located.plan.id;
        try {
          if (await deps.guards.checkGuard(id)) {
            result.rolledBack.push(id);
            continue;
          }
          const outcome = await inProject(located.project, () => advanceIfDue(deps, id));
          if (outcome === 'advanced') result.advanced.push(id);
          if (outcome === 'completed') result.completed.push(id);
        } catch (error) {
          // One broken plan (a segment deleted under it) must not stop the others.
          deps.logger.error('release plan tick failed', { plan: id, error: String(error) });
        }
      }
      return result;
    },
    intervalMs: options.intervalMs ?? RELEASE_TICK_MS,
    isLeader: deps.isLeader,
    onError: (error) => deps.logger.error('release ticker failed', { error: String(error) }),
  });
}
