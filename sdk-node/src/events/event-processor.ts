import { type Clock, systemClock, type TimerHandle } from '../data-source/clock.js';
import {
  authError,
  describeFailure,
  discardBody,
  isAuthFailure,
  RingflagHttpError,
  requestSignal,
  sdkHeaders,
  sdkUrl,
} from '../data-source/http.js';
import { type Context, contextSchema } from '../engine/index.js';
import { BoundedQueue } from './bounded-queue.js';
import { ExposureCounter } from './exposure-counter.js';
import type { EventsPayload, ExposureSummary, TrackedEvent } from './types.js';

export interface EventProcessorOptions {
  sdkKey: string;
  baseUrl: string;
  /** Time between background flushes. Default 15 s. */
  flushIntervalMs?: number;
  /** Tracked events held while the server is away; the oldest are dropped beyond it. Default 10 000. */
  maxQueuedEvents?: number;
  /** Exposure summary lines held while the server is away; the oldest are dropped beyond it. Default 10 000. */
  maxPendingExposures?: number;
  /** How long `close()` waits for the last flush. Default 2 s. */
  closeTimeoutMs?: number;
  requestTimeoutMs?: number;
  clock?: Clock;
  /** Told about failures; the processor carries on (or, after 401/403, stops sending). */
  onError: (error: Error, fatal: boolean) => void;
}

export const DEFAULT_FLUSH_INTERVAL_MS = 15_000;
const MINUTE_MS = 60_000;
/** The longest event name the server accepts. */
export const MAX_EVENT_NAME_LENGTH = 128;
/** Requests stay well below any server body limit. */
const MAX_EVENTS_PER_REQUEST = 1_000;
const MAX_EXPOSURES_PER_REQUEST = 5_000;

type SendOutcome = 'sent' | 'retry' | 'rejected' | 'fatal';

/**
 * Collects exposure counts and tracked events and sends them to `POST /sdk/v1/events` in the
 * background. Exposure counts roll over into per-minute summary lines at each minute boundary;
 * what fails to send is kept for the next flush, within fixed bounds (oldest dropped and counted).
 */
export class EventProcessor {
  /** Recorded on the evaluation hot path by the client. */
  readonly exposures = new ExposureCounter();
  private readonly queue: BoundedQueue<TrackedEvent>;
  /** Summary lines waiting to be sent, oldest first, keyed by minute, flag and variant. */
  private pending = new Map<string, ExposureSummary>();
  private windowMinute: number;
  private flushTimer: TimerHandle | null = null;
  private minuteTimer: TimerHandle | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private stopped = false;
  private closed = false;
  private reportedDrops = 0;
  /** `track` calls ignored since the last report, and why the first of them was. */
  private invalid = { count: 0, first: '' };
  /** Exposure counts dropped because the pending lines reached their bound. */
  droppedExposures = 0;
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;

  constructor(private readonly options: EventProcessorOptions) {
    this.clock = options.clock ?? systemClock;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.queue = new BoundedQueue(options.maxQueuedEvents ?? 10_000);
    this.windowMinute = minuteOf(this.clock.now());
    this.scheduleFlush();
    this.scheduleRollover();
  }

  /** Tracked events dropped because the queue was full. */
  get droppedEvents(): number {
    return this.queue.dropped;
  }

  track(event: string, context: Context): void {
    if (this.stopped) return;
    // A copy, as the caller may reuse and change its context object before the flush; without the
    // undefined attributes, which JSON leaves out anyway.
    const copy: Context = {};
    for (const name in context) if (context[name] !== undefined) copy[name] = context[name];
    // Checked here, with the server's own rules: one bad event would get a whole batch refused.
    const problem = invalidEvent(event, copy);
    if (problem !== null) {
      if (this.invalid.count === 0) this.invalid.first = problem;
      this.invalid.count += 1;
      return;
    }
    this.queue.push({ event, context: copy, minute: minuteOf(this.clock.now()) });
  }

  /** Sends everything collected so far; flushes run one after another. Never rejects. */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.flushNow());
    this.chain = run;
    return run;
  }

  /** Sends what is left (waiting at most `closeTimeoutMs`), then releases every handle. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    if (!this.stopped) await withTimeout(this.flush(), this.options.closeTimeoutMs ?? 2_000, this.clock);
    this.stop();
  }

  /** Stops for good and drops what is held (the key was refused, or the client closed). */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.abort.abort();
    this.pending.clear();
    this.queue.take(this.queue.size);
  }

  private async flushNow(): Promise<void> {
    this.rollover();
    this.reportDrops();
    while (!this.stopped && (this.pending.size > 0 || this.queue.size > 0)) {
      const exposures = this.takePending(MAX_EXPOSURES_PER_REQUEST);
      const events = this.queue.take(MAX_EVENTS_PER_REQUEST);
      const outcome = await this.send({ exposures, events });
      if (outcome === 'retry') {
        this.returnPending(exposures);
        this.queue.returnToFront(events);
        return;
      }
      if (outcome === 'fatal') return;
    }
  }

  private async send(payload: EventsPayload): Promise<SendOutcome> {
    let status: number;
    try {
      const response = await fetch(sdkUrl(this.options.baseUrl, '/sdk/v1/events'), {
        method: 'POST',
        headers: { ...sdkHeaders(this.options.sdkKey), 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        signal: requestSignal(this.abort.signal, this.options.requestTimeoutMs ?? 10_000),
      });
      status = response.status;
      discardBody(response);
    } catch (error) {
      if (this.stopped) return 'fatal';
      this.options.onError(
        new Error(`Ringflag could not send events (${describeFailure(error)}); retrying at the next flush`),
        false,
      );
      return 'retry';
    }
    if (status >= 200 && status < 300) return 'sent';
    if (isAuthFailure(status)) {
      this.stop();
      this.options.onError(authError(status, 'POST /sdk/v1/events'), true);
      return 'fatal';
    }
    if (status === 408 || status === 429 || status >= 500) {
      const message = `Ringflag could not send events (HTTP ${status}); retrying at the next flush`;
      this.options.onError(new RingflagHttpError(message, status, false), false);
      return 'retry';
    }
    // The server refused this body (400, 413, …): sending it again would fail the same way.
    const lost = payload.exposures.reduce((sum, line) => sum + line.count, 0);
    this.droppedExposures += lost;
    const message = `Ringflag events were refused (HTTP ${status}); dropped ${payload.events.length} events and ${lost} exposures`;
    this.options.onError(new RingflagHttpError(message, status, false), false);
    return 'rejected';
  }

  /** Moves the counts of the current minute window into pending summary lines. */
  private rollover(): void {
    const lines = this.exposures.take(this.windowMinute);
    this.windowMinute = minuteOf(this.clock.now());
    for (const line of lines) this.addPending(line);
    this.trimPending();
  }

  private addPending(line: ExposureSummary): void {
    const key = `${line.minute}\u0000${line.flag}\u0000${line.variant}`;
    const existing = this.pending.get(key);
    if (existing) existing.count += line.count;
    else this.pending.set(key, { ...line });
  }

  private takePending(max: number): ExposureSummary[] {
    const out: ExposureSummary[] = [];
    for (const [key, line] of this.pending) {
      if (out.length >= max) break;
      out.push(line);
      this.pending.delete(key);
    }
    return out;
  }

  /** Puts lines that failed to send back ahead of newer ones. */
  private returnPending(lines: readonly ExposureSummary[]): void {
    const newer = this.pending;
    this.pending = new Map();
    for (const line of lines) this.addPending(line);
    for (const line of newer.values()) this.addPending(line);
    this.trimPending();
  }

  private trimPending(): void {
    const max = this.options.maxPendingExposures ?? 10_000;
    for (const [key, line] of this.pending) {
      if (this.pending.size <= max) break;
      this.droppedExposures += line.count;
      this.pending.delete(key);
    }
  }

  private reportDrops(): void {
    if (this.invalid.count > 0) {
      const { count, first } = this.invalid;
      this.invalid = { count: 0, first: '' };
      this.options.onError(new TypeError(`Ringflag ignored ${count} track() calls: ${first}`), false);
    }
    const dropped = this.queue.dropped - this.reportedDrops;
    if (dropped === 0) return;
    this.reportedDrops = this.queue.dropped;
    this.options.onError(
      new Error(`Ringflag dropped ${dropped} tracked events: the queue (${this.queue.capacity}) was full`),
      false,
    );
  }

  private scheduleFlush(): void {
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = null;
      void this.flush().then(() => {
        if (!this.stopped && !this.closed) this.scheduleFlush();
      });
    }, this.flushIntervalMs);
  }

  private scheduleRollover(): void {
    const now = this.clock.now();
    this.minuteTimer = this.clock.setTimeout(
      () => {
        this.minuteTimer = null;
        this.rollover();
        if (!this.stopped && !this.closed) this.scheduleRollover();
      },
      (minuteOf(now) + 1) * MINUTE_MS - now,
    );
  }

  private clearTimers(): void {
    if (this.flushTimer !== null) this.clock.clearTimeout(this.flushTimer);
    if (this.minuteTimer !== null) this.clock.clearTimeout(this.minuteTimer);
    this.flushTimer = null;
    this.minuteTimer = null;
  }
}

/** Whole minutes since the Unix epoch. */
function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/** Why the server would refuse this event, or `null`. */
function invalidEvent(event: string, context: Context): string | null {
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME_LENGTH)
    return `the event name must be 1–${MAX_EVENT_NAME_LENGTH} characters, got ${JSON.stringify(String(event).slice(0, 40))}`;
  const parsed = contextSchema.safeParse(context);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  return `the context of "${event}" is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`;
}

/** Waits for `promise`, or `ms` at most. */
function withTimeout(promise: Promise<void>, ms: number, clock: Clock): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    void promise.finally(() => {
      clock.clearTimeout(timer);
      resolve();
    });
  });
}
