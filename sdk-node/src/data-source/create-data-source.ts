import type { RingflagOptions } from '../client.js';
import { BootstrapDataSource } from './bootstrap.js';
import type { DataSource } from './data-source.js';
import { FileCacheDataSource } from './file-cache.js';
import { PollingDataSource } from './polling.js';
import { StreamingDataSource } from './streaming.js';

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

/** The data source a client uses when none is passed: bootstrap offline, else stream or poll. */
export function createDataSource(options: RingflagOptions, online: OnlineSettings | null): DataSource {
  if (options.offline || online === null) {
    return new BootstrapDataSource(options.bootstrap ?? { revision: 0, flags: {}, segments: {} });
  }
  const common = { ...online, clock: options.clock, random: options.random };
  const network =
    options.stream === false
      ? new PollingDataSource({ ...common, intervalMs: options.pollIntervalMs })
      : new StreamingDataSource({
          ...common,
          pollIntervalMs: options.pollIntervalMs,
          heartbeatTimeoutMs: options.heartbeatTimeoutMs,
          backoff: options.reconnectBackoff,
        });
  return options.cacheFile === undefined
    ? network
    : new FileCacheDataSource(network, { path: options.cacheFile, clock: options.clock });
}

function positive(value: number | undefined, name: string): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0))
    throw new TypeError(`Ringflag: ${name} must be a positive number of milliseconds, got ${String(value)}`);
}
