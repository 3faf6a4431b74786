/**
 * `@ringflag/sdk-node`: the Ringflag server-side SDK.
 *
 * @example
 * import { Ringflag } from '@ringflag/sdk-node';
 * const flags = new Ringflag({ offline: true, bootstrap: './flags.json' });
 * await flags.ready();
 * flags.isEnabled('new-checkout', { key: 'user-1', groups: ['beta'] });
 */
export type { Logger, RingflagEvents, RingflagOptions, Widen } from './client.js';
export { Ringflag } from './client.js';
export { BootstrapDataSource } from './data-source/bootstrap.js';
export type { DataSink, DataSource } from './data-source/data-source.js';
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
