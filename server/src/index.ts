/**
 * The Ringflag server. Start it with {@link startServer}, a relay with {@link startRelay}; `createApp` builds the HTTP app alone
 * (for `app.request()` tests). Helpers for tests against a running server are in
 * `@ringflag/server/testing`.
 *
 * @example
 * import { startServer } from '@ringflag/server';
 * const server = await startServer({ dbPath: './data/ringflag.db', port: 4280 });
 */
export { createApp } from './app.js';
export type { AppDeps, AppEnv } from './app-env.js';
export { type Config, ConfigError, loadConfig } from './config.js';
export { loadRelayConfig } from './relay/relay-config.js';
export {
  type RelayStatus,
  type RunningRelay,
  type StartRelayOptions,
  startRelay,
} from './relay/relay-server.js';
export { prepare, type RunningServer, type StartServerOptions, startServer } from './server.js';
export type { SdkPatch } from './stream/change-hub.js';
