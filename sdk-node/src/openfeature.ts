/**
 * `@ringflag/sdk-node/openfeature`: an OpenFeature server provider backed by a {@link Ringflag}
 * client, so flags are evaluated locally by the Ringflag engine and stay current through its stream.
 *
 * @example
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { RingflagProvider } from '@ringflag/sdk-node/openfeature';
 * await OpenFeature.setProviderAndWait(new RingflagProvider({ sdkKey, baseUrl }));
 * const client = OpenFeature.getClient();
 * await client.getBooleanValue('new-checkout', false, { targetingKey: 'user-1', groups: ['beta'] });
 */
import type {
  EvaluationContext,
  EvaluationContextValue,
  JsonValue as OpenFeatureJson,
  Provider,
  ResolutionDetails,
  ResolutionReason,
  TrackingEventDetails,
} from '@openfeature/server-sdk';
import { ErrorCode, OpenFeatureEventEmitter, ProviderEvents } from '@openfeature/server-sdk';
import { Ringflag } from './client.js';
import type { AttributeValue, Context, ErrorKind, EvaluationDetail, JsonValue } from './engine/index.js';
import type { RingflagOptions } from './options.js';

const ERROR_CODES: Record<ErrorKind, ErrorCode> = {
  FLAG_NOT_FOUND: ErrorCode.FLAG_NOT_FOUND,
  WRONG_TYPE: ErrorCode.TYPE_MISMATCH,
  MALFORMED_FLAG: ErrorCode.PARSE_ERROR,
  CLIENT_NOT_READY: ErrorCode.PROVIDER_NOT_READY,
  GENERAL: ErrorCode.GENERAL,
};

const ERROR_MESSAGES: Record<ErrorKind, string> = {
  FLAG_NOT_FOUND: 'No flag with this key in the environment',
  WRONG_TYPE: 'The flag is of another type than the default value',
  MALFORMED_FLAG: 'The flag configuration is malformed',
  CLIENT_NOT_READY: 'The Ringflag client has no flag data yet',
  GENERAL: 'The flag could not be evaluated',
};

/**
 * An OpenFeature context as a Ringflag context: `targetingKey` becomes `key`; strings, numbers,
 * booleans and arrays of them pass as they are, dates become epoch milliseconds (what the `before` and
 * `after` operators compare), and nested objects are left out (Ringflag contexts are flat).
 *
 * @example
 * toRingflagContext({ targetingKey: 'user-1', groups: ['beta'] }); // { key: 'user-1', groups: ['beta'] }
 */
export function toRingflagContext(context: EvaluationContext): Context {
  const out: Context = {};
  for (const [name, value] of Object.entries(context)) {
    if (name === 'targetingKey') continue;
    const attribute = toAttribute(value);
    if (attribute !== undefined) out[name] = attribute;
  }
  if (typeof context.targetingKey === 'string') out.key = context.targetingKey;
  return out;
}

function toAttribute(value: EvaluationContextValue): AttributeValue | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) {
    const items: (string | number | boolean)[] = [];
    for (const item of value) {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') items.push(item);
      else if (item instanceof Date) items.push(item.getTime());
    }
    return items;
  }
  return undefined;
}

/**
 * Our result as OpenFeature resolution details. Reasons: `OFF` → `DISABLED`; served by a rollout →
 * `SPLIT`; an individual target or a rule → `TARGETING_MATCH`; anything else (fallthrough, failed
 * prerequisite, outside a rollout) → `DEFAULT`; errors → `ERROR` with the matching error code
 * (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`, `PARSE_ERROR`, `PROVIDER_NOT_READY`, `GENERAL`). The rule id,
 * rule index, `inRollout` and a failed prerequisite's key are in `flagMetadata`.
 */
export function toResolution<T>(detail: EvaluationDetail<T>): ResolutionDetails<T> {
  const reason = detail.reason;
  if (reason.kind === 'ERROR') {
    return {
      value: detail.value,
      reason: 'ERROR',
      errorCode: ERROR_CODES[reason.errorKind],
      errorMessage: ERROR_MESSAGES[reason.errorKind],
      flagMetadata: {},
    };
  }
  const flagMetadata: Record<string, string | number | boolean> = {};
  let mapped: ResolutionReason = 'DEFAULT';
  switch (reason.kind) {
    case 'OFF':
      mapped = 'DISABLED';
      break;
    case 'TARGET_MATCH':
      mapped = 'TARGETING_MATCH';
      break;
    case 'RULE_MATCH':
      mapped = reason.inRollout === true ? 'SPLIT' : 'TARGETING_MATCH';
      flagMetadata.ruleId = reason.ruleId;
      flagMetadata.ruleIndex = reason.ruleIndex;
      if (reason.inRollout !== undefined) flagMetadata.inRollout = reason.inRollout;
      break;
    case 'FALLTHROUGH':
      mapped = reason.inRollout === true ? 'SPLIT' : 'DEFAULT';
      if (reason.inRollout !== undefined) flagMetadata.inRollout = reason.inRollout;
      break;
    case 'PREREQUISITE_FAILED':
      if (reason.prerequisiteKey !== undefined) flagMetadata.prerequisiteKey = reason.prerequisiteKey;
      break;
  }
  return {
    value: detail.value,
    ...(detail.variant === null ? {} : { variant: detail.variant }),
    reason: mapped,
    flagMetadata,
  };
}

/**
 * An OpenFeature server-sdk provider over a Ringflag client (given, or built from its options).
 * `initialize()` waits for the client's first data; `ProviderEvents.ConfigurationChanged` carries the
 * keys of the flags that may have changed (`flagsChanged`), one event per batch of changes;
 * `onClose()` closes the client. Evaluation never throws: it returns the default with a reason of
 * `ERROR` and an error code.
 *
 * @example
 * const provider = new RingflagProvider({ sdkKey: 'rf_srv_…', baseUrl: 'http://127.0.0.1:4280' });
 * await OpenFeature.setProviderAndWait(provider);
 */
export class RingflagProvider implements Provider {
  readonly metadata = { name: 'Ringflag' } as const;
  readonly runsOn = 'server';
  readonly events = new OpenFeatureEventEmitter();
  /** The client the provider evaluates with. */
  readonly client: Ringflag;
  private pending: Set<string> | null = null;
  private readonly unsubscribe: () => void;

  constructor(clientOrOptions: Ringflag | RingflagOptions) {
    this.client = clientOrOptions instanceof Ringflag ? clientOrOptions : new Ringflag(clientOrOptions);
    this.unsubscribe = this.client.on('change', ({ key }) => this.changed(key));
  }

  /** Resolves once the client has flag data; rejects when its key is refused. */
  async initialize(): Promise<void> {
    await this.client.ready();
  }

  async onClose(): Promise<void> {
    this.unsubscribe();
    await this.client.close();
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  async resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  async resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  async resolveObjectEvaluation<T extends OpenFeatureJson>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    if (typeof defaultValue !== 'object') {
      return toResolution<T>({
        value: defaultValue,
        variant: null,
        reason: { kind: 'ERROR', errorKind: 'WRONG_TYPE' },
      });
    }
    return this.resolve(flagKey, defaultValue, context);
  }

  /** `client.track(event, context)`: tracked events feed guarded rollouts. */
  track(trackingEventName: string, context: EvaluationContext, _details?: TrackingEventDetails): void {
    this.client.track(trackingEventName, toRingflagContext(context));
  }

  private resolve<T>(flagKey: string, defaultValue: T, context: EvaluationContext): ResolutionDetails<T> {
    // An object default asks for a JSON flag; `null` would accept any kind, so it stays an object.
    const detail = this.client.variationDetail(
      flagKey,
      toRingflagContext(context),
      (defaultValue ?? {}) as JsonValue,
    ) as EvaluationDetail<unknown>;
    const resolution = toResolution(detail) as ResolutionDetails<T>;
    if (resolution.errorCode !== undefined) resolution.value = defaultValue;
    return resolution;
  }

  /** The client emits one `change` per flag; OpenFeature hears one event per batch. */
  private changed(key: string): void {
    if (this.pending) {
      this.pending.add(key);
      return;
    }
    this.pending = new Set([key]);
    queueMicrotask(() => {
      const flagsChanged = [...(this.pending ?? [])];
      this.pending = null;
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
    });
  }
}
