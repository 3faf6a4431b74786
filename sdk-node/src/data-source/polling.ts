import type { SdkPayload } from '../engine/index.js';
import { type Clock, type Random, systemClock, type TimerHandle } from './clock.js';
import type { DataSink, DataSource } from './data-source.js';
import {
  authError,
  describeFailure,
  discardBody,
  isAuthFailure,
  RingflagHttpError,
  requestSignal,
  sdkHeaders,
  sdkUrl,
} from './http.js';
import { parseJson, parsePayload } from './parse.js';

export interface PollingOptions {
  sdkKey: string;
  baseUrl: string;
  /** Time between polls, jittered by ±10% so a fleet does not poll in step. Default 30 s. */
  intervalMs?: number;
  /** A poll that takes longer is abandoned and counts as a failure. Default 10 s. */
  requestTimeoutMs?: number;
  clock?: Clock;
  random?: Random;
}

export const DEFAULT_POLL_INTERVAL_MS = 30_000;

/**
 * Polls `GET /sdk/v1/flags` with `If-None-Match`, so an unchanged environment costs a `304` and no
 * body. Used on its own (`stream: false`) and by the streaming source while the stream is down.
 * 401/403 stop it for good; any other failure is reported and the next poll happens on schedule.
 *
 * @example
 * new Ringflag({ sdkKey, baseUrl, stream: false, pollIntervalMs: 60_000 });
 */
export class PollingDataSource implements DataSource {
  private sink: DataSink | null = null;
  private etag: string | null = null;
  private timer: TimerHandle | null = null;
  private controller: AbortController | null = null;
  private running = false;
  private closed = false;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly intervalMs: number;

  constructor(private readonly options: PollingOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  /** Starts polling now (or resumes after {@link stop}); the first poll is immediate. */
  start(sink: DataSink): void {
    if (this.closed || this.running) return;
    this.sink = sink;
    this.running = true;
    void this.poll();
  }

  /** Pauses polling: cancels the pending poll and any request in flight. `start` resumes. */
  stop(): void {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.controller?.abort();
    this.controller = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
  }

  private async poll(): Promise<void> {
    this.timer = null;
    const controller = new AbortController();
    this.controller = controller;
    const outcome = await this.fetchFlags(controller.signal);
    if (controller.signal.aborted || !this.running) return;
    this.controller = null;
    const sink = this.sink as DataSink;
    if (outcome.kind === 'fatal') {
      this.stop();
      sink.error(outcome.error, true);
      return;
    }
    if (outcome.kind === 'error') sink.error(outcome.error, false);
    if (outcome.kind === 'payload') sink.init(outcome.payload);
    this.timer = this.clock.setTimeout(() => void this.poll(), this.nextDelay());
  }

  private nextDelay(): number {
    return Math.round(this.intervalMs * (0.9 + 0.2 * this.random()));
  }

  private async fetchFlags(signal: AbortSignal): Promise<PollOutcome> {
    const headers = sdkHeaders(this.options.sdkKey);
    if (this.etag !== null) headers['If-None-Match'] = this.etag;
    try {
      const response = await fetch(sdkUrl(this.options.baseUrl, '/sdk/v1/flags'), {
        headers,
        signal: requestSignal(signal, this.options.requestTimeoutMs ?? 10_000),
      });
      if (response.status === 304) {
        discardBody(response);
        return { kind: 'unchanged' };
      }
      if (isAuthFailure(response.status)) {
        discardBody(response);
        return { kind: 'fatal', error: authError(response.status, 'GET /sdk/v1/flags') };
      }
      if (response.status !== 200) {
        discardBody(response);
        const message = `Ringflag poll failed: GET /sdk/v1/flags answered HTTP ${response.status}`;
        return { kind: 'error', error: new RingflagHttpError(message, response.status, false) };
      }
      const payload = parsePayload(parseJson(await response.text(), 'polled payload'), 'polled payload');
      // Remember the ETag only for a body we could use, so a bad body is fetched again in full.
      this.etag = response.headers.get('etag');
      return { kind: 'payload', payload };
    } catch (error) {
      return { kind: 'error', error: new Error(`Ringflag poll failed: ${describeFailure(error)}`) };
    }
  }
}

type PollOutcome =
  | { kind: 'payload'; payload: SdkPayload }
  | { kind: 'unchanged' }
  | { kind: 'error'; error: Error }
  | { kind: 'fatal'; error: Error };
