import { afterEach, describe, expect, it } from 'vitest';
import { PollingDataSource } from './polling.js';
import { ManualClock } from './test-support/manual-clock.js';
import { RecordingSink } from './test-support/recording-sink.js';
import { booleanFlag, SdkTestServer, waitUntil } from './test-support/sdk-test-server.js';

let server: SdkTestServer;
let source: PollingDataSource | null = null;

afterEach(async () => {
  await source?.close();
  source = null;
  await server?.close();
});

function poll(clock: ManualClock, random = () => 0.5, sdkKey = 'rf_srv_test'): RecordingSink {
  const sink = new RecordingSink();
  source = new PollingDataSource({ sdkKey, baseUrl: server.baseUrl, intervalMs: 10_000, clock, random });
  source.start(sink);
  return sink;
}

/**
 * Advances the clock, then waits until every poll that came due has finished. A poll takes its timer
 * off the clock as it starts and sets the next one once answered, so the single pending timer being
 * back means no poll is in flight: the requests the server saw are final.
 */
async function advanceAndSettle(clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await waitUntil(() => clock.pendingTimers === 1);
}

describe('PollingDataSource', () => {
  it('polls at once, then each interval with If-None-Match, delivering only changed payloads', async () => {
    server = await SdkTestServer.start();
    server.flags.a = booleanFlag('a', true);
    const clock = new ManualClock();
    const sink = poll(clock);
    await waitUntil(() => sink.inits.length === 1 && clock.pendingTimers === 1);
    expect(server.requestsTo('/sdk/v1/flags')[0]?.headers['if-none-match']).toBeUndefined();

    clock.advance(10_000);
    await waitUntil(() => server.requests.length === 2 && clock.pendingTimers === 1);
    expect(server.requests[1]?.headers['if-none-match']).toBe('"1"');
    expect(sink.inits).toHaveLength(1);

    server.setFlagQuietly('a', booleanFlag('a', false, 2));
    clock.advance(10_000);
    await waitUntil(() => sink.inits.length === 2);
    expect(sink.inits[1]?.revision).toBe(2);
    expect(sink.errors).toEqual([]);
  });

  // A poll is asynchronous: advancing the clock only starts it. What proves a poll that came due has
  // run to the end is the next timer it sets once answered, so tests count requests only then.
  it('waits at least 9 s with the smallest jitter (−10%)', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock();
    const sink = poll(clock, () => 0);
    await waitUntil(() => sink.inits.length === 1 && clock.pendingTimers === 1);
    await advanceAndSettle(clock, 8_999);
    expect(server.requests).toHaveLength(1);
    await advanceAndSettle(clock, 1);
    expect(server.requests).toHaveLength(2);
  });

  it('waits at most 11 s with the largest jitter (+10%)', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock();
    const sink = poll(clock, () => 0.999_999);
    await waitUntil(() => sink.inits.length === 1 && clock.pendingTimers === 1);
    await advanceAndSettle(clock, 10_999);
    expect(server.requests).toHaveLength(1);
    await advanceAndSettle(clock, 1);
    expect(server.requests).toHaveLength(2);
  });

  it('stops for good on 401', async () => {
    server = await SdkTestServer.start({ sdkKey: 'rf_srv_other' });
    const clock = new ManualClock();
    const sink = poll(clock);
    await waitUntil(() => sink.errors.length === 1);
    expect(sink.errors[0]).toMatchObject({ fatal: true, error: { status: 401 } });
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps polling after the server went away', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock();
    const sink = poll(clock);
    await waitUntil(() => sink.inits.length === 1 && clock.pendingTimers === 1);
    await server.close();
    clock.advance(11_000);
    await waitUntil(() => sink.errors.length === 1 && clock.pendingTimers === 1);
    expect(sink.errors[0]?.fatal).toBe(false);
    expect(sink.errors[0]?.error.message).toMatch(/poll failed/);
  });
});
