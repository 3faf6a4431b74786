import { base64url, contextJson } from './encode.js';
import type { BackoffOptions, Context, EventSourceConnection, EventSourceLike, FlagValues } from './types.js';

/** What a transport needs: where, who, how, and whom to tell. */
export interface TransportOptions {
  baseUrl: string;
  clientKey: string;
  context: Context;
  /** `undefined` polls. */
  EventSource: EventSourceLike | undefined;
  fetch: typeof fetch;
  pollIntervalMs: number;
  /** Stream reconnect delays (defaults in {@link BackoffOptions}). */
  backoff: BackoffOptions | undefined;
  /** Fresh values: a full set (`put`, a poll) or a patch; no argument when a poll found nothing new (304). */
  onValues(values?: FlagValues, full?: boolean): void;
  /** `fatal` when the key is refused: the transport has stopped for good. */
  onError(error: Error, fatal: boolean): void;
}

/**
 * Keeps one context's values fresh: an `EventSource` on `/client/v1/stream` (`put`, then `patch`es),
 * reconnecting with jittered exponential backoff and polling `POST /client/v1/evaluate` once per
 * failure meanwhile (so values stay fresh where a proxy breaks streams); or, without `EventSource`,
 * polling with `If-None-Match`. A refused key (401/403) stops everything. Returns the stop function.
 *
 * Reconnect delays are a uniform pick below a ceiling that doubles from `initialMs`. Once the stream
 * has worked, a failure whose poll got no answer at all means the server is away (a restart): the
 * ceiling stops at `unreachableMaxMs`, so the page is back within seconds of the server. Otherwise —
 * the server answers (a proxy breaks streams), or the stream never worked (the server down, or the
 * page's origin refused: a browser cannot tell them apart) — it grows to `maxMs`. The poll of the
 * previous failure decides: a poll can hang, and the reconnect must not wait for it.
 *
 * @example
 * const stop = startTransport({ baseUrl, clientKey, context, EventSource, fetch, pollIntervalMs: 30000,
 *   onValues: (values, full) => {}, onError: (error, fatal) => {} });
 */
export function startTransport(options: TransportOptions): () => void {
  const { baseUrl, clientKey, context, EventSource: Source, onValues } = options;
  let stopped = false;
  let failures = 0;
  /** The stream has delivered: the origin and the key work. */
  let live = false;
  /** The last poll got no answer at all. */
  let unanswered = false;
  const { initialMs = 1000, maxMs = 30_000, unreachableMaxMs = 4000 } = options.backoff ?? {};
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
      const response = await options
        .fetch(`${baseUrl}/client/v1/evaluate`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ context }),
        })
        .catch((cause) => {
          // No answer: the server is down, or (cross-origin) the browser withheld a refused response.
          unanswered = true;
          const page = globalThis.location;
          throw new Error(
            `Ringflag: request to ${baseUrl} failed${
              page && new URL(baseUrl, page.href).origin !== page.origin
                ? ` — if the server is up, is "${page.origin}" among the environment's allowed origins?`
                : ''
            }`,
            { cause },
          );
        });
      unanswered = false;
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
        live = true;
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
      const ceiling = live && unanswered ? unreachableMaxMs : maxMs;
      later(() => connect(Stream), Math.random() * Math.min(ceiling, maxMs, initialMs * 2 ** failures++));
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
