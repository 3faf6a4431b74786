import type { Random } from './clock.js';

export interface BackoffOptions {
  /** The ceiling of the first delay. Default 1 s. */
  initialMs?: number;
  /** The ceiling no delay exceeds; reached while the server answers with errors. Default 30 s. */
  maxMs?: number;
  /**
   * The ceiling while no server answers at all (connection refused or reset, a timeout, a gateway's
   * 502/503/504 without `Retry-After`): probing a server that is not there costs it nothing, and this
   * bounds how long a restarted server waits for its SDKs. Default 4 s; never above `maxMs`.
   */
  unreachableMaxMs?: number;
}

export const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 30_000, unreachableMaxMs: 4_000 } as const;

/** Why an attempt failed, which decides how long the next one waits. */
export type FailureKind =
  /** No server answered: probe again soon (the `unreachableMaxMs` ceiling). */
  | 'unreachable'
  /** The server answered with an error: back off up to `maxMs`. */
  | 'answered';

/**
 * The delay before reconnect attempt `attempt` (0-based): exponential growth with full jitter, a
 * uniform pick in `[0, min(ceiling, initialMs · 2^attempt))`, where the ceiling is `maxMs`, or the
 * lower `unreachableMaxMs` when no server answered. Full jitter spreads the SDKs of a fleet over the
 * whole window, so a server restart does not bring them all back in the same second; the low ceiling
 * while the server is away brings all of them back within a few seconds of its return.
 *
 * @example
 * backoffDelay(3, { initialMs: 1000, maxMs: 30000 }, () => 0.5); // 4000
 * backoffDelay(3, {}, () => 0.5, 'unreachable'); // 2000
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: Random,
  kind: FailureKind = 'answered',
): number {
  const initial = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const limit =
    kind === 'unreachable'
      ? Math.min(max, options.unreachableMaxMs ?? DEFAULT_BACKOFF.unreachableMaxMs)
      : max;
  // 2^attempt overflows to Infinity for large attempts; min() keeps the ceiling finite.
  const ceiling = Math.min(limit, initial * 2 ** Math.max(0, attempt));
  return Math.floor(unit(random) * ceiling);
}

/** A jitter pick in [0, 1): a bad random counts as 0. */
function unit(random: Random): number {
  const r = random();
  return r >= 0 && r < 1 ? r : 0;
}

/** The most a `Retry-After` is followed: a longer one (a misconfigured proxy) would stop updates for good. */
export const MAX_RETRY_AFTER_MS = 600_000;

/**
 * The wait a `Retry-After` header asks for, in milliseconds (delay-seconds or an HTTP date, at most
 * {@link MAX_RETRY_AFTER_MS}); `undefined` when there is none or it cannot be read.
 *
 * @example
 * retryAfterMs('30', Date.now()); // 30000
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  // delay-seconds, or an HTTP date (which starts with the day's name).
  const ms = /^\d+$/.test(value)
    ? Number(value) * 1000
    : /^[a-z]/i.test(value)
      ? Date.parse(value) - now
      : Number.NaN;
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
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

  /**
   * The delay before the next attempt. A server that asked for a pause (`retryAfterMs`, from its
   * `Retry-After`) gets it, jittered over `[retryAfter, 2 · retryAfter)` so the SDKs it turned away do
   * not all return in the same second.
   */
  next(kind: FailureKind = 'answered', retryAfter?: number): number {
    const delay =
      retryAfter === undefined
        ? backoffDelay(this.attempt, this.options, this.random, kind)
        : retryAfter + Math.floor(unit(this.random) * retryAfter);
    this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}
