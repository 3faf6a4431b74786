import { type ErrorEvent, EventSource, type EventSourceFetchInit, type FetchLikeResponse } from 'eventsource';
import type { SdkPatch, SdkPayload } from '../engine/index.js';
import { Backoff, type BackoffOptions, type FailureKind, retryAfterMs } from './backoff.js';
import { type Clock, type Random, systemClock, type TimerHandle } from './clock.js';
import type { DataSink, DataSource } from './data-source.js';
import { authError, discardBody, isAuthFailure, sdkHeaders, sdkUrl } from './http.js';
import { parseJson, parsePatch, parsePayload } from './parse.js';
import { PollingDataSource } from './polling.js';

export interface StreamingOptions {
  sdkKey: string;
  baseUrl: string;
  /** Reconnect when nothing (no event, no heartbeat comment) arrived for this long. Default 45 s. */
  heartbeatTimeoutMs?: number;
  /**
   * Reconnect delays: full jitter, from 1 s up to 4 s while no server answers, up to 30 s while it
   * answers with errors; a `Retry-After` is followed.
   */
  backoff?: BackoffOptions;
  /** A connection open this long counts as healthy: the next failure starts from the first delay. Default 60 s. */
  healthyAfterMs?: number;
  /** Consecutive stream failures before polling starts alongside the reconnect attempts. Default 3. */
  pollFallbackAfterFailures?: number;
  /** The poll interval while falling back. Default 30 s. */
  pollIntervalMs?: number;
  clock?: Clock;
  random?: Random;
}

export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 45_000;

/**
 * Streams the environment's flags from `GET /sdk/v1/stream` (DESIGN §7): a `put` carries the full
 * payload, a `patch` the changes; every event's id is the revision, sent back as `Last-Event-ID` on
 * reconnect so the server replays only what was missed.
 *
 * The SDK owns reconnection rather than the EventSource's fixed 3 s retry: a watchdog reconnects when
 * the connection went silent (a proxy can hold a dead socket open for hours), delays back off with
 * full jitter, and after a few failures polling fills in until a stream `put` arrives again.
 * While no server answers (a restart, a crash) the delays stay under a low ceiling, so every SDK is
 * back within seconds of the server's return; a server that answers with errors is given up to 30 s,
 * and one that answers `Retry-After` (429, 503 at stream capacity) gets the pause it asked for.
 * 401/403 stop everything for good.
 */
export class StreamingDataSource implements DataSource {
  private sink: DataSink | null = null;
  private source: EventSource | null = null;
  private abort: AbortController | null = null;
  /** Numbers connections; callbacks of an older connection are ignored. */
  private generation = 0;
  private openedAt: number | null = null;
  private lastActivity = 0;
  private watchdog: TimerHandle | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private lastEventId: string | null = null;
  /** The `Retry-After` of the current attempt's refusal, in ms, when the server sent one. */
  private retryAfter: number | undefined;
  /** The revision of the data last delivered; -1 before any. */
  private revision = -1;
  private poller: PollingDataSource | null = null;
  private pollerRunning = false;
  private stopped = false;
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly heartbeatTimeoutMs: number;

  constructor(private readonly options: StreamingOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff(options.backoff ?? {}, this.random);
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  }

  start(sink: DataSink): void {
    this.sink = sink;
    this.connect();
  }

  async close(): Promise<void> {
    this.stop();
  }

  /** Whether the polling fallback is running (for diagnostics and tests). */
  get polling(): boolean {
    return this.pollerRunning;
  }

  /** When the current connection last received a byte (an event or a heartbeat), by the clock. */
  get lastHeardAt(): number {
    return this.lastActivity;
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopped) return;
    const generation = ++this.generation;
    const abort = new AbortController();
    this.abort = abort;
    this.openedAt = null;
    this.retryAfter = undefined;
    this.lastActivity = this.clock.now();
    this.armWatchdog(generation, this.heartbeatTimeoutMs);
    const headers = sdkHeaders(this.options.sdkKey);
    if (this.lastEventId !== null) headers['Last-Event-ID'] = this.lastEventId;
    const source = new EventSource(sdkUrl(this.options.baseUrl, '/sdk/v1/stream'), {
      fetch: (url, init) => this.fetchStream(generation, abort.signal, url, init, headers),
    });
    source.addEventListener('open', () => {
      if (generation !== this.generation) return;
      this.openedAt = this.clock.now();
      this.sink?.open?.();
    });
    source.addEventListener('put', (event) => this.onPut(generation, event));
    source.addEventListener('patch', (event) => this.onPatch(generation, event));
    source.addEventListener('error', (event) => this.onError(generation, event));
    this.source = source;
  }

  /**
   * Fetches the stream with the SDK's headers and watches the bytes as they arrive: any chunk, an
   * event or a heartbeat comment (which EventSource never surfaces), proves the connection alive.
   */
  private async fetchStream(
    generation: number,
    signal: AbortSignal,
    url: string | URL,
    init: EventSourceFetchInit,
    headers: Record<string, string>,
  ): Promise<FetchLikeResponse> {
    const response = await fetch(url, {
      ...init,
      headers: { ...init.headers, ...headers },
      signal: AbortSignal.any([init.signal as AbortSignal, signal]),
    });
    const touch = () => {
      if (generation === this.generation) this.lastActivity = this.clock.now();
    };
    touch();
    const streaming =
      response.status === 200 &&
      (response.headers.get('content-type') ?? '').startsWith('text/event-stream') &&
      response.body !== null;
    if (!streaming) {
      if (generation === this.generation)
        this.retryAfter = retryAfterMs(response.headers.get('retry-after'), this.clock.now());
      // EventSource leaves the body of a refused response unread, which would hold the socket open.
      discardBody(response);
      return {
        body: null,
        url: response.url,
        status: response.status,
        redirected: false,
        headers: response.headers,
      };
    }
    const heard = () => {
      touch();
      // Bytes on an open stream prove it works again: it carries every change from here on. (A
      // reconnect with a current Last-Event-ID gets no put, so waiting for one is not enough.)
      if (generation === this.generation) this.stopPolling();
    };
    const body = (response.body as ReadableStream<Uint8Array>).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          heard();
          controller.enqueue(chunk);
        },
      }),
    );
    return { body, url: response.url, status: 200, redirected: false, headers: response.headers };
  }

  private onPut(generation: number, event: MessageEvent): void {
    if (generation !== this.generation || this.stopped) return;
    let payload: SdkPayload;
    try {
      payload = parsePayload(parseJson(String(event.data), 'stream put'), 'stream put');
    } catch (error) {
      this.lastEventId = null;
      this.fail((error as Error).message, 'answered');
      return;
    }
    this.revision = payload.revision;
    this.lastEventId = event.lastEventId || String(payload.revision);
    this.sink?.init(payload);
  }

  private onPatch(generation: number, event: MessageEvent): void {
    if (generation !== this.generation || this.stopped) return;
    let patch: SdkPatch;
    try {
      patch = parsePatch(parseJson(String(event.data), 'stream patch'), 'stream patch');
    } catch (error) {
      // Without this patch the data would be wrong from here on: ask for a fresh put.
      this.lastEventId = null;
      this.fail((error as Error).message, 'answered');
      return;
    }
    // A replayed or reordered patch that the data already contains.
    if (patch.revision <= this.revision) return;
    this.revision = patch.revision;
    this.lastEventId = event.lastEventId || String(patch.revision);
    this.sink?.patch(patch);
  }

  private onError(generation: number, event: ErrorEvent): void {
    if (generation !== this.generation || this.stopped) return;
    const status = event.code;
    if (status !== undefined && isAuthFailure(status)) {
      this.fatal(authError(status, 'GET /sdk/v1/stream'));
      return;
    }
    let reason = `failed: ${event.message ?? 'connection lost'}`;
    if (status === 200) reason = `answered HTTP 200 but not with an event stream (${event.message})`;
    else if (status !== undefined) reason = `answered HTTP ${status}`;
    this.fail(reason, failureKind(status, this.retryAfter), this.retryAfter);
  }

  private armWatchdog(generation: number, ms: number): void {
    this.watchdog = this.clock.setTimeout(() => {
      if (generation !== this.generation || this.stopped) return;
      const silent = this.clock.now() - this.lastActivity;
      if (silent >= this.heartbeatTimeoutMs)
        this.fail(`went silent for ${silent} ms (no event, no heartbeat)`, 'unreachable');
      else this.armWatchdog(generation, this.heartbeatTimeoutMs - silent);
    }, ms);
  }

  /** Drops the connection, reports why, and schedules the next attempt. */
  private fail(reason: string, kind: FailureKind, retryAfter?: number): void {
    const healthy =
      this.openedAt !== null && this.clock.now() - this.openedAt >= (this.options.healthyAfterMs ?? 60_000);
    this.dropConnection();
    if (healthy) this.backoff.reset();
    const delay = this.backoff.next(kind, retryAfter);
    if (this.backoff.failures >= (this.options.pollFallbackAfterFailures ?? 3)) this.startPolling();
    this.sink?.error(new Error(`Ringflag stream ${reason}; reconnecting in ${delay} ms`), false);
    if (this.stopped) return;
    this.reconnectTimer = this.clock.setTimeout(() => this.connect(), delay);
  }

  private fatal(error: Error): void {
    this.stop();
    this.sink?.error(error, true);
  }

  private dropConnection(): void {
    this.generation += 1;
    if (this.watchdog !== null) this.clock.clearTimeout(this.watchdog);
    this.watchdog = null;
    const source = this.source;
    source?.close();
    // EventSource arms its own (ref'ed) 3 s retry timer right after dispatching an error; closing
    // again once the handler returned clears it, so no timer outlives the connection.
    if (source) queueMicrotask(() => source.close());
    this.source = null;
    this.abort?.abort();
    this.abort = null;
    this.openedAt = null;
  }

  private startPolling(): void {
    if (this.pollerRunning || this.stopped) return;
    this.pollerRunning = true;
    this.poller ??= new PollingDataSource({
      sdkKey: this.options.sdkKey,
      baseUrl: this.options.baseUrl,
      intervalMs: this.options.pollIntervalMs,
      clock: this.clock,
      random: this.random,
    });
    this.poller.start({
      init: (payload) => {
        // The same revision is the same data; a lower one may be a reset server, so it is taken.
        if (payload.revision === this.revision) return;
        this.revision = payload.revision;
        this.lastEventId = String(payload.revision);
        this.sink?.init(payload);
      },
      patch: (patch) => this.sink?.patch(patch),
      error: (error, fatal) => (fatal ? this.fatal(error) : this.sink?.error(error, false)),
    });
  }

  private stopPolling(): void {
    if (!this.pollerRunning) return;
    this.pollerRunning = false;
    this.poller?.stop();
  }

  private stop(): void {
    this.stopped = true;
    this.dropConnection();
    if (this.reconnectTimer !== null) this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopPolling();
    void this.poller?.close();
  }
}

/**
 * How a failed stream attempt counts for the backoff: no HTTP answer (refused, reset, dropped), or a
 * gateway's 502/503/504 without `Retry-After` (the server behind it is away), is `unreachable`;
 * any other answer is the server's own.
 */
function failureKind(status: number | undefined, retryAfter: number | undefined): FailureKind {
  if (status === undefined) return 'unreachable';
  return retryAfter === undefined && (status === 502 || status === 503 || status === 504)
    ? 'unreachable'
    : 'answered';
}
