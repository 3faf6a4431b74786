// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from './client.js';
import { FakeEventSource, on } from './test-support/fake-event-source.js';
import type { ClientOptions } from './types.js';

const BASE = 'https://flags.example.com';
const KEY = 'rf_cli_test';

function client(options: Partial<ClientOptions> = {}) {
  return createClient({
    clientKey: KEY,
    baseUrl: BASE,
    context: { key: 'user-1' },
    EventSource: FakeEventSource,
    sendEvents: false,
    ...options,
  });
}

beforeEach(() => {
  FakeEventSource.reset();
  localStorage.clear();
});
afterEach(() => vi.restoreAllMocks());

describe('createClient over a stream', () => {
  it('connects with the key and the base64url context, and serves the put', async () => {
    const c = client({ baseUrl: `${BASE}/`, context: { key: 'zoë', groups: ['beta'] } });
    const stream = FakeEventSource.last;
    expect(stream.url.startsWith(`${BASE}/client/v1/stream?key=${KEY}&context=`)).toBe(true);
    expect(stream.context).toEqual({ groups: ['beta'], key: 'zoë' });

    expect(c.isEnabled('banner')).toBe(false);
    stream.emit('put', {
      revision: 3,
      flags: { banner: on(), color: { value: 'blue', variant: 'blue', reason: { kind: 'OFF' } } },
    });
    await c.ready();
    expect(c.isEnabled('banner')).toBe(true);
    expect(c.variation('color', 'green')).toBe('blue');
    expect(c.variationDetail('color', 'green')).toEqual({
      value: 'blue',
      variant: 'blue',
      reason: { kind: 'OFF' },
    });
    expect(c.allFlags()).toEqual({ banner: true, color: 'blue' });
    c.close();
    expect(stream.closed).toBe(true);
  });

  it('applies patches and reports the changed keys; null removes a flag', () => {
    const c = client();
    const changes: string[][] = [];
    c.on('change', ({ keys }) => changes.push(keys));
    FakeEventSource.last.emit('put', { revision: 1, flags: { a: on(), b: on('off') } });
    FakeEventSource.last.emit('patch', { revision: 2, flags: { b: on(), a: null } });
    FakeEventSource.last.emit('patch', { revision: 3, flags: { b: on() } });
    expect(changes).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(c.allFlags()).toEqual({ b: true });
    expect(c.variationDetail('a', false).reason).toEqual({ kind: 'ERROR', errorKind: 'FLAG_NOT_FOUND' });
  });

  it('returns the default with a reason when it cannot serve the flag', () => {
    const c = client();
    expect(c.variationDetail('a', 'x')).toEqual({
      value: 'x',
      variant: null,
      reason: { kind: 'ERROR', errorKind: 'CLIENT_NOT_READY' },
    });
    FakeEventSource.last.emit('put', {
      revision: 1,
      flags: {
        a: on(),
        broken: { value: null, variant: null, reason: { kind: 'ERROR', errorKind: 'MALFORMED_FLAG' } },
      },
    });
    expect(c.variationDetail('a', 'x')).toEqual({
      value: 'x',
      variant: null,
      reason: { kind: 'ERROR', errorKind: 'WRONG_TYPE' },
    });
    expect(c.variation('a', 7)).toBe(7);
    expect(c.variationDetail('broken', true).reason).toEqual({ kind: 'ERROR', errorKind: 'MALFORMED_FLAG' });
    expect(c.variation('missing', { fallback: 1 })).toEqual({ fallback: 1 });
  });

  it('keeps calling the other handlers when one throws, and unsubscribes', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const c = client();
    const seen: string[] = [];
    c.on('change', () => {
      throw new Error('boom');
    });
    const off = c.on('change', ({ keys }) => seen.push(...keys));
    FakeEventSource.last.emit('put', { revision: 1, flags: { a: on() } });
    off();
    FakeEventSource.last.emit('patch', { revision: 2, flags: { b: on() } });
    expect(seen).toEqual(['a']);
    expect(console.error).toHaveBeenCalledTimes(2);
  });

  it('emits ready once, on the first fresh values', async () => {
    const c = client();
    const ready = vi.fn();
    c.on('ready', ready);
    FakeEventSource.last.emit('put', { revision: 1, flags: {} });
    FakeEventSource.last.emit('put', { revision: 2, flags: {} });
    await c.ready();
    expect(ready).toHaveBeenCalledTimes(1);
  });
});

describe('cached values', () => {
  it('renders the last known values of the same context before the network answers', () => {
    const first = client();
    FakeEventSource.last.emit('put', { revision: 4, flags: { banner: on() } });
    first.close();

    const reloaded = client();
    expect(reloaded.isEnabled('banner')).toBe(true);
    expect(client({ context: { key: 'user-2' } }).isEnabled('banner')).toBe(false);
    expect(client({ clientKey: 'rf_cli_other' }).isEnabled('banner')).toBe(false);
    // Attribute order does not make another context.
    expect(client({ context: { key: 'user-1' } }).isEnabled('banner')).toBe(true);
  });

  it('names entries by hashes, not by the key or the context', () => {
    client({ context: { key: 'secret-user' } });
    FakeEventSource.last.emit('put', { revision: 1, flags: { banner: on() } });
    const names = Object.keys(localStorage);
    expect(names.length).toBe(2);
    expect(names.join()).not.toMatch(/rf_cli|secret-user/);
  });

  it('keeps at most eight contexts per key', () => {
    for (let i = 0; i < 12; i++) {
      client({ context: { key: `user-${i}` } });
      FakeEventSource.last.emit('put', { revision: 1, flags: { banner: on() } });
    }
    expect(Object.keys(localStorage).length).toBe(9);
    expect(client({ context: { key: 'user-0' } }).isEnabled('banner')).toBe(false);
    expect(client({ context: { key: 'user-11' } }).isEnabled('banner')).toBe(true);
  });

  it('serves bootstrap values at once, over cached ones', () => {
    const first = client();
    FakeEventSource.last.emit('put', { revision: 1, flags: { banner: on('off') } });
    first.close();
    const c = client({ bootstrap: { flags: { banner: on() } } });
    expect(c.isEnabled('banner')).toBe(true);
  });

  it('survives a storage that throws', () => {
    const storage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
      removeItem: () => {},
    };
    const c = client({ storage });
    FakeEventSource.last.emit('put', { revision: 1, flags: { banner: on() } });
    expect(c.isEnabled('banner')).toBe(true);
  });
});

describe('identify', () => {
  it('switches to the cached values of the new context at once, then to fresh ones', async () => {
    const c = client({ context: { key: 'user-2' } });
    FakeEventSource.last.emit('put', { revision: 1, flags: { banner: on('off'), extra: on() } });
    c.close();

    const d = client();
    const first = FakeEventSource.last;
    first.emit('put', { revision: 5, flags: { banner: on() } });
    const changes: string[][] = [];
    d.on('change', ({ keys }) => changes.push(keys));

    const switched = d.identify({ key: 'user-2' });
    expect(first.closed).toBe(true);
    expect(d.context()).toEqual({ key: 'user-2' });
    expect(d.isEnabled('banner')).toBe(false);
    expect(FakeEventSource.last.context).toEqual({ key: 'user-2' });

    // The new context's revision starts over: a lower one than the old context's is still fresh.
    FakeEventSource.last.emit('put', { revision: 2, flags: { banner: on() } });
    await switched;
    expect(d.allFlags()).toEqual({ banner: true });
    expect(changes).toEqual([
      ['banner', 'extra'],
      ['banner', 'extra'],
    ]);
  });
});
