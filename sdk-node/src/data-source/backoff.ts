import type { Random } from './clock.js';

export interface BackoffOptions {
  /** The ceiling of the first delay. Default 1 s. */
  initialMs?: number;
  /** The ceiling no delay exceeds. Default 30 s. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 30_000 } as const;

/**
 * The delay before reconnect attempt `attempt` (0-based): exponential growth with full jitter, a
 * uniform pick in `[0, min(maxMs, initialMs · 2^attempt))`. Full jitter spreads the SDKs of a fleet
 * over the whole window, so a server restart does not bring them all back in the same second.
 *
 * @example
 * backoffDelay(3, { initialMs: 1000, maxMs: 30000 }, () => 0.5); // 4000
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: Random): number {
  const initial = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  // 2^attempt overflows to Infinity for large attempts; min() keeps the ceiling finite.
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt));
  const r = random();
  const unit = r >= 0 && r < 1 ? r : 0;
  return Math.floor(unit * ceiling);
}

/** Counts consecutive failures and hands out the next delay; `reset()` after a healthy connection. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: Random,
  ) {}

  /** Consecutive failures since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  next(): number {
    const delay = backoffDelay(this.attempt, this.options, this.random);
    this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}
