/**
 * `@ringflag/sdk-browser`: flag values for the browser, evaluated by the Ringflag server for the
 * page's context (never the rules), streamed as they change and cached per context.
 *
 * @example
 * import { createClient } from '@ringflag/sdk-browser';
 * const client = createClient({ clientKey: 'rf_cli_…', baseUrl: 'https://flags.example.com', context: { key: 'user-1' } });
 * await client.ready();
 * client.isEnabled('new-checkout');
 */
export { createClient } from './client.js';
export type {
  BackoffOptions,
  CacheStorage,
  ClientEvents,
  ClientOptions,
  Context,
  ContextValue,
  ErrorKind,
  EvaluationDetail,
  EventSourceConnection,
  EventSourceLike,
  FlagValues,
  JsonValue,
  Reason,
  RingflagClient,
  Widen,
} from './types.js';
