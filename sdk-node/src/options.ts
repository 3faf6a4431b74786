import type { BackoffOptions } from './data-source/backoff.js';
import type { Clock, Random } from './data-source/clock.js';
import type { DataSource } from './data-source/data-source.js';
import type { SdkPayload } from './engine/index.js';

/** Where the SDK writes what it wants a human to know. Never receives a secret. */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

export interface RingflagOptions {
  /** The environment's server SDK key (`rf_srv_…`). Required unless `offline`. */
  sdkKey?: string;
  /** The Ringflag server, e.g. `http://127.0.0.1:4280`. */
  baseUrl?: string;
  /** Never connect; serve `bootstrap` (or every flag's default when there is none). */
  offline?: boolean;
  /** Flag data to start from: an SDK payload object or the path of a JSON file holding one. */
  bootstrap?: SdkPayload | string;
  /** Replaces the built-in data source (tests, custom transports). */
  dataSource?: DataSource;
  /**
   * Where problems are written (the console by default). Transient ones, which the SDK retries, at
   * most once per 30 s (a line counts the ones left out); the `error` event carries every one.
   */
  logger?: Logger;
  /** Stream changes from `GET /sdk/v1/stream` (the default); `false` polls `GET /sdk/v1/flags`. */
  stream?: boolean;
  /** Time between polls when `stream: false`, and while a failing stream falls back to polling. Default 30 s. */
  pollIntervalMs?: number;
  /**
   * A file to keep the last payload in (written atomically, at most once a second). At start the
   * client becomes ready from it if the server does not answer first, and keeps trying the server.
   */
  cacheFile?: string;
  /**
   * Report exposure counts (calls of `isEnabled`, `variation` and `variationDetail` that served a
   * variation; `allFlags` is not an exposure) and `track` events to the server. Default `true`;
   * never when offline.
   */
  sendEvents?: boolean;
  /** Time between background sends of exposures and tracked events. Default 15 s. */
  flushIntervalMs?: number;
  /** Tracked events kept while the server is away; beyond it the oldest are dropped. Default 10 000. */
  maxQueuedEvents?: number;
  /** The stream reconnects after hearing nothing (no event, no heartbeat) for this long. Default 45 s. */
  heartbeatTimeoutMs?: number;
  /**
   * Stream reconnect delays: exponential with full jitter, `{ initialMs: 1000, maxMs: 30000,
   * unreachableMaxMs: 4000 }` by default. While no server answers (a restart, a crash) no delay exceeds
   * `unreachableMaxMs`, so the SDK is back within seconds of the server's return; while the server
   * answers with errors the delays grow to `maxMs`; a `Retry-After` (429, 503) is followed, jittered.
   */
  reconnectBackoff?: BackoffOptions;
  /** The clock of the SDK's timers (tests); the default's timers never keep the process alive. */
  clock?: Clock;
  /** A source of numbers in [0, 1) for jitter (tests); `Math.random` by default. */
  random?: Random;
}

/** The server connection of an online client, once its options are checked. */
export interface OnlineSettings {
  sdkKey: string;
  baseUrl: string;
}

/**
 * Checks the options a client was given, throwing a `TypeError` that says what to pass instead.
 * Returns the server connection when the client is online with a key, else `null`.
 */
export function checkOptions(options: RingflagOptions): OnlineSettings | null {
  positive(options.pollIntervalMs, 'pollIntervalMs');
  positive(options.flushIntervalMs, 'flushIntervalMs');
  positive(options.heartbeatTimeoutMs, 'heartbeatTimeoutMs');
  if (
    options.maxQueuedEvents !== undefined &&
    !(Number.isInteger(options.maxQueuedEvents) && options.maxQueuedEvents >= 0)
  )
    throw new TypeError(
      `Ringflag: maxQueuedEvents must be a whole number ≥ 0, got ${options.maxQueuedEvents}`,
    );
  if (options.cacheFile !== undefined && (typeof options.cacheFile !== 'string' || options.cacheFile === ''))
    throw new TypeError('Ringflag: cacheFile must be a file path');
  if (options.offline) return null;
  if (options.dataSource && options.sdkKey === undefined && options.baseUrl === undefined) return null;
  if (typeof options.sdkKey !== 'string' || options.sdkKey.trim() === '')
    throw new TypeError(
      "Ringflag: sdkKey is required: the environment's server key (rf_srv_…); pass { offline: true, bootstrap } to run without a server",
    );
  if (options.sdkKey.startsWith('rf_cli_'))
    throw new TypeError(
      'Ringflag: sdkKey is a browser key (rf_cli_…); the Node SDK needs a server key (rf_srv_…)',
    );
  if (typeof options.baseUrl !== 'string' || options.baseUrl === '')
    throw new TypeError('Ringflag: baseUrl is required: the Ringflag server, e.g. http://127.0.0.1:4280');
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new TypeError(`Ringflag: baseUrl is not a URL: "${options.baseUrl}" (e.g. http://127.0.0.1:4280)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`Ringflag: baseUrl must be http: or https:, got ${url.protocol}`);
  if (url.search || url.hash) throw new TypeError('Ringflag: baseUrl must not have a query or fragment');
  if (options.bootstrap !== undefined && !options.dataSource)
    throw new TypeError(
      'Ringflag: bootstrap is for offline mode; online, pass cacheFile to start from the last payload when the server is down',
    );
  return { sdkKey: options.sdkKey, baseUrl: url.href.replace(/\/+$/, '') };
}

function positive(value: number | undefined, name: string): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0))
    throw new TypeError(`Ringflag: ${name} must be a positive number of milliseconds, got ${String(value)}`);
}
