/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time as the SDK's background work sees it. Injected so tests can drive heartbeats, backoff and
 * flushes without waiting; the default uses the real clock with every timer `unref()`ed, so a timer
 * never keeps the host process alive.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle): void;
}

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/** The real clock; its timers never hold the event loop open. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};
