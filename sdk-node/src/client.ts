import { type Clock, systemClock } from './data-source/clock.js';
import { createDataSource } from './data-source/create-data-source.js';
import type { DataSink, DataSource } from './data-source/data-source.js';
import { Emitter } from './emitter.js';
import {
  applyPatch,
  type Context,
  changedFlags,
  createStore,
  EMPTY_STORE,
  type EvaluationDetail,
  errorDetail,
  evaluate,
  evaluateAll,
  evaluateAllValues,
  type FlagStore,
  type JsonValue,
  type SdkPatch,
} from './engine/index.js';
import { EventProcessor } from './events/event-processor.js';
import type { ExposureCounter } from './events/exposure-counter.js';
import { checkOptions, type Logger, type RingflagOptions } from './options.js';

/** The events of a {@link Ringflag} client. */
export interface RingflagEvents extends Record<string, unknown> {
  /** Flag data arrived for the first time. */
  ready: { revision: number };
  /** A flag's evaluation may have changed (one event per flag key). */
  change: { key: string; revision: number };
  /** Something went wrong; the client keeps serving the last known values. */
  error: Error;
}

/** Widens a literal default (`false`, `'blue'`) to its type, so `variation` returns `boolean`, `string`. */
export type Widen<T> = T extends boolean
  ? boolean
  : T extends string
    ? string
    : T extends number
      ? number
      : T;

/** Transient problems are logged at most once per this long. */
export const WARNING_INTERVAL_MS = 30_000;

const consoleLogger: Logger = {
  warn: (message) => console.warn(`[ringflag] ${message}`),
  error: (message) => console.error(`[ringflag] ${message}`),
};

/**
 * The Ringflag server-side SDK: holds the environment's rules in memory and evaluates locally, so a
 * flag check is a function call, not a network round trip.
 *
 * @example
 * const flags = new Ringflag({ sdkKey: process.env.RINGFLAG_SDK_KEY, baseUrl: 'http://127.0.0.1:4280' });
 * await flags.ready({ timeoutMs: 5000 });
 * if (flags.isEnabled('new-checkout', { key: 'user-1', groups: ['beta'] })) showNewCheckout();
 * flags.on('change', ({ key }) => console.log(`${key} changed`));
 */
export class Ringflag {
  private store: FlagStore = EMPTY_STORE;
  private initialized = false;
  private closed = false;
  private fatal: Error | null = null;
  private readonly events: Emitter<RingflagEvents>;
  private readonly source: DataSource;
  /** Sends exposures and tracked events; `null` offline or with `sendEvents: false`. */
  private readonly processor: EventProcessor | null;
  /** The processor's counter, read on the evaluation hot path; `null` when not counting. */
  private readonly exposures: ExposureCounter | null;
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** When the last transient problem was logged, and how many were not logged since. */
  private lastWarningAt = Number.NEGATIVE_INFINITY;
  private unloggedWarnings = 0;
  private readonly readyPromise: Promise<void>;
  private settleReady!: (error?: Error) => void;

  constructor(options: RingflagOptions = {}) {
    this.logger = options.logger ?? consoleLogger;
    this.clock = options.clock ?? systemClock;
    this.events = new Emitter((error) => this.logger.error(`an event handler threw: ${String(error)}`));
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    // An unobserved rejection must not crash the host; callers see it through ready().
    this.readyPromise.catch(() => {});
    const online = checkOptions(options);
    this.processor =
      online && options.sendEvents !== false
        ? new EventProcessor({
            ...online,
            flushIntervalMs: options.flushIntervalMs,
            maxQueuedEvents: options.maxQueuedEvents,
            clock: options.clock,
            onError: (error, fatal) => this.report(error, fatal),
          })
        : null;
    this.exposures = this.processor?.exposures ?? null;
    this.source = options.dataSource ?? createDataSource(options, online);
    this.source.start(this.sink());
  }

  /**
   * Resolves once flag data arrived; rejects when the source gave up (a bad key, an unreadable
   * bootstrap file) or when `timeoutMs` passes first. Evaluations before then return defaults.
   */
  ready(options: { timeoutMs?: number } = {}): Promise<void> {
    const { timeoutMs } = options;
    if (timeoutMs === undefined || this.initialized) return this.readyPromise;
    return new Promise<void>((resolve, reject) => {
      // Deliberately not unref()ed, unlike the SDK's background timers: the caller is waiting on
      // it, and a script whose only pending work is `await flags.ready({ timeoutMs })` must get the
      // timeout rather than exit mid-await (Node's "unsettled top-level await", exit code 13).
      const timer = setTimeout(
        () => reject(new Error(`Ringflag did not become ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.readyPromise.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Whether the client has flag data. */
  get isReady(): boolean {
    return this.initialized;
  }

  /** The revision of the data in memory (0 before any). */
  get revision(): number {
    return this.store.revision;
  }

  /**
   * Whether a boolean flag is on for this context; `false` when the flag is missing, not boolean or
   * the client has no data yet.
   */
  isEnabled(flagKey: string, context: Context): boolean {
    if (!this.initialized) return false;
    const detail = evaluate(flagKey, context, this.store, false);
    this.exposures?.record(flagKey, detail.variant);
    return detail.value;
  }

  /**
   * The flag's value for this context, or `defaultValue` when it cannot be evaluated. The default's
   * type selects the flag kind: a boolean, string or number default for those kinds, an object or
   * array for JSON flags.
   *
   * @example
   * const backend = flags.variation('checkout-backend', { key: 'user-1' }, 'blue'); // string
   */
  variation<T extends JsonValue>(flagKey: string, context: Context, defaultValue: T): Widen<T> {
    return this.variationDetail(flagKey, context, defaultValue).value;
  }

  /** Like {@link variation}, with the variation id and the reason (DESIGN §3). */
  variationDetail<T extends JsonValue>(
    flagKey: string,
    context: Context,
    defaultValue: T,
  ): EvaluationDetail<Widen<T>> {
    const fallback = defaultValue as Widen<T>;
    if (!this.initialized) return errorDetail(fallback, 'CLIENT_NOT_READY');
    const detail = evaluate(flagKey, context, this.store, fallback as Widen<T> & JsonValue);
    this.exposures?.record(flagKey, detail.variant);
    return detail as EvaluationDetail<Widen<T>>;
  }

  /** Every flag's value for this context (malformed flags are left out). */
  allFlags(context: Context): Record<string, JsonValue> {
    return evaluateAllValues(context, this.store);
  }

  /** Every flag's result for this context, with variation ids and reasons. */
  allFlagsDetail(context: Context): Record<string, EvaluationDetail<JsonValue | null>> {
    return evaluateAll(context, this.store);
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof RingflagEvents>(event: E, handler: (payload: RingflagEvents[E]) => void): () => void {
    return this.events.on(event, handler);
  }

  off<E extends keyof RingflagEvents>(event: E, handler: (payload: RingflagEvents[E]) => void): void {
    this.events.off(event, handler);
  }

  /**
   * Records that `context` did `event` (a checkout error, a purchase), for guarded rollouts: the
   * server attributes it to the variation the context gets. Sent in the background; a no-op
   * offline, with `sendEvents: false`, after `close()` or after the key was refused.
   *
   * @example
   * flags.track('checkout-error', { key: 'user-1' });
   */
  track(event: string, context: Context): void {
    if (this.closed) return;
    this.processor?.track(event, context);
  }

  /** Sends the exposures and tracked events collected so far now, instead of at the next interval. */
  async flush(): Promise<void> {
    await this.processor?.flush();
  }

  /**
   * Stops the data source, sends what is left (waiting up to 2 s) and releases every handle; the
   * process can exit afterwards.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.source.close(), this.processor?.close()]);
    this.events.clear();
    if (!this.initialized)
      this.settleReady(this.fatal ?? new Error('Ringflag client was closed before it was ready'));
  }

  private sink(): DataSink {
    return {
      init: (payload) => {
        if (this.closed) return;
        const previous = this.store;
        this.store = createStore(payload);
        this.becomeReady();
        if (previous !== EMPTY_STORE) this.emitChanges(changedFlags(previous, this.store));
      },
      patch: (patch: SdkPatch) => {
        // A patch at or below the revision held is already in it (a stream that resumed on another
        // server can repeat one): applying it again could bring back an older value.
        if (this.closed || patch.revision <= this.store.revision) return;
        const { store, changed } = applyPatch(this.store, patch);
        this.store = store;
        this.emitChanges(changed);
      },
      error: (error, fatal) => {
        if (this.closed) return;
        if (fatal) {
          this.fatal = error;
          // A refused key is refused everywhere: no further requests of any kind.
          this.processor?.stop();
          if (!this.initialized) this.settleReady(error);
        }
        this.report(error, fatal);
      },
    };
  }

  /** Logs a problem and emits it; transient ones (the SDK retries) are warnings. */
  private report(error: Error, fatal: boolean): void {
    if (this.closed) return;
    if (fatal) this.logger.error(error.message);
    else this.warn(error.message);
    this.events.emit('error', error);
  }

  /**
   * Logs a transient problem, at most one line per {@link WARNING_INTERVAL_MS}: while the server is
   * away the stream tries again every few seconds, and a line every few seconds would flood the
   * host's log. The next line counts the ones left out; `error` events carry every one.
   */
  private warn(message: string): void {
    const now = this.clock.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) {
      this.unloggedWarnings += 1;
      return;
    }
    const left = this.unloggedWarnings;
    this.lastWarningAt = now;
    this.unloggedWarnings = 0;
    this.logger.warn(left > 0 ? `${message} (${left} more since the last warning)` : message);
  }

  private becomeReady(): void {
    if (this.initialized) return;
    this.initialized = true;
    this.settleReady();
    this.events.emit('ready', { revision: this.store.revision });
  }

  private emitChanges(keys: readonly string[]): void {
    const revision = this.store.revision;
    for (const key of keys) this.events.emit('change', { key, revision });
  }
}
