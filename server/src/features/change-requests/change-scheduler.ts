import type { Logger } from '../../logger.js';
import type { ChangeRequest } from './change-request.js';
import type { ChangeRequestService } from './change-requests.service.js';

/** Options of {@link createChangeScheduler}. */
export interface ChangeSchedulerOptions {
  changeRequests: Pick<ChangeRequestService, 'applyDue'>;
  logger: Logger;
  /** How often to look for due changes (default 1000 ms). Time itself comes from the service's clock. */
  intervalMs?: number;
}

/** Applies scheduled changes when their time comes. State lives in SQLite, so a restart loses nothing. */
export interface ChangeScheduler {
  /** Applies what is due now (also what fell due while the server was down), then keeps checking. */
  start(): void;
  /** Applies every due change now; tests call it after moving their clock. */
  tick(): ChangeRequest[];
  /** Stops checking. */
  close(): void;
}

/**
 * A polling scheduler: one cheap indexed query per interval (`state = 'scheduled' and apply_at <=
 * now`). Polling rather than a timer per change keeps it right when the clock is injected or jumps,
 * and needs no bookkeeping when requests are approved or cancelled. The timer is unref'ed.
 *
 * @example
 * const scheduler = createChangeScheduler({ changeRequests, logger });
 * scheduler.start();
 * // …
 * scheduler.close();
 */
export function createChangeScheduler(options: ChangeSchedulerOptions): ChangeScheduler {
  const intervalMs = options.intervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;

  const tick = (): ChangeRequest[] => {
    try {
      return options.changeRequests.applyDue();
    } catch (error) {
      options.logger.error('the change scheduler failed', { error: String(error) });
      return [];
    }
  };

  return {
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    tick,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
