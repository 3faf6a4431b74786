/** A JSON value, as flag values travel. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A context attribute value: a string, number or boolean, or an array of those. */
export type ContextValue = string | number | boolean | (string | number | boolean)[];

/**
 * Who the flags are evaluated for. `key` is the identity (bucketing uses it), `groups` the group
 * membership; any other attribute can be used by rules.
 *
 * @example
 * const context: Context = { key: 'user-1', groups: ['beta'], country: 'DE' };
 */
export interface Context {
  key?: string;
  groups?: string[];
  [attribute: string]: ContextValue | undefined;
}

/** Why a result was served; `variant` is `null` exactly when `kind` is `ERROR`. */
export type ErrorKind = 'FLAG_NOT_FOUND' | 'WRONG_TYPE' | 'CLIENT_NOT_READY' | 'MALFORMED_FLAG' | 'GENERAL';

/** The engine's reason object, as the server sends it. */
export interface Reason {
  kind: 'OFF' | 'TARGET_MATCH' | 'RULE_MATCH' | 'PREREQUISITE_FAILED' | 'FALLTHROUGH' | 'ERROR';
  ruleId?: string;
  ruleIndex?: number;
  inRollout?: boolean;
  prerequisiteKey?: string;
  errorKind?: ErrorKind;
}

/** One flag's result for the current context. */
export interface EvaluationDetail<T = JsonValue> {
  value: T;
  variant: string | null;
  reason: Reason;
}

/** Flag results by key: the body of `POST /client/v1/evaluate` and of a stream's `put`. */
export interface FlagValues {
  revision?: number;
  flags: Record<string, EvaluationDetail>;
}

/** The subset of the Web Storage API the cache uses (`localStorage` by default). */
export interface CacheStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Stream reconnect delays: a uniform pick (full jitter) below a ceiling that doubles from `initialMs`
 * with each failure, up to `unreachableMaxMs` while a server the page was streaming from does not
 * answer at all (so the page is back within seconds of a restart), else up to `maxMs`.
 */
export interface BackoffOptions {
  /** The ceiling of the first delay. Default 1 s. */
  initialMs?: number;
  /** The ceiling no delay exceeds. Default 30 s. */
  maxMs?: number;
  /** The ceiling while the server is away after the stream worked. Default 4 s (never above `maxMs`). */
  unreachableMaxMs?: number;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The environment's client key (`rf_cli_…`): public by design, it reads only client-side flag values. */
  clientKey: string;
  /** The Ringflag server, e.g. `https://flags.example.com`. */
  baseUrl: string;
  /** The first context; `identify()` switches to another. Default `{}` (anonymous). */
  context?: Context;
  /** Values rendered by the server (the body of `POST /client/v1/evaluate`), served until fresher ones arrive. */
  bootstrap?: FlagValues;
  /** Where values are cached per context; `localStorage` by default, `null` to keep nothing. */
  storage?: CacheStorage | null;
  /** Stream changes over server-sent events (default); `false` polls instead. */
  stream?: boolean;
  /** Time between polls when not streaming. Default 30 s. */
  pollIntervalMs?: number;
  /** Stream reconnect delays; default `{ initialMs: 1000, maxMs: 30000, unreachableMaxMs: 4000 }`. */
  reconnectBackoff?: BackoffOptions;
  /** Time between sends of exposure counts and tracked events. Default 15 s. */
  flushIntervalMs?: number;
  /** Report exposures and `track` events. Default `true`. */
  sendEvents?: boolean;
  /** Replaces the global `EventSource` (tests, polyfills). */
  EventSource?: EventSourceLike;
  /** Replaces the global `fetch`. */
  fetch?: typeof fetch;
}

/** The parts of a WHATWG `EventSource` the client uses. */
export interface EventSourceConnection {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
  onerror: ((event: Event) => void) | null;
}

/** The constructor of a WHATWG `EventSource` (the global one by default). */
export type EventSourceLike = new (url: string) => EventSourceConnection;

/** The events of a {@link RingflagClient}. */
export interface ClientEvents {
  /** Fresh values arrived from the server for the first time. */
  ready: undefined;
  /** Values changed (a stream patch, a poll, `identify`): the keys whose value or variant changed. */
  change: { keys: string[] };
  /** The server could not be reached or refused the key; the client keeps serving what it has. */
  error: Error;
}

/** Widens a literal default (`false`, `'blue'`) to its type, so `variation` returns `boolean`, `string`. */
export type Widen<T> = T extends boolean
  ? boolean
  : T extends string
    ? string
    : T extends number
      ? number
      : T;

/** A browser client: reads are synchronous, from memory. */
export interface RingflagClient {
  /**
   * Settles after the first answer from the server: resolves with fresh values, or when the server
   * cannot be reached (cached, bootstrapped or default values are served meanwhile); rejects when
   * the key is refused (401/403).
   */
  ready(): Promise<void>;
  /** Whether a boolean flag is on; `false` when it is missing or not boolean. */
  isEnabled(key: string): boolean;
  /** The flag's value, or `defaultValue` when it is missing or of another type. */
  variation<T extends JsonValue>(key: string, defaultValue: T): Widen<T>;
  /** The flag's value with its variant and reason. */
  variationDetail<T extends JsonValue>(key: string, defaultValue: T): EvaluationDetail<Widen<T>>;
  /** Every visible flag's value. Not counted as exposures. */
  allFlags(): Record<string, JsonValue>;
  /** The current context. */
  context(): Context;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends keyof ClientEvents>(event: E, handler: (payload: ClientEvents[E]) => void): () => void;
  /**
   * Switches to another context: its cached values at once (if any), then fresh ones. Settles like
   * `ready()`, for the new context.
   */
  identify(context: Context): Promise<void>;
  /** Records that the current context did `event` (a checkout error, a purchase), for guarded rollouts. */
  track(event: string): void;
  /** Sends pending events and stops every connection and timer. */
  close(): void;
}
