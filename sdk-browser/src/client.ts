import { createCache, defaultStorage } from './cache.js';
import { createEventQueue } from './events.js';
import { startTransport } from './transport.js';
import type {
  ClientEvents,
  ClientOptions,
  Context,
  ErrorKind,
  EvaluationDetail,
  FlagValues,
  JsonValue,
  RingflagClient,
  Widen,
} from './types.js';

type Handler = (payload: never) => void;

const sameResult = (a: EvaluationDetail | undefined, b: EvaluationDetail | undefined) =>
  JSON.stringify(a && [a.value, a.variant]) === JSON.stringify(b && [b.value, b.variant]);

/**
 * Creates a browser client for one environment's client-side flags. Values for the context come
 * from the server (evaluated there: the browser never sees rules), stream in as they change, and are
 * cached per context in `localStorage`, so a reload renders the last known values at once.
 *
 * @example
 * const client = createClient({ clientKey: 'rf_cli_…', baseUrl: 'https://flags.example.com',
 *   context: { key: 'user-1' } });
 * client.on('change', () => render());
 * await client.ready();
 * if (client.isEnabled('new-checkout')) showNewCheckout();
 */
export function createClient(options: ClientOptions): RingflagClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const { clientKey } = options;
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  const Source = options.stream === false ? undefined : (options.EventSource ?? globalThis.EventSource);
  const cache = createCache(options.storage === undefined ? defaultStorage() : options.storage, clientKey);
  const queue =
    options.sendEvents === false
      ? undefined
      : createEventQueue(baseUrl, clientKey, send, options.flushIntervalMs ?? 15_000);
  const handlers: Record<string, Set<Handler>> = {};
  let context: Context = {};
  let flags: Record<string, EvaluationDetail> = {};
  let revision = 0;
  let loaded = false;
  let readyEmitted = false;
  let stop = () => {};

  const emit = <E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]) => {
    const listeners = handlers[event];
    if (event === 'error' && !listeners?.size) console.warn('[ringflag]', payload);
    for (const handler of listeners ?? []) {
      try {
        (handler as (payload: ClientEvents[E]) => void)(payload);
      } catch (error) {
        console.error('[ringflag] a handler threw', error);
      }
    }
  };

  const apply = (next: Record<string, EvaluationDetail | null>, full: boolean) => {
    const merged: Record<string, EvaluationDetail> = full ? {} : { ...flags };
    for (const [key, result] of Object.entries(next)) {
      if (result) merged[key] = result;
      else delete merged[key];
    }
    const keys = [...new Set([...Object.keys(flags), ...Object.keys(merged)])].filter(
      (key) => !sameResult(flags[key], merged[key]),
    );
    flags = merged;
    loaded = true;
    if (keys.length) emit('change', { keys });
  };

  const begin = (next: Context): Promise<void> => {
    stop();
    context = next;
    revision = 0;
    const cached = cache.read(next);
    if (cached) apply(cached.flags, true);
    let settle!: (error?: Error) => void;
    const settled = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    // Callers see a refused key through ready()/identify(); an unobserved rejection must not be noisy.
    settled.catch(() => {});
    stop = startTransport({
      baseUrl,
      clientKey,
      context: next,
      EventSource: Source,
      fetch: send,
      pollIntervalMs: options.pollIntervalMs ?? 30_000,
      backoff: options.reconnectBackoff,
      onValues(values?: FlagValues, full?: boolean) {
        if (values) {
          // A poll answered late, after a newer stream event: keep the newer values.
          if ((values.revision ?? revision) < revision) return;
          revision = values.revision ?? revision;
          apply(values.flags, !!full);
          cache.write(next, { revision, flags });
        }
        settle();
        if (!readyEmitted) {
          readyEmitted = true;
          emit('ready', undefined);
        }
      },
      onError(error, fatal) {
        emit('error', error);
        settle(fatal ? error : undefined);
      },
    });
    return settled;
  };

  const detail = <T extends JsonValue>(key: string, fallback: T): EvaluationDetail<Widen<T>> => {
    const found = flags[key];
    const errorKind: ErrorKind | undefined = !found
      ? loaded
        ? 'FLAG_NOT_FOUND'
        : 'CLIENT_NOT_READY'
      : fallback !== null && typeof found.value !== typeof fallback
        ? 'WRONG_TYPE'
        : undefined;
    if (errorKind || !found || found.variant === null) {
      return {
        value: fallback as Widen<T>,
        variant: null,
        reason: found?.reason.kind === 'ERROR' ? found.reason : { kind: 'ERROR', errorKind },
      };
    }
    queue?.expose(key, found.variant);
    return { ...found } as EvaluationDetail<Widen<T>>;
  };

  // Mobile browsers may never fire pagehide: a tab turning hidden is the last reliable moment.
  const flushOnHide = (event: Event) => {
    if (event.type === 'pagehide' || globalThis.document.visibilityState === 'hidden') queue?.flush();
  };
  globalThis.addEventListener?.('pagehide', flushOnHide);
  globalThis.document?.addEventListener('visibilitychange', flushOnHide);

  const initial = begin(options.context ?? {});
  if (options.bootstrap) apply(options.bootstrap.flags, true);

  return {
    ready: () => initial,
    isEnabled: (key) => detail(key, false).value,
    variation: (key, fallback) => detail(key, fallback).value,
    variationDetail: detail,
    allFlags: () => Object.fromEntries(Object.entries(flags).map(([key, result]) => [key, result.value])),
    context: () => context,
    on(event, handler) {
      const listeners = handlers[event] ?? new Set();
      handlers[event] = listeners;
      listeners.add(handler);
      return () => listeners.delete(handler);
    },
    identify: begin,
    track: (event) => queue?.track(event, context),
    close() {
      stop();
      queue?.flush();
      globalThis.removeEventListener?.('pagehide', flushOnHide);
      globalThis.document?.removeEventListener('visibilitychange', flushOnHide);
    },
  };
}
