import type { Context } from '../engine/index.js';

/**
 * How often one flag served one variation in one minute. Several lines (in one request or across
 * requests) may name the same flag, variant and minute: the receiver adds their counts.
 */
export interface ExposureSummary {
  flag: string;
  /** The variation id served. Evaluations that fell back to the default (`ERROR`) are not counted. */
  variant: string;
  count: number;
  /** The minute, in whole minutes since the Unix epoch: `Math.floor(epochMs / 60_000)`. */
  minute: number;
}

/** One `track(event, context)` call. */
export interface TrackedEvent {
  /** 1–128 characters. */
  event: string;
  context: Context;
  /** The minute it was tracked in, in whole minutes since the Unix epoch. */
  minute: number;
}

/** The body of `POST /sdk/v1/events`. */
export interface EventsPayload {
  exposures: ExposureSummary[];
  events: TrackedEvent[];
}
