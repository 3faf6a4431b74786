import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../data-source/test-support/manual-clock.js';
import { SdkTestServer, waitUntil } from '../data-source/test-support/sdk-test-server.js';
import { EventProcessor, type EventProcessorOptions } from './event-processor.js';

let server: SdkTestServer;
let processor: EventProcessor | null = null;

afterEach(async () => {
  processor?.stop();
  processor = null;
  await server?.close();
});

// 12:00:10 UTC: 50 s before a minute boundary. Minutes go on the wire as minutes since the epoch.
const START = Date.UTC(2025, 0, 1, 12, 0, 10);
const MINUTE_12_00 = Date.UTC(2025, 0, 1, 12, 0, 0) / 60_000;
const MINUTE_12_01 = MINUTE_12_00 + 1;

function create(clock: ManualClock, options: Partial<EventProcessorOptions> = {}) {
  const errors: { error: Error; fatal: boolean }[] = [];
  processor = new EventProcessor({
    sdkKey: 'rf_srv_test',
    baseUrl: server.baseUrl,
    flushIntervalMs: 15_000,
    clock,
    onError: (error, fatal) => errors.push({ error, fatal }),
    ...options,
  });
  return { processor, errors };
}

async function flushed(count: number): Promise<void> {
  await waitUntil(() => server.requestsTo('/sdk/v1/events').length === count);
}

describe('EventProcessor', () => {
  it('sends exposure counts and tracked events every interval, with the SDK key', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock(START);
    const { processor } = create(clock);
    for (let i = 0; i < 3; i++) processor.exposures.record('new-checkout', 'on');
    processor.exposures.record('new-checkout', 'off');
    const context = { key: 'user-1', groups: ['beta'] };
    processor.track('checkout-error', context);
    context.key = 'changed-after-track';
    clock.advance(14_999);
    expect(server.requests).toHaveLength(0);
    clock.advance(1);
    await flushed(1);
    const [request] = server.requestsTo('/sdk/v1/events');
    expect(request?.method).toBe('POST');
    expect(request?.headers.authorization).toBe('rf_srv_test');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      exposures: [
        { flag: 'new-checkout', variant: 'on', count: 3, minute: MINUTE_12_00 },
        { flag: 'new-checkout', variant: 'off', count: 1, minute: MINUTE_12_00 },
      ],
      events: [
        { event: 'checkout-error', context: { key: 'user-1', groups: ['beta'] }, minute: MINUTE_12_00 },
      ],
    });
  });

  it('ignores, and reports once, track calls the server would refuse, keeping the rest of the batch', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock(START);
    const { processor, errors } = create(clock);
    processor.track('', { key: 'u1' });
    processor.track('x'.repeat(129), { key: 'u1' });
    processor.track('nested', { key: 'u1', address: { city: 'Oslo' } } as never);
    processor.track('ok', { key: 'u1', plan: undefined, beta: true });
    await processor.flush();
    expect(server.eventBodies[0]?.events).toEqual([
      { event: 'ok', context: { key: 'u1', beta: true }, minute: MINUTE_12_00 },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toBeInstanceOf(TypeError);
    expect(errors[0]?.error.message).toMatch(
      /ignored 3 track\(\) calls: the event name must be 1–128 characters/,
    );
    await processor.flush();
    expect(errors).toHaveLength(1);
  });

  it('sends nothing when there is nothing to send', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock(START);
    create(clock);
    clock.advance(15_000);
    await processor?.flush();
    expect(server.requests).toHaveLength(0);
  });

  it('splits counts at minute boundaries', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock(START);
    const { processor } = create(clock, { flushIntervalMs: 120_000 });
    processor.exposures.record('a', 'on');
    clock.advance(50_000); // 12:01:00
    processor.exposures.record('a', 'on');
    processor.exposures.record('a', 'on');
    await processor.flush();
    expect(server.eventBodies[0]?.exposures).toEqual([
      { flag: 'a', variant: 'on', count: 1, minute: MINUTE_12_00 },
      { flag: 'a', variant: 'on', count: 2, minute: MINUTE_12_01 },
    ]);
  });

  it('keeps what failed to send and sends it, merged, at the next flush', async () => {
    server = await SdkTestServer.start();
    server.eventsStatus = 503;
    const clock = new ManualClock(START);
    const { processor, errors } = create(clock);
    processor.exposures.record('a', 'on');
    processor.track('e1', { key: 'u1' });
    await processor.flush();
    expect(errors.map((e) => e.error.message)).toEqual([expect.stringMatching(/HTTP 503.*retrying/)]);
    server.eventsStatus = 202;
    processor.exposures.record('a', 'on');
    processor.track('e2', { key: 'u2' });
    await processor.flush();
    const last = server.eventBodies.at(-1);
    expect(last?.exposures).toEqual([{ flag: 'a', variant: 'on', count: 2, minute: MINUTE_12_00 }]);
    expect(last?.events).toMatchObject([{ event: 'e1' }, { event: 'e2' }]);
    await processor.flush();
    expect(server.eventBodies).toHaveLength(2);
  });

  it('bounds what it keeps while the server is away', async () => {
    server = await SdkTestServer.start();
    server.eventsStatus = 500;
    const clock = new ManualClock(START);
    const { processor, errors } = create(clock, { maxQueuedEvents: 3, maxPendingExposures: 2 });
    for (let i = 0; i < 5; i++) processor.track(`e${i}`, {});
    processor.exposures.record('a', 'on');
    processor.exposures.record('b', 'on');
    processor.exposures.record('c', 'on');
    await processor.flush();
    for (let i = 5; i < 7; i++) processor.track(`e${i}`, {});
    expect(processor.droppedEvents).toBe(4);
    expect(processor.droppedExposures).toBe(1);
    server.eventsStatus = 202;
    await processor.flush();
    const last = server.eventBodies.at(-1);
    expect(last?.events.map((e) => (e as { event: string }).event)).toEqual(['e4', 'e5', 'e6']);
    expect(last?.exposures).toHaveLength(2);
    expect(errors.some((e) => /dropped 2 tracked events/.test(e.error.message))).toBe(true);
  });

  it('drops a body the server refuses as invalid instead of resending it forever', async () => {
    server = await SdkTestServer.start();
    server.eventsStatus = 400;
    const clock = new ManualClock(START);
    const { processor, errors } = create(clock);
    processor.track('e', {});
    await processor.flush();
    await processor.flush();
    expect(server.eventBodies).toHaveLength(1);
    expect(errors[0]?.error.message).toMatch(/refused \(HTTP 400\); dropped 1 events/);
  });

  it('stops sending for good on 401', async () => {
    server = await SdkTestServer.start({ sdkKey: 'rf_srv_other' });
    const clock = new ManualClock(START);
    const { processor, errors } = create(clock);
    processor.track('e', {});
    await processor.flush();
    expect(errors).toMatchObject([{ fatal: true, error: { status: 401 } }]);
    expect(clock.pendingTimers).toBe(0);
    processor.track('e', {});
    await processor.flush();
    clock.advance(60_000);
    expect(server.requests).toHaveLength(1);
  });

  it('sends what is left on close and leaves no timer', async () => {
    server = await SdkTestServer.start();
    const clock = new ManualClock(START);
    const { processor } = create(clock);
    processor.exposures.record('a', 'on');
    await processor.close();
    expect(server.eventBodies).toEqual([
      { exposures: [{ flag: 'a', variant: 'on', count: 1, minute: MINUTE_12_00 }], events: [] },
    ]);
    expect(clock.pendingTimers).toBe(0);
    processor.track('late', {});
    await processor.flush();
    expect(server.eventBodies).toHaveLength(1);
  });
});
