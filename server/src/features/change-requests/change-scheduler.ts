import { createLeaderJob } from '../../jobs/leader-job.js';
import type { Logger } from '../../logger.js';
import type { ChangeRequest } from './change-request.js';
import type { ChangeRequestService } from './change-requests.service.js';

/** Options of {@link createChangeScheduler}. */
export interface ChangeSchedulerOptions {
  changeRequests: Pick<ChangeRequestService, 'applyDue'>;
  logger: Logger;
  /** Whether this replica leads: only the leader applies due changes on its timer (always true on SQLite). */
  isLeader: () => boolean;
  /** How often to look for due changes (default 1000 ms). Time itself comes from the service's clock. */
  intervalMs?: number;
}

/** Applies scheduled changes when their time comes. State lives in the database, so a restart loses nothing. */
export interface ChangeScheduler {
  /**
   * Applies what is due now (also what fell due while the server was down) if this replica leads,
   * then keeps checking while it leads. Resolves when that first pass is done.
   */
  start(): Promise<void>;
  /** Applies every due change now, after the pass in progress; tests call it after moving their clock. */
  tick(): Promise<ChangeRequest[]>;
  /** Stops checking; resolves when the pass in progress is done. */
  stop(): Promise<void>;
}

/**
 * A polling scheduler: one cheap indexed query per interval (`state = 'scheduled' and apply_at <=
 * now`). Polling rather than a timer per change keeps it right when the clock is injected or jumps,
 * and needs no bookkeeping when requests are approved or cancelled. Passes never overlap; should two
 * replicas run one at once, each change still applies once (the service claims it in its write).
 *
 * @example
 * const scheduler = createChangeScheduler({ changeRequests, logger, isLeader: leadership.isLeader });
 * await scheduler.start();
 * // …
 * await scheduler.stop();
 */
export function createChangeScheduler(options: ChangeSchedulerOptions): ChangeScheduler {
  return createLeaderJob({
    pass: () => options.changeRequests.applyDue(),
    intervalMs: options.intervalMs ?? 1000,
    isLeader: options.isLeader,
    onError: (error) => options.logger.error('the change scheduler failed', { error: String(error) }),
  });
}
