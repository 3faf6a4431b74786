import type { Context } from './types.js';

/** Tracked events kept between sends; beyond it new ones are dropped (a keepalive body is capped at 64 KiB). */
const MAX_EVENTS = 200;

/** Exposure counts and tracked events on their way to `POST /client/v1/events`. */
export interface EventQueue {
  /** Counts one serving of `variant` of `flag`. */
  expose(flag: string, variant: string): void;
  track(event: string, context: Context): void;
  /** Sends what is pending (with `keepalive`, so it survives the page being unloaded). */
  flush(): void;
}

const minute = () => Math.floor(Date.now() / 60_000);

/**
 * Batches exposures (summed per flag, variant and minute) and tracked events, and sends them every
 * `intervalMs` and whenever `flush()` is called. Sending uses `fetch` with `keepalive` rather than
 * `navigator.sendBeacon`: a beacon cannot carry the `Authorization` header the key travels in. A
 * failed send is dropped: these are statistics, and a page that is going away cannot retry.
 *
 * @example
 * const queue = createEventQueue('https://flags.example.com', 'rf_cli_…', fetch, 15000);
 * queue.expose('new-checkout', 'on');
 */
export function createEventQueue(
  baseUrl: string,
  clientKey: string,
  send: typeof fetch,
  intervalMs: number,
): EventQueue {
  let exposures = new Map<string, { flag: string; variant: string; count: number; minute: number }>();
  let events: { event: string; context: Context; minute: number }[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!exposures.size && !events.length) return;
    const body = JSON.stringify({ exposures: [...exposures.values()], events });
    exposures = new Map();
    events = [];
    send(`${baseUrl}/client/v1/events`, {
      method: 'POST',
      keepalive: true,
      headers: { authorization: clientKey, 'content-type': 'application/json' },
      body,
    }).catch(() => {});
  };
  const schedule = () => {
    timer ??= setTimeout(flush, intervalMs);
  };

  return {
    expose(flag, variant) {
      const now = minute();
      const id = `${now} ${flag} ${variant}`;
      const entry = exposures.get(id);
      if (entry) entry.count++;
      else exposures.set(id, { flag, variant, count: 1, minute: now });
      schedule();
    },
    track(event, context) {
      if (events.length < MAX_EVENTS) events.push({ event, context, minute: minute() });
      schedule();
    },
    flush,
  };
}
