import type { AppDeps } from '../../app-env.js';
import { createReleaseService, type ReleaseService } from './releases.service.js';

/** How often the ticker looks at active plans by default. */
export const RELEASE_TICK_MS = 5_000;

/** A running ticker; `stop()` releases its timer. */
export interface ReleaseTicker {
  readonly releases: ReleaseService;
  stop(): void;
}

/**
 * Starts the release ticker: every `intervalMs`, checks every active plan's guard and advances the
 * plans that are due (by `deps.clock`). The timer is unref'ed, so it never keeps the process alive.
 *
 * @example
 * const ticker = startReleaseTicker(deps);
 * ticker.stop();
 */
export function startReleaseTicker(deps: AppDeps, intervalMs: number = RELEASE_TICK_MS): ReleaseTicker {
  const releases = createReleaseService(deps);
  const timer = setInterval(() => {
    try {
      releases.tick();
    } catch (error) {
      deps.logger.error('release ticker failed', { error: String(error) });
    }
  }, intervalMs);
  timer.unref();
  return { releases, stop: () => clearInterval(timer) };
}
