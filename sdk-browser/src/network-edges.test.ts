// @vitest-environment happy-dom
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from './client.js';
import { FakeEventSource, on } from './test-support/fake-event-source.js';
import type { ClientOptions } from './types.js';

const BASE = 'https://flags.example.com';
const KEY = 'rf_cli_test';
const EVALUATE = `${BASE}/client/v1/evaluate`;
const EVENTS = `${BASE}/client/v1/events`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  vi.restoreAllMocks();
});
afterAll(() => server.close());
beforeEach(() => {
  FakeEventSource.reset();
  localStorage.clear();
});

const clients: { close(): void }[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function client(options: Partial<ClientOptions> = {}) {
  const c = createClient({
    clientKey: KEY,
    baseUrl: BASE,
    context: { key: 'user-1' },
    stream: false,
    pollIntervalMs: 10,
    sendEvents: false,
    ...options,
  });
  clients.push(c);
  return c;
}

/** Answers evaluate requests from a list of responses (the last one repeats), recording the requests. */
function evaluateAnswers(...answers: (() => Response)[]) {
  const requests: { authorization: string | null; ifNoneMatch: string | null; body: unknown }[] = [];
  server.use(
    http.post(EVALUATE, async ({ request }) => {
      requests.push({
        authorization: request.headers.get('authorization'),
        ifNoneMatch: request.headers.get('if-none-match'),
        body: await request.json(),
      });
      const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
      return answer ? answer() : HttpResponse.error();
    }),
  );
  return requests;
}

/**
 * A `fetch` for the client that counts its calls and records each JSON body the client has finished
 * reading. The client decides what to do with an answer in the microtasks right after reading it, so
 * once a later check (a later macrotask) sees the body here, that decision has been made.
 */
function watchedFetch() {
  const read: unknown[] = [];
  let calls = 0;
  const send: typeof fetch = async (input, init) => {
    calls += 1;
    const response = await fetch(input, init);
    const json = response.json.bind(response);
    response.json = async () => {
      const body: unknown = await json();
      read.push(body);
      return body;
    };
    return response;
  };
  return { send, read, calls: () => calls };
}

const values =
  (revision: number, flags: object, etag = `"${revision}"`) =>
  () =>
    HttpResponse.json({ revision, flags }, { headers: { etag } });

describe('polling', () => {
  it('posts the context with the key, then revalidates with If-None-Match', async () => {
    const requests = evaluateAnswers(
      values(1, { banner: on() }),
      () => new HttpResponse(null, { status: 304 }),
    );
    const c = client();
    await c.ready();
    expect(c.isEnabled('banner')).toBe(true);
    await vi.waitFor(() => expect(requests.length).toBeGreaterThanOrEqual(3));
    expect(requests[0]).toEqual({
      authorization: KEY,
      ifNoneMatch: null,
      body: { context: { key: 'user-1' } },
    });
    expect(requests[1]?.ifNoneMatch).toBe('"1"');
    expect(c.isEnabled('banner')).toBe(true);
  });

  it('follows changes between polls', async () => {
    evaluateAnswers(values(1, { banner: on() }), values(2, { banner: on('off') }));
    const c = client();
    const changed = new Promise<string[]>((resolve) => c.on('change', ({ keys }) => resolve(keys)));
    await c.ready();
    expect(await changed).toEqual(['banner']);
    await vi.waitFor(() => expect(c.isEnabled('banner')).toBe(false));
  });

  it('stops for good on a refused key: ready rejects, one error, no more requests', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const requests = evaluateAnswers(() => new HttpResponse(null, { status: 401 }));
      const watched = watchedFetch();
      const c = client({ fetch: watched.send });
      const errors: Error[] = [];
      c.on('error', (error) => errors.push(error));
      await expect(c.ready()).rejects.toThrow(/401/);
      // The poll loop decides about the next poll in the microtask after the refused one returns;
      // advancing the fake clock first lets that run, then fires any poll scheduled within ten
      // intervals, and a poll calls fetch at once.
      await vi.advanceTimersByTimeAsync(100);
      expect(vi.getTimerCount()).toBe(0);
      expect(watched.calls()).toBe(1);
      expect(requests.length).toBe(1);
      expect(errors.length).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is ready with cached values when the server cannot be reached, and keeps trying', async () => {
    evaluateAnswers(values(1, { banner: on() }));
    const first = client();
    await first.ready();
    first.close();

    const requests = evaluateAnswers(() => HttpResponse.error());
    const c = client();
    const errors: Error[] = [];
    c.on('error', (error) => errors.push(error));
    await c.ready();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(c.isEnabled('banner')).toBe(true);
    await vi.waitFor(() => expect(requests.length).toBeGreaterThanOrEqual(2));
  });

  it('ignores an answer for a context it has left', async () => {
    let release: (() => void) | undefined;
    server.use(
      http.post(EVALUATE, async ({ request }) => {
        const { context } = (await request.json()) as { context: { key: string } };
        if (context.key === 'user-1') await new Promise<void>((resolve) => (release = resolve));
        return HttpResponse.json({
          revision: 1,
          flags: { who: { value: context.key, variant: context.key, reason: { kind: 'FALLTHROUGH' } } },
        });
      }),
    );
    const watched = watchedFetch();
    const c = client({ pollIntervalMs: 60_000, fetch: watched.send });
    await vi.waitFor(() => expect(release).toBeDefined());
    await c.identify({ key: 'user-2' });
    release?.();
    // user-2's answer, then the late one for user-1: read, so already kept or dropped.
    await vi.waitFor(() => expect(watched.read).toHaveLength(2));
    expect(c.variation('who', '')).toBe('user-2');
  });
});

describe('stream failures', () => {
  it('polls once per failure and reconnects after a jittered delay', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const requests = evaluateAnswers(values(7, { banner: on() }));
    const c = client({ stream: true, EventSource: FakeEventSource });
    FakeEventSource.last.fail();
    await c.ready();
    expect(c.isEnabled('banner')).toBe(true);
    expect(requests.length).toBe(1);
    expect(FakeEventSource.instances[0]?.closed).toBe(true);
    await vi.waitFor(() => expect(FakeEventSource.instances.length).toBe(2));
    // A put older than what the poll brought is still the stream's truth after a reconnect: equal or newer wins.
    FakeEventSource.last.emit('put', { revision: 8, flags: { banner: on('off') } });
    expect(c.isEnabled('banner')).toBe(false);
  });

  it('keeps newer stream values over a poll that answers late', async () => {
    let release: (() => void) | undefined;
    server.use(
      http.post(EVALUATE, async () => {
        await new Promise<void>((resolve) => (release = resolve));
        return HttpResponse.json({ revision: 1, flags: { banner: on('off') } });
      }),
    );
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const watched = watchedFetch();
    const c = client({ stream: true, EventSource: FakeEventSource, fetch: watched.send });
    FakeEventSource.last.fail();
    await vi.waitFor(() => expect(FakeEventSource.instances.length).toBe(2));
    FakeEventSource.last.emit('put', { revision: 2, flags: { banner: on() } });
    await vi.waitFor(() => expect(release).toBeDefined());
    release?.();
    // The late answer has been read, so the client has already kept or dropped it.
    await vi.waitFor(() => expect(watched.read).toHaveLength(1));
    expect(c.isEnabled('banner')).toBe(true);
  });

  it('delays reconnects more after repeated failures, within 30 s, while the stream never worked', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      vi.spyOn(Math, 'random').mockReturnValue(0.999);
      evaluateAnswers(() => HttpResponse.error());
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      client({ stream: true, EventSource: FakeEventSource });
      const delays: number[] = [];
      for (let i = 0; i < 8; i++) {
        FakeEventSource.last.fail();
        const before = FakeEventSource.instances.length;
        let waited = 0;
        while (FakeEventSource.instances.length === before) {
          vi.advanceTimersByTime(100);
          waited += 100;
        }
        delays.push(waited);
      }
      expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('reconnect delays after the stream worked', () => {
  /**
   * Fails the stream `times` times, each time once the poll of the failure before has been answered
   * (`settled`), and returns how long each reconnect took on the fake clock, in 100 ms steps.
   */
  async function reconnectDelays(times: number, settled: (failure: number) => boolean): Promise<number[]> {
    const delays: number[] = [];
    for (let i = 0; i < times; i++) {
      await vi.waitFor(() => expect(settled(i)).toBe(true));
      FakeEventSource.last.fail();
      const before = FakeEventSource.instances.length;
      let waited = 0;
      while (FakeEventSource.instances.length === before) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      delays.push(waited);
    }
    return delays;
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
  });
  afterEach(() => vi.useRealTimers());

  it('stay within 4 s while the server does not answer at all (a restart)', async () => {
    evaluateAnswers(() => HttpResponse.error());
    const c = client({ stream: true, EventSource: FakeEventSource });
    const errors: Error[] = [];
    c.on('error', (error) => errors.push(error));
    FakeEventSource.last.emit('put', { revision: 1, flags: { banner: on() } });
    const delays = await reconnectDelays(8, (failure) => errors.length === failure);
    expect(delays).toEqual([1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000]);
    // Back: the next stream's put ends the outage, and the kill switch is served.
    FakeEventSource.last.emit('put', { revision: 2, flags: { banner: on('off') } });
    expect(c.isEnabled('banner')).toBe(false);
  });

  it('grow to 30 s while the server answers but streams keep failing (a proxy that breaks them)', async () => {
    evaluateAnswers(values(1, { banner: on() }));
    const watched = watchedFetch();
    client({ stream: true, EventSource: FakeEventSource, fetch: watched.send });
    FakeEventSource.last.emit('put', { revision: 1, flags: { banner: on() } });
    const delays = await reconnectDelays(7, (failure) => watched.read.length === failure);
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('follow reconnectBackoff', async () => {
    evaluateAnswers(() => HttpResponse.error());
    const c = client({
      stream: true,
      EventSource: FakeEventSource,
      reconnectBackoff: { initialMs: 500, maxMs: 30_000, unreachableMaxMs: 30_000 },
    });
    const errors: Error[] = [];
    c.on('error', (error) => errors.push(error));
    FakeEventSource.last.emit('put', { revision: 1, flags: { banner: on() } });
    expect(await reconnectDelays(8, (failure) => errors.length === failure)).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });
});

describe('a request that gets no answer', () => {
  it("names the page's origin: a browser withholds a response its CORS check refused", async () => {
    evaluateAnswers(() => HttpResponse.error());
    const c = client();
    const error = await new Promise<Error>((resolve) => c.on('error', resolve));
    expect(error.message).toBe(
      `Ringflag: request to ${BASE} failed — if the server is up, is "${location.origin}" among the environment's allowed origins?`,
    );
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('does not mention origins when the server is on the page’s own origin', async () => {
    server.use(http.post(`${location.origin}/client/v1/evaluate`, () => HttpResponse.error()));
    const c = client({ baseUrl: location.origin });
    const error = await new Promise<Error>((resolve) => c.on('error', resolve));
    expect(error.message).toBe(`Ringflag: request to ${location.origin} failed`);
  });
});

describe('events', () => {
  it('sends exposure counts per flag and variant with tracked events', async () => {
    const bodies: unknown[] = [];
    const headers: (string | null)[] = [];
    server.use(
      http.post(EVENTS, async ({ request }) => {
        headers.push(request.headers.get('authorization'));
        bodies.push(await request.json());
        return new HttpResponse(null, { status: 202 });
      }),
    );
    evaluateAnswers(
      values(1, { banner: on(), color: { value: 'blue', variant: 'blue', reason: { kind: 'OFF' } } }),
    );
    const c = client({ sendEvents: true, flushIntervalMs: 20, pollIntervalMs: 60_000 });
    await c.ready();
    c.isEnabled('banner');
    c.isEnabled('banner');
    c.variation('color', 'x');
    c.variation('missing', 'x');
    c.allFlags();
    c.track('checkout-error');
    await vi.waitFor(() => expect(bodies.length).toBe(1));
    const minute = Math.floor(Date.now() / 60_000);
    const body = bodies[0] as { exposures: { minute: number }[]; events: { minute: number }[] };
    expect(Math.abs((body.exposures[0]?.minute ?? 0) - minute)).toBeLessThanOrEqual(1);
    expect(body).toEqual({
      exposures: [
        { flag: 'banner', variant: 'on', count: 2, minute: body.exposures[0]?.minute },
        { flag: 'color', variant: 'blue', count: 1, minute: body.exposures[0]?.minute },
      ],
      events: [{ event: 'checkout-error', context: { key: 'user-1' }, minute: body.events[0]?.minute }],
    });
    expect(headers).toEqual([KEY]);
  });

  it('sends what is pending at once when the page is hidden', async () => {
    const bodies: unknown[] = [];
    server.use(
      http.post(EVENTS, async ({ request }) => {
        bodies.push(await request.json());
        return new HttpResponse(null, { status: 202 });
      }),
    );
    evaluateAnswers(values(1, {}));
    const c = client({ sendEvents: true, flushIntervalMs: 60_000, pollIntervalMs: 60_000 });
    await c.ready();
    c.track('purchase');
    window.dispatchEvent(new Event('pagehide'));
    await vi.waitFor(() =>
      expect(bodies).toEqual([{ exposures: [], events: [expect.objectContaining({ event: 'purchase' })] }]),
    );
  });
});
