/**
 * `@ringflag/sdk-node`: the Ringflag server-side SDK.
 *
 * @example
 * import { Ringflag } from '@ringflag/sdk-node';
 * const flags = new Ringflag({ offline: true, bootstrap: './flags.json' });
 * await flags.ready();
 * flags.isEnabled('new-checkout', { key: 'user-1', groups: ['beta'] });
 */
export type { RingflagEvents, Widen } from './client.js';
export { Ringflag } from './client.js';
export type { BackoffOptions } from './data-source/backoff.js';
export { BootstrapDataSource } from './data-source/bootstrap.js';
export type { Clock, Random, TimerHandle } from './data-source/clock.js';
export type { DataSink, DataSource } from './data-source/data-source.js';
export { FileCacheDataSource, type FileCacheOptions, writeAtomically } from './data-source/file-cache.js';
export { RingflagHttpError } from './data-source/http.js';
export { PollingDataSource, type PollingOptions } from './data-source/polling.js';
export { StreamingDataSource, type StreamingOptions } from './data-source/streaming.js';
export type {
  Context,
  ErrorKind,
  EvaluationDetail,
  EvaluationReason,
  FlagConfig,
  JsonValue,
  SdkPatch,
  SdkPayload,
  Segment,
} from './engine/index.js';
export type { EventsPayload, ExposureSummary, TrackedEvent } from './events/types.js';
export type { Logger, RingflagOptions } from './options.js';
