/**
 * The Ringflag server. Start it with {@link startServer}; `createApp` builds the HTTP app alone
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
export { prepare, type RunningServer, type StartServerOptions, startServer } from './server.js';
export type { SdkPatch } from './stream/change-hub.js';
