/**
 * A child process of the reconnect benchmark: N real SDK clients of one kind — `node` (`Ringflag`
 * from @ringflag/sdk-node, streaming) or `browser` (`createClient` from @ringflag/sdk-browser, with
 * a minimal fetch-based `EventSource`, since Node 20 has none) — each with a context of its own, all
 * watching the flag `kill-switch`. Talks to its parent over IPC:
 *
 * - `{ type: 'connected', count, failed }` once every client serves the flag on (or gave up);
 * - `{ type: 'stopped' }` from the parent when the server stopped (this process's event-loop delay is
 *   measured from then on);
 * - `{ type: 'hold' }` from the parent when the flag must stay as served (an outage): from then until
 *   `collect`, every client is checked every 500 ms to serve the flag on, and the first time each one
 *   served anything else (`off`, or an error kind such as `CLIENT_NOT_READY`) is kept;
 * - on `{ type: 'collect', timeoutMs }`: `{ type: 'result', offAt, errorsAt }` once every client serves
 *   the flag off, or at the timeout: per client the time it first served off (epoch ms, `null` when it
 *   did not), and the time and message of every error the clients reported (failed connections and
 *   polls), and how late this process's event loop ran (p99, max); after a `hold`, also how many checks
 *   ran and each client that did not serve on during it.
 *
 *   argv: <node|browser> <count> <baseUrl> <key> <new|old>
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Ringflag } from '@ringflag/sdk-node';

const [kind = 'node', countArg = '0', baseUrl = '', key = '', backoff = 'new'] = process.argv.slice(2);
const count = Number(countArg);
const FLAG = 'kill-switch';
/** The reconnect delays of the SDKs before this change, passed explicitly: 1 s doubling to 30 s, however the attempt failed. */
const OLD_BACKOFF = { initialMs: 1_000, maxMs: 30_000, unreachableMaxMs: 30_000 };
const reconnectBackoff = backoff === 'old' ? OLD_BACKOFF : undefined;

const now = () => performance.timeOrigin + performance.now();

/** What the browser SDK listens to streams with: it reads the event's `data`. */
type Listener = (event: { data: string }) => void;

/** The part of @ringflag/sdk-browser the benchmark uses. */
interface BrowserSdk {
  createClient(options: {
    clientKey: string;
    baseUrl: string;
    context: { key: string };
    storage: null;
    sendEvents: boolean;
    EventSource: new (url: string) => FetchEventSource;
    reconnectBackoff: typeof OLD_BACKOFF | undefined;
  }): {
    isEnabled(key: string): boolean;
    variationDetail(key: string, defaultValue: boolean): EvaluationOutcome;
    on(event: 'change', handler: () => void): unknown;
    on(event: 'error', handler: (error: Error) => void): unknown;
    ready(): Promise<void>;
    close(): void;
  };
}
/**
 * The browser SDK's sources need the DOM types, which this Node program is checked without
 * (sdk-browser/tsconfig.json checks them): it is loaded by name and typed by {@link BrowserSdk}.
 */
const browserSdkName = '@ringflag/sdk-browser';
const { createClient } = (await import(browserSdkName)) as BrowserSdk;

/**
 * The parts of a browser's `EventSource` the browser SDK uses, over `fetch`: one connection, events
 * dispatched by type, `onerror` when it fails or ends. It never reconnects by itself: the SDK closes a
 * failed stream and reconnects on its own schedule, as it does in a browser.
 */
class FetchEventSource {
  onerror: ((event: Event) => void) | null = null;
  private readonly listeners = new Map<string, Listener[]>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(url: string) {
    void this.run(url);
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
  }

  private async run(url: string): Promise<void> {
    try {
      const response = await fetch(url, {
        headers: { accept: 'text/event-stream' },
        signal: this.abort.signal,
      });
      const type = response.headers.get('content-type') ?? '';
      if (response.status !== 200 || !type.startsWith('text/event-stream') || !response.body) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          this.dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      throw new Error('the stream ended');
    } catch {
      if (!this.closed) this.onerror?.(new Event('error'));
    }
  }

  private dispatch(block: string): void {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0 || this.closed) return;
    const event = new MessageEvent(type, { data: data.join('\n') });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

/** What an evaluation says, as both SDKs' `variationDetail` return it. */
interface EvaluationOutcome {
  value: unknown;
  reason: { kind: string; errorKind?: string };
}

/** What an evaluation served: `on`, `off`, or `error <kind>` when the client could not evaluate. */
function served(detail: EvaluationOutcome): string {
  if (detail.reason.kind === 'ERROR') return `error ${detail.reason.errorKind ?? 'unknown'}`;
  return detail.value === true ? 'on' : 'off';
}

/** One client, whatever its SDK: whether it serves the flag on, and how to be told of changes. */
interface Watched {
  on(): boolean;
  /** What it serves now: `on`, `off` or `error <kind>`. */
  serving(): string;
  onChange(handler: () => void): void;
  onError(handler: (error: Error) => void): void;
  ready(): Promise<unknown>;
  close(): unknown;
}

const silent = { warn() {}, error() {} };

/** An error's message and its causes', with addresses and long numbers (delays) replaced, so that alike errors count together. */
function describe(error: Error): string {
  let text = error.message;
  for (let cause = (error as Error & { cause?: unknown }).cause; cause instanceof Error; ) {
    text += ` (${cause.message})`;
    cause = (cause as Error & { cause?: unknown }).cause;
  }
  return text
    .replace(/\d+\.\d+\.\d+\.\d+(:\d+)?/g, 'ADDRESS')
    .replace(/\d{4,}/g, 'N')
    .slice(0, 160);
}

function nodeClient(index: number): Watched {
  const client = new Ringflag({ sdkKey: key, baseUrl, logger: silent, sendEvents: false, reconnectBackoff });
  const context = { key: `user-${index}` };
  return {
    on: () => client.isEnabled(FLAG, context),
    serving: () => served(client.variationDetail(FLAG, context, false)),
    onChange: (handler) => client.on('change', handler),
    onError: (handler) => client.on('error', handler),
    ready: () => client.ready({ timeoutMs: 60_000 }),
    close: () => client.close(),
  };
}

function browserClient(index: number): Watched {
  const client = createClient({
    clientKey: key,
    baseUrl,
    context: { key: `user-${index}` },
    storage: null,
    sendEvents: false,
    EventSource: FetchEventSource,
    reconnectBackoff,
  });
  return {
    on: () => client.isEnabled(FLAG),
    serving: () => served(client.variationDetail(FLAG, false)),
    onChange: (handler) => client.on('change', handler),
    onError: (handler) => client.on('error', handler),
    ready: () => client.ready(),
    close: () => client.close(),
  };
}

const clients: Watched[] = [];
const offAt: (number | null)[] = [];
const errorsAt: number[] = [];
/** What each error said, without numbers (delays, ports), in the order of `errorsAt`. */
const errorsWhy: string[] = [];
let off = 0;
/** During a hold: per client, when it first served other than on and what (index, epoch ms, served). */
const heldWrong: { index: number; at: number; served: string }[] = [];
let heldChecks = 0;
let holding: NodeJS.Timeout | undefined;
/** Sends the result, once: when every client serves off, or at the collect timeout. */
let finish: (() => void) | null = null;

/** Notes the first moment client `index` serves the flag off. */
const check = (index: number) => {
  if (offAt[index] !== null || (clients[index] as Watched).on()) return;
  offAt[index] = now();
  off++;
  if (off === count) finish?.();
};

for (let i = 0; i < count; i++) {
  const client = kind === 'browser' ? browserClient(i) : nodeClient(i);
  clients.push(client);
  offAt.push(null);
  client.onChange(() => check(i));
  client.onError((error) => {
    errorsAt.push(now());
    errorsWhy.push(describe(error));
  });
}
const settled = await Promise.allSettled(clients.map((client) => client.ready()));
const serving = clients.filter((client) => client.on()).length;
process.send?.({
  type: 'connected',
  count: serving,
  failed: Math.max(count - serving, settled.filter((s) => s.status === 'rejected').length),
});

/** How late this process's event loop ran, from the server's stop on: a busy client process delays its clients. */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

process.on('message', (message: { type: string; timeoutMs?: number }) => {
  if (message.type === 'stopped') {
    loopDelay.enable();
  } else if (message.type === 'hold') {
    const wrong = new Set<number>();
    holding = setInterval(() => {
      heldChecks++;
      for (let i = 0; i < count; i++) {
        if (wrong.has(i)) continue;
        const what = (clients[i] as Watched).serving();
        if (what === 'on') continue;
        wrong.add(i);
        heldWrong.push({ index: i, at: now(), served: what });
      }
    }, 500);
  } else if (message.type === 'collect') {
    clearInterval(holding);
    // A change event is the signal; this sweep only catches a client whose event was missed.
    const sweep = setInterval(() => {
      for (let i = 0; i < count; i++) check(i);
    }, 50);
    const timer = setTimeout(() => finish?.(), message.timeoutMs ?? 120_000);
    finish = () => {
      finish = null;
      clearInterval(sweep);
      clearTimeout(timer);
      loopDelay.disable();
      process.send?.({
        type: 'result',
        offAt,
        errorsAt,
        errorsWhy,
        heldChecks,
        heldWrong,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
      });
    };
    if (off === count) finish();
  } else if (message.type === 'close') {
    void Promise.all(clients.map((client) => client.close())).then(() => process.exit(0));
  }
});
