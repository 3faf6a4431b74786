import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventProcessor } from '../events/event-processor.js';
import { PollingDataSource } from './polling.js';
import { StreamingDataSource } from './streaming.js';
import { ManualClock } from './test-support/manual-clock.js';
import { RecordingSink } from './test-support/recording-sink.js';
import { waitUntil } from './test-support/sdk-test-server.js';

// Narrow network edge cases that a well-behaved test server cannot produce. Everything else runs
// against the real local server in the other tests.
const BASE = 'http://ringflag.test';
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: 'error' }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

const closers: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const closer of closers.splice(0)) await closer.close();
});

/** An SSE response that sends `text` and stays open until the client hangs up. */
function sse(text: string): HttpResponse<ReadableStream> {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
    },
  });
  return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
}

const goodPut = `id: 4\nevent: put\ndata: ${JSON.stringify({ revision: 4, flags: {}, segments: {} })}\n\n`;

function stream(sink: RecordingSink, clock?: ManualClock): StreamingDataSource {
  const source = new StreamingDataSource({ sdkKey: 'rf_srv_test', baseUrl: BASE, random: () => 0, clock });
  closers.push(source);
  source.start(sink);
  return source;
}

describe('network edge cases', () => {
  it('reports a put that is not JSON, then reconnects for a fresh put', async () => {
    const lastEventIds: (string | null)[] = [];
    let calls = 0;
    network.use(
      http.get(`${BASE}/sdk/v1/stream`, ({ request }) => {
        lastEventIds.push(request.headers.get('last-event-id'));
        calls += 1;
        return sse(calls === 1 ? 'id: 3\nevent: put\ndata: {"revision": 3, "flags": {\n\n' : goodPut);
      }),
    );
    const sink = new RecordingSink();
    stream(sink);
    await waitUntil(() => sink.inits.length === 1);
    expect(sink.errors).toHaveLength(1);
    expect(sink.errors[0]?.fatal).toBe(false);
    expect(sink.errors[0]?.error.message).toMatch(/stream put is not JSON/);
    expect(sink.inits[0]?.revision).toBe(4);
    expect(lastEventIds).toEqual([null, null]);
  });

  it('reports a put of the wrong shape', async () => {
    let calls = 0;
    network.use(
      http.get(`${BASE}/sdk/v1/stream`, () => {
        calls += 1;
        return sse(calls === 1 ? 'event: put\ndata: {"flags": {}}\n\n' : goodPut);
      }),
    );
    const sink = new RecordingSink();
    stream(sink);
    await waitUntil(() => sink.inits.length === 1);
    expect(sink.errors[0]?.error.message).toMatch(/stream put is not an SDK payload .*revision/);
  });

  it('asks for a fresh put after a patch it cannot read, instead of resuming past it', async () => {
    const lastEventIds: (string | null)[] = [];
    network.use(
      http.get(`${BASE}/sdk/v1/stream`, ({ request }) => {
        lastEventIds.push(request.headers.get('last-event-id'));
        return sse(
          lastEventIds.length === 1
            ? `${goodPut}id: 5\nevent: patch\ndata: {"revision": "five"}\n\n`
            : goodPut,
        );
      }),
    );
    const sink = new RecordingSink();
    stream(sink);
    await waitUntil(() => sink.inits.length === 2);
    expect(sink.errors[0]?.error.message).toMatch(/stream patch is not an SDK patch/);
    expect(lastEventIds).toEqual([null, null]);
    expect(sink.patches).toEqual([]);
  });

  it('treats a 200 that is not an event stream as a failure and retries', async () => {
    let calls = 0;
    network.use(
      http.get(`${BASE}/sdk/v1/stream`, (): Response => {
        calls += 1;
        return calls === 1 ? HttpResponse.html('<h1>proxy login</h1>') : sse(goodPut);
      }),
    );
    const sink = new RecordingSink();
    stream(sink);
    await waitUntil(() => sink.inits.length === 1);
    expect(sink.errors[0]?.error.message).toMatch(
      /stream answered HTTP 200 but not with an event stream \(Invalid content type/,
    );
  });

  it('stops for good on 403', async () => {
    let calls = 0;
    network.use(
      http.get(`${BASE}/sdk/v1/stream`, () => {
        calls += 1;
        return new HttpResponse(null, { status: 403 });
      }),
    );
    const sink = new RecordingSink();
    const clock = new ManualClock();
    stream(sink, clock);
    await waitUntil(() => sink.errors.length === 1);
    expect(sink.errors[0]).toMatchObject({ fatal: true, error: { status: 403 } });
    // A retry would be a timer on this clock: none is left, so none can come due.
    expect(clock.pendingTimers).toBe(0);
    clock.advance(600_000);
    expect(clock.pendingTimers).toBe(0);
    expect(sink.errors).toHaveLength(1);
    expect(calls).toBe(1);
  });

  it('keeps polling through 500s and a broken connection', async () => {
    const answers = [
      () => new HttpResponse('oops', { status: 500 }),
      () => HttpResponse.error(),
      () => HttpResponse.json({ revision: 9, flags: {}, segments: {} }, { headers: { etag: '"9"' } }),
    ];
    let calls = 0;
    network.use(
      http.get(`${BASE}/sdk/v1/flags`, () => (answers[calls++] ?? answers[2] ?? HttpResponse.error)()),
    );
    const clock = new ManualClock();
    const sink = new RecordingSink();
    const source = new PollingDataSource({
      sdkKey: 'k',
      baseUrl: BASE,
      intervalMs: 1_000,
      clock,
      random: () => 0.5,
    });
    closers.push(source);
    source.start(sink);
    await waitUntil(() => sink.errors.length === 1 && clock.pendingTimers === 1);
    clock.advance(1_000);
    await waitUntil(() => sink.errors.length === 2 && clock.pendingTimers === 1);
    clock.advance(1_000);
    await waitUntil(() => sink.inits.length === 1);
    expect(sink.errors.map((e) => [e.fatal, e.error.message])).toEqual([
      [false, expect.stringMatching(/HTTP 500/)],
      [false, expect.stringMatching(/poll failed/)],
    ]);
    expect(sink.inits[0]?.revision).toBe(9);
  });

  it('keeps events that could not be sent over a broken connection and sends them next time', async () => {
    const bodies: unknown[] = [];
    let fail = true;
    network.use(
      http.post(`${BASE}/sdk/v1/events`, async ({ request }) => {
        if (fail) return HttpResponse.error();
        bodies.push(await request.json());
        return new HttpResponse(null, { status: 202 });
      }),
    );
    const errors: Error[] = [];
    const processor = new EventProcessor({
      sdkKey: 'k',
      baseUrl: BASE,
      clock: new ManualClock(),
      onError: (error) => errors.push(error),
    });
    closers.push(processor);
    processor.track('e', { key: 'u1' });
    processor.exposures.record('a', 'on');
    await processor.flush();
    expect(errors[0]?.message).toMatch(/could not send events/);
    fail = false;
    await processor.flush();
    expect(bodies).toMatchObject([
      { exposures: [{ flag: 'a', variant: 'on', count: 1 }], events: [{ event: 'e' }] },
    ]);
  });
});
