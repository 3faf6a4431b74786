/**
 * A raw server-sent-events reader for the SDK stream (`/sdk/v1/stream`): fetch, a line parser, and the
 * events kept in arrival order so a test can wait for one and check the ids of all of them.
 */

/** One event as received: its name, its `id` (the revision), and its `data`. */
export interface SseEvent {
  event: string;
  id: number | undefined;
  data: string;
}

/** The payload of a `put` or `patch` event: the revision and what changed (null = removed). */
export interface SdkChange {
  revision: number;
  flags: Record<string, { enabled?: boolean } | null>;
  segments: Record<string, unknown>;
}

interface Waiter {
  test: (event: SseEvent) => boolean;
  resolve: (event: SseEvent) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** An open SDK stream: events so far, waiting for the next matching one, closing. */
export class SseStream {
  /** Every event received, in order (heartbeats are comments and not kept). */
  readonly events: SseEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private endReason: string | undefined;
  private resolveEnd!: (reason: string) => void;
  private readonly endPromise = new Promise<string>((resolve) => {
    this.resolveEnd = resolve;
  });

  private constructor(
    readonly url: string,
    private readonly controller: AbortController,
  ) {}

  /**
   * Opens `GET {base}/sdk/v1/stream` with a server key (and `Last-Event-ID` when given); resolves once
   * the response headers arrived with status 200.
   */
  static async open(
    base: string,
    sdkKey: string,
    options: { lastEventId?: number } = {},
  ): Promise<SseStream> {
    const controller = new AbortController();
    const headers: Record<string, string> = { authorization: sdkKey, accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
    const url = `${base}/sdk/v1/stream`;
    const timeout = setTimeout(
      () => controller.abort(new Error(`no answer from ${url} within 10 s`)),
      10_000,
    );
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: controller.signal });
    } finally {
      clearTimeout(timeout);
    }
    if (response.status !== 200 || !response.body) {
      const text = await response.text().catch(() => '');
      controller.abort();
      throw new Error(`${url}: ${response.status} ${text.slice(0, 300)}`);
    }
    const stream = new SseStream(url, controller);
    void stream.read(response.body);
    return stream;
  }

  /** Whether the stream ended (server gone, closed here); why, when it did. */
  get ended(): string | undefined {
    return this.endReason;
  }

  /** The events of one kind, in order. */
  named(event: string): SseEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** The id of the newest event received. */
  lastId(): number | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const id = this.events[i]!.id;
      if (id !== undefined) return id;
    }
    return undefined;
  }

  /**
   * Resolves with the first event (already received or still to come) that `test` accepts; rejects
   * after `timeoutMs` or when the stream ends without one.
   */
  waitFor(
    test: (event: SseEvent) => boolean,
    timeoutMs = 5_000,
    what = 'a matching event',
  ): Promise<SseEvent> {
    const found = this.events.find(test);
    if (found) return Promise.resolve(found);
    if (this.endReason !== undefined) {
      return Promise.reject(
        new Error(`${this.url} ended (${this.endReason}) without ${what}; ${this.summary()}`),
      );
    }
    return new Promise<SseEvent>((resolve, reject) => {
      const waiter: Waiter = {
        test,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`${this.url}: no ${what} within ${timeoutMs} ms; ${this.summary()}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Waits for an event with an id of at least `revision`. */
  waitForRevision(revision: number, timeoutMs = 5_000): Promise<SseEvent> {
    return this.waitFor((e) => e.id !== undefined && e.id >= revision, timeoutMs, `revision ${revision}`);
  }

  /** Resolves when the stream has ended (rejects after `timeoutMs`). */
  async waitForEnd(timeoutMs = 5_000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.url} did not end within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.endPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.finish('closed by the test');
    this.controller.abort();
  }

  /** The ids and names received, for failure messages. */
  summary(): string {
    const tail = this.events.slice(-12).map((e) => `${e.event}:${e.id ?? '-'}`);
    return `${this.events.length} events, last: [${tail.join(', ')}]`;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseBlock(block);
          if (event) this.receive(event);
        }
      }
      this.finish('the server ended the response');
    } catch (error) {
      this.finish(`read failed: ${String(error)}`);
    }
  }

  private receive(event: SseEvent): void {
    this.events.push(event);
    for (const waiter of this.waiters) {
      if (waiter.test(event)) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  }

  private finish(reason: string): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    this.resolveEnd(reason);
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`${this.url} ended (${reason}); ${this.summary()}`));
    }
    this.waiters.clear();
  }
}

/** Parses one SSE block (lines up to a blank line); comments alone give nothing. */
function parseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  let id: number | undefined;
  const data: string[] = [];
  let any = false;
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = Number(value);
    else if (field === 'data') data.push(value);
    else continue;
    any = true;
  }
  return any ? { event, id, data: data.join('\n') } : undefined;
}

/** The payload of a `put` or `patch` event. */
export function changeOf(event: SseEvent): SdkChange {
  return JSON.parse(event.data) as SdkChange;
}

/**
 * Checks that the ids of the `patch` events after `from` are exactly from+1, from+2, … up to `to`:
 * every revision once, in order. Returns the problem, or undefined when there is none.
 */
export function gapProblem(events: readonly SseEvent[], from: number, to: number): string | undefined {
  const ids = events
    .filter((e) => e.event === 'patch' && e.id !== undefined && e.id > from)
    .map((e) => e.id!);
  const expected = Array.from({ length: to - from }, (_, i) => from + 1 + i);
  if (ids.length === expected.length && ids.every((id, i) => id === expected[i])) return undefined;
  return `expected patches ${from + 1}..${to} in order, got [${ids.join(', ')}]`;
}
