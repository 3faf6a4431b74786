/** Options of {@link createLeaderJob}. */
export interface LeaderJobOptions<T> {
  /** One pass of the job. */
  pass: () => Promise<T>;
  /** Time between the end of one pass and the start of the next. */
  intervalMs: number;
  /** Whether this replica leads now: passes on the timer run only then (always true on SQLite). */
  isLeader: () => boolean;
  /** Told of a pass on the timer that failed (a manual {@link LeaderJob.tick} rejects instead). */
  onError: (error: unknown) => void;
}

/** A periodic job that only the leading replica runs, one pass at a time. */
export interface LeaderJob<T> {
  /** Runs one pass now, once the pass in progress (if any) is done; whether this replica leads or not. */
  tick(): Promise<T>;
  /**
   * Runs a pass now if this replica leads, then every `intervalMs` while it leads. Resolves when the
   * first pass is done (a failed one is reported to `onError`). Starting twice does nothing.
   */
  start(): Promise<void>;
  /** Stops the timer; resolves when the pass in progress (if any) is done. */
  stop(): Promise<void>;
}

/**
 * A job run on a timer by the leader only, whose passes never overlap: each waits for the previous
 * one, started by the timer or by {@link LeaderJob.tick}. The timer is unref'ed, so it never keeps
 * the process alive.
 *
 * @example
 * const job = createLeaderJob({ pass: () => service.applyDue(), intervalMs: 1000, isLeader, onError });
 * await job.start();
 * await job.stop();
 */
export function createLeaderJob<T>(options: LeaderJobOptions<T>): LeaderJob<T> {
  let last: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  /** Counts starts and stops: a timer of an earlier start never schedules another pass. */
  let generation = 0;
  let running = false;

  const tick = (): Promise<T> => {
    const next = last.then(() => options.pass());
    last = next.catch(() => {});
    return next;
  };

  const scheduled = async (): Promise<void> => {
    if (!options.isLeader()) return;
    try {
      await tick();
    } catch (error) {
      options.onError(error);
    }
  };

  const loop = (started: number) => {
    timer = setTimeout(async () => {
      await scheduled();
      if (running && started === generation) loop(started);
    }, options.intervalMs);
    timer.unref();
  };

  return {
    tick,
    async start() {
      if (running) return;
      running = true;
      const started = ++generation;
      await scheduled();
      if (running && started === generation) loop(started);
    },
    async stop() {
      running = false;
      generation++;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await last;
    },
  };
}
