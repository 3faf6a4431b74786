import type { EvaluationDetail } from '../types.js';

/**
 * An in-memory `EventSource` for tests: records every connection, lets the test deliver `put` and
 * `patch` events or fail the connection, and knows whether the client closed it.
 */
export class FakeEventSource {
  static instances: FakeEventSource[] = [];
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  private readonly listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  /** The newest connection. */
  static get last(): FakeEventSource {
    const last = FakeEventSource.instances.at(-1);
    if (!last) throw new Error('no EventSource was opened');
    return last;
  }

  static reset(): void {
    FakeEventSource.instances = [];
  }

  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
  }

  /** Delivers a server event, as the browser would. */
  emit(type: 'put' | 'patch', data: unknown): void {
    if (this.closed) throw new Error('the client closed this stream');
    const event = new MessageEvent(type, { data: typeof data === 'string' ? data : JSON.stringify(data) });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  /** The connection broke or the server refused it. */
  fail(): void {
    this.onerror?.(new Event('error'));
  }

  /** The `context` query parameter, decoded. */
  get context(): unknown {
    const encoded = new URL(this.url).searchParams.get('context') ?? '';
    const binary = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  }
}

/** A boolean flag result. */
export function on(variant: 'on' | 'off' = 'on'): EvaluationDetail {
  return { value: variant === 'on', variant, reason: { kind: 'FALLTHROUGH' } };
}
