import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ringflag } from './client.js';
import { ManualClock } from './data-source/test-support/manual-clock.js';
import { booleanFlag, SdkTestServer, waitUntil } from './data-source/test-support/sdk-test-server.js';
import type { RingflagOptions } from './options.js';

const quiet = { warn: () => {}, error: () => {} };
let server: SdkTestServer | null = null;
const clients: Ringflag[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = null;
});

function client(options: RingflagOptions): Ringflag {
  const created = new Ringflag({
    sdkKey: 'rf_srv_test',
    baseUrl: options.baseUrl ?? server?.baseUrl,
    logger: quiet,
    random: () => 0,
    reconnectBackoff: { initialMs: 20, maxMs: 50 },
    ...options,
  });
  clients.push(created);
  return created;
}

describe('Ringflag options', () => {
  it.each<[RingflagOptions, RegExp]>([
    [{ baseUrl: 'http://127.0.0.1:4280' }, /sdkKey is required/],
    [{ sdkKey: '  ', baseUrl: 'http://127.0.0.1:4280' }, /sdkKey is required/],
    [{ sdkKey: 'rf_cli_abc', baseUrl: 'http://127.0.0.1:4280' }, /browser key/],
    [{ sdkKey: 'rf_srv_abc' }, /baseUrl is required/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: '127.0.0.1:4280' }, /baseUrl is not a URL/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'localhost:4280' }, /baseUrl must be http: or https:/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'not a url' }, /baseUrl is not a URL/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'ftp://flags.example.com' }, /http: or https:/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'http://x?y=1' }, /query or fragment/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'http://x', pollIntervalMs: 0 }, /pollIntervalMs must be a positive/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'http://x', flushIntervalMs: Number.NaN }, /flushIntervalMs/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'http://x', maxQueuedEvents: -1 }, /maxQueuedEvents/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'http://x', cacheFile: '' }, /cacheFile/],
    [{ sdkKey: 'rf_srv_abc', baseUrl: 'http://x', bootstrap: './f.json' }, /bootstrap is for offline mode/],
    [{}, /sdkKey is required/],
  ])('rejects %j with a clear TypeError', (options, message) => {
    expect(() => new Ringflag({ logger: quiet, ...options })).toThrow(TypeError);
    expect(() => new Ringflag({ logger: quiet, ...options })).toThrow(message);
  });
});

describe('Ringflag online', () => {
  it('becomes ready from the stream and follows patches, emitting change per flag key', async () => {
    server = await SdkTestServer.start();
    server.flags['new-checkout'] = booleanFlag('new-checkout', false);
    const flags = client({});
    await flags.ready({ timeoutMs: 5_000 });
    expect(flags.revision).toBe(1);
    expect(flags.isEnabled('new-checkout', { key: 'u1' })).toBe(false);
    const changes: { key: string; revision: number }[] = [];
    flags.on('change', (change) => changes.push(change));
    server.setFlag('new-checkout', booleanFlag('new-checkout', true, 2));
    await waitUntil(() => changes.length === 1);
    expect(changes).toEqual([{ key: 'new-checkout', revision: 2 }]);
    expect(flags.isEnabled('new-checkout', { key: 'u1' })).toBe(true);
    server.setFlag('new-checkout', null);
    await waitUntil(() => changes.length === 2);
    expect(flags.variationDetail('new-checkout', {}, false).reason).toEqual({
      kind: 'ERROR',
      errorKind: 'FLAG_NOT_FOUND',
    });
  });

  it('polls instead of streaming with stream: false', async () => {
    server = await SdkTestServer.start();
    server.flags.a = booleanFlag('a', true);
    const flags = client({ stream: false, pollIntervalMs: 20 });
    await flags.ready();
    expect(flags.isEnabled('a', {})).toBe(true);
    server.setFlagQuietly('a', booleanFlag('a', false, 2));
    await waitUntil(() => !flags.isEnabled('a', {}));
    expect(server.requestsTo('/sdk/v1/stream')).toHaveLength(0);
  });

  it('on 401: a fatal error, ready() rejects, and no further request of any kind', async () => {
    server = await SdkTestServer.start({ sdkKey: 'rf_srv_right' });
    const errors: Error[] = [];
    const clock = new ManualClock();
    const flags = client({ sdkKey: 'rf_srv_wrong', clock });
    flags.on('error', (error) => errors.push(error));
    await expect(flags.ready()).rejects.toThrow(/refused the SDK key \(HTTP 401\)/);
    flags.track('e', { key: 'u1' });
    // Every later request would start from a timer on this clock (a flush, a reconnect, a poll): none
    // is left, so none can come due however far time moves.
    expect(clock.pendingTimers).toBe(0);
    clock.advance(3_600_000);
    // A flush that has finished proves the tracked event was not sent either.
    await flags.flush();
    await flags.close();
    expect(server.requests.map((r) => r.path)).toEqual(['/sdk/v1/stream']);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).not.toContain('rf_srv_wrong');
  });

  it('keeps serving the last values while the server is away, and catches up when it is back', async () => {
    server = await SdkTestServer.start();
    server.flags.a = booleanFlag('a', true);
    const port = server.port;
    const flags = client({});
    await flags.ready();
    const errors: Error[] = [];
    flags.on('error', (error) => errors.push(error));
    await server.close();
    await waitUntil(() => errors.length >= 3);
    expect(flags.isEnabled('a', { key: 'u1' })).toBe(true);
    expect(flags.isReady).toBe(true);

    server = await SdkTestServer.start({ port });
    server.revision = 5;
    server.flags.a = booleanFlag('a', false, 5);
    await waitUntil(() => !flags.isEnabled('a', { key: 'u1' }));
    expect(flags.revision).toBe(5);
  });

  it('starts from cacheFile when the server is down, and keeps trying the server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ringflag-client-'));
    const cacheFile = join(dir, 'flags.json');
    try {
      server = await SdkTestServer.start();
      server.flags.a = booleanFlag('a', true);
      const port = server.port;
      const first = client({ cacheFile });
      await first.ready();
      await first.close();
      expect(JSON.parse(await readFile(cacheFile, 'utf8')).revision).toBe(1);
      await server.close();

      const second = client({ cacheFile, baseUrl: `http://127.0.0.1:${port}` });
      await second.ready({ timeoutMs: 2_000 });
      expect(second.isEnabled('a', {})).toBe(true);

      server = await SdkTestServer.start({ port });
      server.revision = 2;
      server.flags.a = booleanFlag('a', false, 2);
      const changed: string[] = [];
      second.on('change', ({ key }) => changed.push(key));
      await waitUntil(() => changed.length === 1);
      expect(second.isEnabled('a', {})).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sends exposure counts and tracked events to /sdk/v1/events', async () => {
    server = await SdkTestServer.start();
    server.flags.a = booleanFlag('a', true);
    server.flags.b = booleanFlag('b', false);
    const minuteBefore = Math.floor(Date.now() / 60_000);
    const flags = client({});
    flags.isEnabled('a', { key: 'before-ready' });
    await flags.ready();
    for (let i = 0; i < 5; i++) flags.isEnabled('a', { key: `u${i}` });
    flags.variation('b', { key: 'u1' }, false);
    flags.variationDetail('b', { key: 'u1' }, false);
    flags.variation('a', { key: 'u1' }, 'wrong type');
    flags.isEnabled('missing', { key: 'u1' });
    flags.allFlags({ key: 'u1' });
    flags.track('checkout-error', { key: 'u1', plan: 'pro' });
    await flags.flush();
    const [body] = server.eventBodies;
    const exposures = (body?.exposures ?? []) as {
      flag: string;
      variant: string;
      count: number;
      minute: number;
    }[];
    // Summed, as a minute boundary may split a pair over two lines.
    const byPair: Record<string, number> = {};
    for (const line of exposures) {
      expect(line.minute).toBeGreaterThanOrEqual(minuteBefore);
      expect(line.minute).toBeLessThanOrEqual(Math.floor(Date.now() / 60_000));
      const pair = `${line.flag}/${line.variant}`;
      byPair[pair] = (byPair[pair] ?? 0) + line.count;
    }
    expect(byPair).toEqual({ 'a/on': 5, 'b/off': 2 });
    expect(body?.events).toEqual([
      { event: 'checkout-error', context: { key: 'u1', plan: 'pro' }, minute: expect.any(Number) },
    ]);

    flags.isEnabled('a', { key: 'u9' });
    await flags.close();
    expect(server.eventBodies.at(-1)?.exposures).toMatchObject([{ flag: 'a', variant: 'on', count: 1 }]);
    expect(server.eventBodies).toHaveLength(2);
  });

  it('neither counts nor sends anything offline', async () => {
    server = await SdkTestServer.start();
    const flags = client({
      offline: true,
      bootstrap: { revision: 1, flags: { a: booleanFlag('a', true) }, segments: {} },
    });
    await flags.ready();
    expect(flags.isEnabled('a', {})).toBe(true);
    flags.track('e', {});
    await flags.flush();
    await flags.close();
    expect(server.requests).toEqual([]);
  });
});
