import type { OnlineSettings, RingflagOptions } from '../options.js';
import { BootstrapDataSource } from './bootstrap.js';
import type { DataSource } from './data-source.js';
import { FileCacheDataSource } from './file-cache.js';
import { PollingDataSource } from './polling.js';
import { StreamingDataSource } from './streaming.js';

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
