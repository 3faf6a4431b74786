import { base64url, contextJson } from './encode.js';
import type { Context, EventSourceConnection, EventSourceLike, FlagValues } from './types.js';

/** What a transport needs: where, who, how, and whom to tell. */
export interface TransportOptions {
  baseUrl: string;
  clientKey: string;
  context: Context;
  /** `undefined` polls. */
  EventSource: EventSourceLike | undefined;
  fetch: typeof fetch;
  pollIntervalMs: number;
  /** Fresh values: a full set (`put`, a poll) or a patch; no argument when a poll found nothing new (304). */
  onValues(values?: FlagValues, full?: boolean): void;
  /** `fatal` when the key is refused: the transport has stopped for good. */
  onError(error: Error, fatal: boolean): void;
}

/** Stream reconnect delays: full jitter under a ceiling that doubles from 1 s up to 30 s. */
const INITIAL_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

/**
 * Keeps one context's values fresh: an `EventSource` on `/client/v1/stream` (`put`, then `patch`es),
 * reconnecting with jittered exponential backoff and polling `POST /client/v1/evaluate` once per
 * failure meanwhile (so values stay fresh where a proxy breaks streams); or, without `EventSource`,
 * polling with `If-None-Match`. A refused key (401/403) stops everything. Returns the stop function.
 *
 * @example
 * const stop = startTransport({ baseUrl, clientKey, context, EventSource, fetch, pollIntervalMs: 30000,
 *   onValues: (values, full) => {}, onError: (error, fatal) => {} });
 */
export function startTransport(options: TransportOptions): () => void {
  const { baseUrl, clientKey, context, EventSource: Source, onValues } = options;
  let stopped = false;
  let failures = 0;
  let etag: string | null = null;
  let source: EventSourceConnection | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const stop = () => {
    stopped = true;
    source?.close();
    clearTimeout(timer);
  };
  const fail = (error: unknown, fatal = false) => {
    if (stopped) return;
    if (fatal) stop();
    options.onError(error instanceof Error ? error : new Error(String(error)), fatal);
  };
  const later = (run: () => void, ms: number) => {
    if (!stopped) timer = setTimeout(run, ms);
  };

  const poll = async () => {
    try {
      const headers: Record<string, string> = {
        authorization: clientKey,
        'content-type': 'application/json',
      };
      if (etag) headers['if-none-match'] = etag;
      const response = await options.fetch(`${baseUrl}/client/v1/evaluate`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ context }),
      });
      const status = response.status;
      if (status !== 200 && status !== 304) {
        return fail(new Error(`Ringflag answered ${status}`), status === 401 || status === 403);
      }
      const values = status === 200 ? ((await response.json()) as FlagValues) : undefined;
      // Answers that arrive after stop() belong to a context the client has left.
      if (stopped) return;
      if (values) etag = response.headers.get('etag');
      onValues(values, true);
    } catch (error) {
      fail(error);
    }
  };

  const connect = (Stream: EventSourceLike) => {
    const url = `${baseUrl}/client/v1/stream?key=${encodeURIComponent(clientKey)}&context=${base64url(contextJson(context))}`;
    const stream = new Stream(url);
    source = stream;
    const listen = (type: string, full: boolean) =>
      stream.addEventListener(type, (event) => {
        failures = 0;
        try {
          onValues(JSON.parse(event.data) as FlagValues, full);
        } catch (error) {
          fail(error);
        }
      });
    listen('put', true);
    listen('patch', false);
    stream.onerror = () => {
      // The browser would retry on its own schedule, and never after an HTTP error: take over.
      stream.close();
      void poll();
      later(
        () => connect(Stream),
        Math.random() * Math.min(MAX_DELAY_MS, INITIAL_DELAY_MS * 2 ** failures++),
      );
    };
  };

  const pollLoop = async () => {
    await poll();
    later(pollLoop, options.pollIntervalMs);
  };

  if (Source) connect(Source);
  else void pollLoop();
  return stop;
}
