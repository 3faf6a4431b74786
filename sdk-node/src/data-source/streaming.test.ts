import { afterEach, describe, expect, it } from 'vitest';
import { StreamingDataSource, type StreamingOptions } from './streaming.js';
import { ManualClock } from './test-support/manual-clock.js';
import { RecordingSink } from './test-support/recording-sink.js';
import { booleanFlag, SdkTestServer, waitUntil } from './test-support/sdk-test-server.js';

let server: SdkTestServer;
let source: StreamingDataSource | null = null;

afterEach(async () => {
  await source?.close();
  source = null;
  await server?.close();
});

async function connect(options: Partial<StreamingOptions> = {}): Promise<RecordingSink> {
  const sink = new RecordingSink();
  source = new StreamingDataSource({
    sdkKey: 'rf_srv_test',
    baseUrl: server.baseUrl,
    random: () => 0,
    ...options,
  });
  source.start(sink);
  return sink;
}

describe('StreamingDataSource', () => {
  it('delivers the put it receives on connect, sending the SDK key', async () => {
    server = await SdkTestServer.start();
    server.flags['new-checkout'] = booleanFlag('new-checkout', true);
    const sink = await connect();
    await waitUntil(() => sink.inits.length === 1);
    expect(sink.inits[0]?.revision).toBe(1);
    expect(Object.keys(sink.inits[0]?.flags ?? {})).toEqual(['new-checkout']);
    const [request] = server.requestsTo('/sdk/v1/stream');
    expect(request?.headers.authorization).toBe('rf_srv_test');
    expect(request?.headers.accept).toBe('text/event-stream');
    expect(request?.headers['last-event-id']).toBeUndefined();
  });

  it('delivers patches in order', async () => {
    server = await SdkTestServer.start();
    const sink = await connect();
    await waitUntil(() => sink.inits.length === 1);
    server.setFlag('a', booleanFlag('a', true));
    server.setFlag('b', booleanFlag('b', false));
    await waitUntil(() => sink.patches.length === 2);
    expect(sink.patches.map((p) => [p.revision, Object.keys(p.flags ?? {})])).toEqual([
      [2, ['a']],
      [3, ['b']],
    ]);
  });

  it('ignores a patch the data already contains', async () => {
    server = await SdkTestServer.start();
    const sink = await connect();
    await waitUntil(() => sink.inits.length === 1);
    server.setFlag('a', booleanFlag('a', true));
    const stale = JSON.stringify({ revision: 2, flags: { a: null } });
    server.broadcast(`id: 2\nevent: patch\ndata: ${stale}\n\n`);
    server.setFlag('b', booleanFlag('b', true));
    await waitUntil(() => sink.patches.length >= 2);
    expect(sink.patches.map((p) => p.revision)).toEqual([2, 3]);
  });

  it('reconnects after a dropped connection with Last-Event-ID and receives only what it missed', async () => {
    server = await SdkTestServer.start();
    const sink = await connect();
    await waitUntil(() => sink.inits.length === 1);
    server.setFlag('a', booleanFlag('a', true));
    await waitUntil(() => sink.patches.length === 1);
    server.dropStreams();
    server.setFlagQuietly('b', booleanFlag('b', true));
    await server.waitForStreamRequests(2);
    await waitUntil(() => sink.patches.length === 2);
    expect(server.requestsTo('/sdk/v1/stream')[1]?.headers['last-event-id']).toBe('2');
    expect(sink.patches[1]).toMatchObject({ revision: 3, flags: { b: { key: 'b' } } });
    expect(sink.inits).toHaveLength(1);
    expect(sink.errors.every((e) => !e.fatal)).toBe(true);
  });

  it('reconnects when it hears nothing, not even a heartbeat, for the heartbeat timeout', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock();
    const sink = await connect({ clock, heartbeatTimeoutMs: 45_000 });
    await waitUntil(() => sink.inits.length === 1);
    const live = source as StreamingDataSource;
    const start = clock.now();
    expect(live.lastHeardAt).toBe(start);

    // A heartbeat comment keeps the connection: the watchdog counts from the last byte heard.
    clock.advance(30_000);
    server.sendHeartbeat();
    await waitUntil(() => live.lastHeardAt === start + 30_000);
    clock.advance(44_999);
    // The watchdog reports as it fires, synchronously, before any reconnect: no report, no firing.
    expect(sink.errors).toEqual([]);

    clock.advance(1);
    expect(sink.errors.at(-1)?.error.message).toMatch(/went silent for 45000 ms/);
    await server.waitForStreamRequests(2);
    expect(server.requestsTo('/sdk/v1/stream')[1]?.headers['last-event-id']).toBe('1');
    await waitUntil(() => server.openStreams === 1);
  });

  it('reconnects when the server accepts the stream but never sends anything', async () => {
    server = await SdkTestServer.start();
    server.silent = true;
    const clock = new ManualClock();
    const sink = await connect({ clock, heartbeatTimeoutMs: 1_000 });
    await waitUntil(() => server.openStreams === 1);
    clock.advance(1_000);
    server.silent = false;
    await waitUntil(() => sink.inits.length === 1);
    expect(server.requestsTo('/sdk/v1/stream')).toHaveLength(2);
  });

  it('stops for good on 401: one fatal error, no timer left, no further request', async () => {
    server = await SdkTestServer.start({ sdkKey: 'rf_srv_other' });
    const clock = new ManualClock();
    const sink = await connect({ clock });
    await waitUntil(() => sink.errors.length > 0);
    expect(sink.errors).toHaveLength(1);
    expect(sink.errors[0]?.fatal).toBe(true);
    expect(sink.errors[0]?.error.message).toMatch(/HTTP 401.*will not retry/);
    expect(sink.errors[0]?.error.message).not.toContain('rf_srv_test');
    // Every retry, reconnect and fallback poll is a timer on this clock, and the 401 answered the only
    // request: with no timer left nothing can come due, however far time moves.
    expect(clock.pendingTimers).toBe(0);
    clock.advance(600_000);
    expect(clock.pendingTimers).toBe(0);
    expect(server.requests).toHaveLength(1);
  });

  /** The delay each of the first `attempts` failures announced, moving the clock past each. */
  async function announcedDelays(
    sink: RecordingSink,
    clock: ManualClock,
    attempts: number,
  ): Promise<number[]> {
    const delays: number[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await waitUntil(() => sink.errors.length === attempt);
      delays.push(Number(/reconnecting in (\d+) ms/.exec(sink.errors.at(-1)?.error.message ?? '')?.[1]));
      clock.advance(delays.at(-1) ?? 0);
    }
    return delays;
  }

  it('backs off up to 30 s while the server answers with errors', async () => {
    server = await SdkTestServer.start();
    server.streamStatus = 500;
    const clock = new ManualClock();
    const sink = await connect({ clock, random: () => 0.5, pollFallbackAfterFailures: 100 });
    expect(await announcedDelays(sink, clock, 7)).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(sink.errors[0]?.error.message).toMatch(/answered HTTP 500/);
  });

  it('keeps delays under 4 s while a gateway says the server is away (502/503/504 without Retry-After)', async () => {
    server = await SdkTestServer.start();
    server.streamStatus = 503;
    const clock = new ManualClock();
    const sink = await connect({ clock, random: () => 0.999_999, pollFallbackAfterFailures: 100 });
    expect(await announcedDelays(sink, clock, 5)).toEqual([999, 1_999, 3_999, 3_999, 3_999]);
    expect(sink.errors[0]?.error.message).toMatch(/answered HTTP 503/);
  });

  it('is back within 4 s of a server that was gone for long, on the same port', async () => {
    server = await SdkTestServer.start();
    const port = server.port;
    const clock = new ManualClock();
    const sink = await connect({ clock, random: () => 0.999_999, pollFallbackAfterFailures: 100 });
    await waitUntil(() => sink.inits.length === 1);
    await server.close();
    // Connection refused, attempt after attempt: a minute and more of them, none waiting 4 s or more.
    const delays = await announcedDelays(sink, clock, 20);
    expect(delays.slice(0, 3)).toEqual([999, 1_999, 3_999]);
    expect(Math.max(...delays)).toBe(3_999);
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeGreaterThan(60_000);
    expect(sink.errors.every((e) => !e.fatal && /failed/.test(e.error.message))).toBe(true);

    await waitUntil(() => sink.errors.length === 21);
    server = await SdkTestServer.start({ port });
    server.setFlagQuietly('kill-switch', booleanFlag('kill-switch', false, 2));
    clock.advance(3_999);
    // It asks for what it missed since revision 1 (Last-Event-ID) and gets the change as a patch.
    await waitUntil(() => sink.patches.length === 1);
    expect(server.requestsTo('/sdk/v1/stream')[0]?.headers['last-event-id']).toBe('1');
    expect(sink.patches[0]?.flags?.['kill-switch']).toMatchObject({ enabled: false });
  });

  it('waits what Retry-After asks for, jittered, before trying again', async () => {
    server = await SdkTestServer.start();
    server.streamStatus = 503;
    server.streamStatusHeaders = { 'retry-after': '30' };
    const clock = new ManualClock();
    const sink = await connect({ clock, random: () => 0.5, pollFallbackAfterFailures: 100 });
    await waitUntil(() => sink.errors.length === 1);
    expect(sink.errors[0]?.error.message).toMatch(/answered HTTP 503; reconnecting in 45000 ms/);
    server.streamStatus = 429;
    server.streamStatusHeaders = { 'retry-after': '2' };
    clock.advance(45_000);
    await waitUntil(() => sink.errors.length === 2);
    expect(sink.errors[1]?.error.message).toMatch(/answered HTTP 429; reconnecting in 3000 ms/);
    expect(server.requestsTo('/sdk/v1/stream')).toHaveLength(2);
  });

  it('starts the backoff over after a connection that stayed healthy', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock();
    const sink = await connect({
      clock,
      random: () => 0.5,
      healthyAfterMs: 60_000,
      heartbeatTimeoutMs: 600_000,
    });
    await waitUntil(() => sink.inits.length === 1);
    server.streamStatus = 503;
    server.dropStreams();
    await waitUntil(() => sink.errors.length === 1);
    clock.advance(500);
    await waitUntil(() => sink.errors.length === 2);
    expect(sink.errors[1]?.error.message).toMatch(/reconnecting in 1000 ms/);
    server.streamStatus = null;
    clock.advance(1_000);
    // The client's own view of the connection counts: it marks the connection open when the response
    // arrives, so wait for the reconnect's put, not for the server to count the stream.
    await waitUntil(() => sink.inits.length === 2);
    clock.advance(60_000);
    server.dropStreams();
    await waitUntil(() => sink.errors.length === 3);
    expect(sink.errors[2]?.error.message).toMatch(/reconnecting in 500 ms/);
  });

  it('falls back to polling with If-None-Match after repeated failures, and stops once the stream is back', async () => {
    server = await SdkTestServer.start();
    server.streamStatus = 503;
    server.flags.a = booleanFlag('a', true);
    const clock = new ManualClock();
    // Every reconnect waits 500 ms; polls come every 10 s; the watchdog (45 s) stays out of the way.
    const sink = await connect({
      clock,
      backoff: { initialMs: 1_000, maxMs: 1_000 },
      pollFallbackAfterFailures: 2,
      pollIntervalMs: 10_000,
      random: () => 0.5,
    });
    const live = source as StreamingDataSource;
    /** Moves time on, then waits until the refused reconnects and the polls that came due have all been answered. */
    const advance = async (ms: number, until: () => boolean) => {
      clock.advance(ms);
      // One reconnect timer and one poll timer: neither a stream attempt nor a poll is in flight.
      await waitUntil(() => until() && clock.pendingTimers === 2);
    };
    await waitUntil(() => sink.errors.length === 1);
    await advance(500, () => sink.errors.length === 2 && sink.inits.length === 1);
    expect(live.polling).toBe(true);
    await advance(10_000, () => server.requestsTo('/sdk/v1/flags').length === 2);
    const polls = server.requestsTo('/sdk/v1/flags');
    expect(polls[0]?.headers['if-none-match']).toBeUndefined();
    expect(polls[1]?.headers['if-none-match']).toBe('"1"');
    expect(polls[0]?.headers.authorization).toBe('rf_srv_test');
    expect(sink.inits).toHaveLength(1); // the 304 delivered nothing

    server.setFlagQuietly('a', booleanFlag('a', false, 2));
    await advance(10_000, () => sink.inits.length === 2);
    expect(sink.inits[1]?.revision).toBe(2);

    server.streamStatus = null;
    clock.advance(500);
    await waitUntil(() => server.openStreams === 1);
    // Up to date through Last-Event-ID, the stream sends no put; its first heartbeat proves it.
    expect(server.requestsTo('/sdk/v1/stream').at(-1)?.headers['last-event-id']).toBe('2');
    server.sendHeartbeat();
    await waitUntil(() => !live.polling);
    // Only the watchdog is left on the clock: the poller's timer is gone, so no poll can come due,
    // and advancing past three poll intervals starts none.
    expect(clock.pendingTimers).toBe(1);
    const pollsWhenStreaming = server.requestsTo('/sdk/v1/flags').length;
    clock.advance(30_000);
    expect(clock.pendingTimers).toBe(1);
    server.setFlag('a', booleanFlag('a', true, 3));
    await waitUntil(() => sink.patches.length === 1);
    expect(sink.patches[0]?.revision).toBe(3);
    expect(sink.inits).toHaveLength(2);
    expect(server.requestsTo('/sdk/v1/flags')).toHaveLength(pollsWhenStreaming);
  });

  it('releases the connection on close', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock();
    const sink = await connect({ clock });
    await waitUntil(() => sink.inits.length === 1);
    await source?.close();
    await waitUntil(() => server.openStreams === 0);
    // The server saw the connection end, and no timer is left to open another.
    expect(clock.pendingTimers).toBe(0);
    expect(sink.errors).toEqual([]);
  });
});
