/**
 * `@ringflag/sdk-browser/openfeature`: an OpenFeature web-sdk provider backed by the Ringflag browser
 * client. Kept out of the core entry so apps that do not use OpenFeature do not pay for it.
 *
 * @example
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { RingflagWebProvider } from '@ringflag/sdk-browser/openfeature';
 * await OpenFeature.setContext({ targetingKey: 'user-1' });
 * await OpenFeature.setProviderAndWait(new RingflagWebProvider({ clientKey: 'rf_cli_…', baseUrl }));
 * OpenFeature.getClient().getBooleanValue('new-checkout', false);
 */
import {
  ErrorCode,
  type EvaluationContext,
  OpenFeatureEventEmitter,
  type JsonValue as OpenFeatureJson,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  StandardResolutionReasons,
} from '@openfeature/web-sdk';
import { createClient } from './index.js';
import type {
  ClientOptions,
  Context,
  ContextValue,
  ErrorKind,
  EvaluationDetail,
  Reason,
  RingflagClient,
} from './types.js';

/** Options of {@link RingflagWebProvider}: the client's, except the context, which OpenFeature supplies. */
export type RingflagProviderOptions = Omit<ClientOptions, 'context'>;

const ERROR_CODES: Record<ErrorKind, ErrorCode> = {
  FLAG_NOT_FOUND: ErrorCode.FLAG_NOT_FOUND,
  WRONG_TYPE: ErrorCode.TYPE_MISMATCH,
  CLIENT_NOT_READY: ErrorCode.PROVIDER_NOT_READY,
  MALFORMED_FLAG: ErrorCode.PARSE_ERROR,
  GENERAL: ErrorCode.GENERAL,
};

/**
 * Ringflag's reason in OpenFeature's words: `OFF` → `DISABLED`, a rollout → `SPLIT`, a target or rule
 * → `TARGETING_MATCH`, the fallthrough or a failed prerequisite → `DEFAULT`, errors → `ERROR`.
 */
export function openFeatureReason(reason: Reason): string {
  if (reason.kind === 'ERROR') return StandardResolutionReasons.ERROR;
  if (reason.kind === 'OFF') return StandardResolutionReasons.DISABLED;
  if (reason.inRollout) return StandardResolutionReasons.SPLIT;
  if (reason.kind === 'TARGET_MATCH' || reason.kind === 'RULE_MATCH')
    return StandardResolutionReasons.TARGETING_MATCH;
  return StandardResolutionReasons.DEFAULT;
}

const isScalar = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/**
 * An OpenFeature evaluation context as a Ringflag context: `targetingKey` becomes `key`; dates become
 * ISO strings; scalars and arrays of scalars are kept; nested objects are dropped (rules cannot use them).
 *
 * @example
 * toRingflagContext({ targetingKey: 'user-1', groups: ['beta'] }); // { key: 'user-1', groups: ['beta'] }
 */
export function toRingflagContext(context: EvaluationContext): Context {
  const result: Context = {};
  for (const [name, raw] of Object.entries(context)) {
    const value = raw instanceof Date ? raw.toISOString() : raw;
    const kept: ContextValue | undefined = isScalar(value)
      ? value
      : Array.isArray(value) && value.every(isScalar)
        ? (value as (string | number | boolean)[])
        : undefined;
    if (kept !== undefined) result[name === 'targetingKey' ? 'key' : name] = kept;
  }
  return result;
}

function resolution<T>(detail: EvaluationDetail<T>): ResolutionDetails<T> {
  const { reason } = detail;
  return {
    value: detail.value,
    variant: detail.variant ?? undefined,
    reason: openFeatureReason(reason),
    ...(reason.ruleId !== undefined && { flagMetadata: { ruleId: reason.ruleId } }),
    ...(reason.kind === 'ERROR' && {
      errorCode: ERROR_CODES[reason.errorKind ?? 'GENERAL'],
      errorMessage: `Ringflag: ${reason.errorKind ?? 'GENERAL'}`,
    }),
  };
}

/**
 * An OpenFeature web provider for Ringflag. The client starts in `initialize` with OpenFeature's
 * context, `onContextChange` switches it with `identify`, and every update emits
 * `ConfigurationChanged` with the changed flag keys. A refused key fails initialization.
 */
export class RingflagWebProvider implements Provider {
  readonly metadata = { name: 'ringflag' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private ringflag: RingflagClient | undefined;

  constructor(private readonly options: RingflagProviderOptions) {}

  /** The underlying client, once initialized (for `isEnabled`, `allFlags`, …). */
  get client(): RingflagClient | undefined {
    return this.ringflag;
  }

  async initialize(context: EvaluationContext = {}): Promise<void> {
    const client = createClient({ ...this.options, context: toRingflagContext(context) });
    this.ringflag = client;
    client.on('change', ({ keys }) =>
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: keys }),
    );
    await client.ready();
  }

  async onContextChange(_old: EvaluationContext, next: EvaluationContext): Promise<void> {
    await this.ringflag?.identify(toRingflagContext(next));
  }

  async onClose(): Promise<void> {
    this.ringflag?.close();
    this.ringflag = undefined;
  }

  track(event: string): void {
    this.ringflag?.track(event);
  }

  resolveBooleanEvaluation(key: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.resolve(key, defaultValue);
  }

  resolveStringEvaluation(key: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolve(key, defaultValue);
  }

  resolveNumberEvaluation(key: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolve(key, defaultValue);
  }

  resolveObjectEvaluation<T extends OpenFeatureJson>(key: string, defaultValue: T): ResolutionDetails<T> {
    const detail = this.ringflag?.variationDetail(key, defaultValue as never);
    return detail
      ? resolution({ ...detail, value: detail.value as unknown as T })
      : resolution({
          value: defaultValue,
          variant: null,
          reason: { kind: 'ERROR', errorKind: 'CLIENT_NOT_READY' },
        });
  }

  private resolve<T extends boolean | string | number>(key: string, defaultValue: T): ResolutionDetails<T> {
    const detail = this.ringflag?.variationDetail(key, defaultValue) ?? {
      value: defaultValue,
      variant: null,
      reason: { kind: 'ERROR', errorKind: 'CLIENT_NOT_READY' } as Reason,
    };
    return resolution({ ...detail, value: detail.value as T });
  }
}
