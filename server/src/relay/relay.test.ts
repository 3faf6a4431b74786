/**
 * The relay in process against the real server: a server on 127.0.0.1 with a temporary SQLite file,
 * relays started with `startRelay` following it over real SSE, the Node SDK pointed at a relay, and
 * every change made through the server's admin API.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ringflag, type RingflagOptions } from '@ringflag/sdk-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { changeOf, SseStream } from '../../../test/cluster/sse.js';
import { type RunningServer, startServer } from '../server.js';
import { adminRequest, loginAsAdmin } from '../testing.js';
import { type RelayStatus, type RunningRelay, type StartRelayOptions, startRelay } from './relay-server.js';

const ADMIN = { email: 'admin@example.com', password: 'relay-test-password' };
const ENV = 'development';
const ORIGIN = 'https://app.example.com';
const quiet = { warn: () => {}, error: () => {} };
/** How long a wait for the relay (or its SDKs) to catch up may take. */
const WAIT = { timeout: 8_000, interval: 50 };

interface Key {
  id: number;
  key: string;
}
interface Payload {
  revision: number;
  flags: Record<string, { enabled: boolean }>;
}
interface Evaluation {
  revision: number;
  flags: Record<string, { value: unknown; variant: string }>;
}
interface SseEvent {
  event: string;
  id: string;
  data: string;
}

let dir: string;
let dbPath: string;
let server: RunningServer;
let token: string;
let serverKey: Key;
let clientKey: Key;
/** What each test opened, closed last first. */
let cleanups: (() => unknown)[];

async function startUpstream(port = 0): Promise<RunningServer> {
  server = await startServer({ db: dbPath, port, admin: ADMIN, logLevel: 'silent' });
  token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  return server;
}

async function admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await adminRequest<T>(server.url, token, method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const createKey = (type: 'server' | 'client', env = ENV) =>
  admin<Key>('POST', `/api/v1/environments/${env}/sdk-keys`, { type });
const revokeKey = (id: number) => admin('DELETE', `/api/v1/environments/${ENV}/sdk-keys/${id}`);
const toggle = (flag: string, enabled: boolean) =>
  admin('POST', `/api/v1/flags/${flag}/environments/${ENV}/toggle`, { enabled });
/** The exposures the server counted for a flag in the environment, per variant. */
const exposures = async (flag: string) =>
  (
    await admin<{ totals: Record<string, number> }>(
      'GET',
      `/api/v1/flags/${flag}/exposures?environment=${ENV}`,
    )
  ).totals;

const payloadOf = (base: string, key = serverKey.key, headers: Record<string, string> = {}) =>
  fetch(`${base}/sdk/v1/flags`, { headers: { authorization: key, ...headers } });
const serverRevision = async () => ((await (await payloadOf(server.url)).json()) as Payload).revision;
const evaluate = (base: string, context: object, headers: Record<string, string> = {}) =>
  fetch(`${base}/client/v1/evaluate`, {
    method: 'POST',
    headers: { authorization: clientKey.key, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ context }),
  });
const readyz = async (relay: RunningRelay) => {
  const res = await fetch(`${relay.url}/readyz`);
  return { status: res.status, body: (await res.json()) as RelayStatus };
};
const metrics = async (relay: RunningRelay) => (await fetch(`${relay.url}/metrics`)).text();
/** The state of the relay's one environment. */
const stateOf = (relay: RunningRelay) => relay.status().environments[0];

/** Starts a relay following the server with its server key; resolves once it serves flags. */
async function follow(options: Partial<StartRelayOptions> = {}): Promise<RunningRelay> {
  const relay = await startRelay({
    upstream: server.url,
    sdkKeys: [serverKey.key],
    keyPollMs: 200,
    logLevel: 'silent',
    ...options,
  });
  cleanups.push(() => relay.close());
  await vi.waitFor(() => expect(relay.status().ok).toBe(true), WAIT);
  return relay;
}

/** A Node SDK on a relay, ready. */
async function sdkOn(relay: RunningRelay, options: RingflagOptions = {}): Promise<Ringflag> {
  const sdk = new Ringflag({
    sdkKey: serverKey.key,
    baseUrl: relay.url,
    logger: quiet,
    sendEvents: false,
    ...options,
  });
  cleanups.push(() => sdk.close());
  await sdk.ready({ timeoutMs: 5_000 });
  return sdk;
}

/** Opens an event stream and collects its events (heartbeat comments left out) as they arrive. */
async function collectEvents(url: string, headers: Record<string, string>): Promise<SseEvent[]> {
  const controller = new AbortController();
  cleanups.push(() => controller.abort());
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const events: SseEvent[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const fields = new Map<string, string>();
        for (const line of buffer.slice(0, end).split('\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
        }
        buffer = buffer.slice(end + 2);
        const event = fields.get('event');
        if (event) events.push({ event, id: fields.get('id') ?? '', data: fields.get('data') ?? '' });
      }
    }
  })().catch(() => {});
  return events;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringflag-relay-'));
  dbPath = join(dir, 'ringflag.db');
  cleanups = [];
  await startUpstream();
  serverKey = await createKey('server');
  clientKey = await createKey('client');
  await admin('POST', '/api/v1/flags', { key: 'banner', kind: 'boolean', clientSide: true });
  await admin('POST', '/api/v1/flags', { key: 'checkout', kind: 'boolean', clientSide: false });
  await toggle('banner', true);
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('relay: server SDKs', () => {
  it("serves a Node SDK the flags, brings it a toggle, and answers /sdk/v1/flags with the server's ETag", async () => {
    const relay = await follow();
    const sdk = await sdkOn(relay);
    expect(sdk.revision).toBe(await serverRevision());
    expect(sdk.isEnabled('banner', { key: 'user-1' })).toBe(true);

    await toggle('banner', false);
    await vi.waitFor(() => expect(sdk.isEnabled('banner', { key: 'user-1' })).toBe(false), WAIT);
    expect(sdk.revision).toBe(await serverRevision());

    const direct = await payloadOf(server.url);
    const relayed = await payloadOf(relay.url);
    expect(relayed.status).toBe(200);
    const etag = direct.headers.get('etag') as string;
    expect(etag).toBeTruthy();
    expect(relayed.headers.get('etag')).toBe(etag);
    expect(await relayed.json()).toEqual(await direct.json());
    const unchanged = await payloadOf(relay.url, serverKey.key, { 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
  });

  it('replays the patches a stream missed from its own history on Last-Event-ID, not a put', async () => {
    const relay = await follow();
    const from = await serverRevision();
    expect(stateOf(relay)?.revision).toBe(from);
    await toggle('banner', false);
    await toggle('checkout', true);
    await vi.waitFor(() => expect(stateOf(relay)?.revision).toBe(from + 2), WAIT);

    const resumed = await SseStream.open(relay.url, serverKey.key, { lastEventId: from });
    cleanups.push(() => resumed.close());
    await resumed.waitForRevision(from + 2);
    expect(resumed.events.map((event) => [event.event, event.id])).toEqual([
      ['patch', from + 1],
      ['patch', from + 2],
    ]);
    expect(changeOf(resumed.events[0]!).flags.banner).toMatchObject({ enabled: false });
    expect(changeOf(resumed.events[1]!).flags.checkout).toMatchObject({ enabled: true });

    // A revision from before the relay followed the environment is not in its history: a fresh put.
    const older = await SseStream.open(relay.url, serverKey.key, { lastEventId: from - 1 });
    cleanups.push(() => older.close());
    const first = await older.waitFor(() => true);
    expect([first.event, first.id]).toEqual(['put', from + 2]);
  });
});

describe('relay: browsers', () => {
  it('evaluates as the server does, answers CORS for the origins set upstream, and streams a put then a patch', async () => {
    const relay = await follow();
    const context = { key: 'user-1', plan: 'pro' };
    const direct = await evaluate(server.url, context);
    const relayed = await evaluate(relay.url, context, { origin: ORIGIN });
    expect(relayed.status).toBe(200);
    expect(relayed.headers.get('etag')).toBe(direct.headers.get('etag'));
    const values = (await relayed.json()) as Evaluation;
    expect(values).toEqual(await direct.json());
    expect(values.flags.banner).toMatchObject({ value: true });
    // A client key sees clientSide flags only, on the relay as on the server.
    expect(values.flags.checkout).toBeUndefined();
    expect(relayed.headers.get('access-control-allow-origin')).toBeNull();

    await admin('PATCH', `/api/v1/environments/${ENV}`, { corsOrigins: [ORIGIN] });
    await vi.waitFor(async () => {
      const allowed = await evaluate(relay.url, context, { origin: ORIGIN });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    }, WAIT);
    const other = await evaluate(relay.url, context, { origin: 'https://elsewhere.example.com' });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    // OFREP answers the same through the relay, for either key type.
    for (const key of [serverKey.key, clientKey.key]) {
      const ofrep = (base: string) =>
        fetch(`${base}/ofrep/v1/evaluate/flags/banner`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
        });
      const [fromServer, fromRelay] = await Promise.all([ofrep(server.url), ofrep(relay.url)]);
      expect(fromRelay.status).toBe(200);
      expect(await fromRelay.json()).toEqual(await fromServer.json());
    }

    const encoded = Buffer.from(JSON.stringify(context)).toString('base64url');
    const events = await collectEvents(`${relay.url}/client/v1/stream?context=${encoded}`, {
      authorization: clientKey.key,
    });
    await vi.waitFor(() => expect(events.map((event) => event.event)).toEqual(['put']), WAIT);
    expect((JSON.parse(events[0]!.data) as Evaluation).flags.banner).toMatchObject({ value: true });
    await toggle('banner', false);
    await vi.waitFor(() => expect(events.map((event) => event.event)).toEqual(['put', 'patch']), WAIT);
    const patch = JSON.parse(events[1]!.data) as Evaluation;
    expect(patch.revision).toBe(await serverRevision());
    expect(patch.flags.banner).toMatchObject({ value: false });
  });
});

describe('relay: keys', () => {
  it('takes a key created upstream on its first request and refuses keys of environments it does not follow', async () => {
    // Keys are asked for only when an unknown key shows up here, not on a timer.
    const relay = await follow({ keyPollMs: 60_000 });
    const newServer = await createKey('server');
    const newClient = await createKey('client');
    expect((await payloadOf(relay.url, newServer.key)).status).toBe(200);
    expect((await evaluate(relay.url, {}, { authorization: newClient.key })).status).toBe(200);

    const stagingServer = await createKey('server', 'staging');
    const stagingClient = await createKey('client', 'staging');
    expect((await payloadOf(server.url, stagingServer.key)).status).toBe(200);
    expect((await payloadOf(relay.url, stagingServer.key)).status).toBe(401);
    expect((await evaluate(relay.url, {}, { authorization: stagingClient.key })).status).toBe(401);
    expect((await payloadOf(relay.url, 'rf_srv_made-up')).status).toBe(401);
    // The type of a key counts as on the server.
    expect((await payloadOf(relay.url, clientKey.key)).status).toBe(403);
    expect((await evaluate(relay.url, {}, { authorization: serverKey.key })).status).toBe(403);
  });

  it('closes the streams of a key revoked upstream and refuses it within seconds', async () => {
    const relay = await follow();
    const doomed = await createKey('server');
    const stream = await SseStream.open(relay.url, doomed.key);
    cleanups.push(() => stream.close());
    await stream.waitFor((event) => event.event === 'put');
    const sdk = await sdkOn(relay, { sdkKey: doomed.key });
    const refused = new Promise<Error>((resolve) => {
      sdk.on('error', (error) => {
        if (/HTTP 401/.test(error.message)) resolve(error);
      });
    });
    const kept = await sdkOn(relay);

    await revokeKey(doomed.id);
    await stream.waitForEnd(5_000);
    expect((await payloadOf(relay.url, doomed.key)).status).toBe(401);
    // The SDK's stream was closed too; reconnecting, it is refused and stops.
    await refused;
    // The relay's other keys are untouched.
    expect((await payloadOf(relay.url)).status).toBe(200);
    await toggle('banner', false);
    await vi.waitFor(() => expect(kept.isEnabled('banner', { key: 'user-1' })).toBe(false), WAIT);
  });

  it("stops serving the environment when the upstream revokes the relay's own key", async () => {
    const relayKey = await createKey('server');
    const relay = await follow({ sdkKeys: [relayKey.key] });
    const stream = await SseStream.open(relay.url, serverKey.key);
    cleanups.push(() => stream.close());
    await stream.waitFor((event) => event.event === 'put');
    expect((await readyz(relay)).status).toBe(200);

    await revokeKey(relayKey.id);
    await vi.waitFor(async () => {
      const ready = await readyz(relay);
      expect(ready.status).toBe(503);
      expect(ready.body.ok).toBe(false);
      expect(ready.body.environments).toEqual([
        expect.objectContaining({ environment: ENV, refused: expect.stringMatching(/401/) }),
      ]);
    }, WAIT);
    await stream.waitForEnd(5_000);
    expect((await payloadOf(relay.url)).status).toBe(401);
    expect((await evaluate(relay.url, {})).status).toBe(401);
    expect(await metrics(relay)).toContain(`ringflag_relay_refused{environment="${ENV}"} 1`);
    // What it no longer follows, it no longer lists for relays below it either.
    expect(
      (await fetch(`${relay.url}/relay/v1/keys`, { headers: { authorization: serverKey.key } })).status,
    ).toBe(401);
  });

  it('forgets its persisted state when the upstream revokes its key, so a restart does not serve it again', async () => {
    const dataDir = join(dir, 'relay');
    const relayKey = await createKey('server');
    const relay = await follow({ sdkKeys: [relayKey.key], dataDir });
    await vi.waitFor(() => expect(readdirSync(dataDir)).toHaveLength(1), WAIT);
    await revokeKey(relayKey.id);
    await vi.waitFor(() => expect(stateOf(relay)?.refused).toBeTruthy(), WAIT);
    await relay.close();
    await server.close();

    const again = await startRelay({
      upstream: server.url,
      sdkKeys: [relayKey.key],
      dataDir,
      logLevel: 'silent',
    });
    cleanups.push(() => again.close());
    expect((await readyz(again)).status).toBe(503);
    expect((await payloadOf(again.url)).status).toBe(503);
  });
});

describe('relay: several environments', () => {
  it('follows each environment with its own key and keeps them apart', async () => {
    const stagingKey = await createKey('server', 'staging');
    const relay = await follow({ sdkKeys: [serverKey.key, stagingKey.key] });
    expect(
      relay
        .status()
        .environments.map((state) => state.environment)
        .sort(),
    ).toEqual([ENV, 'staging']);
    const development = await sdkOn(relay, { sendEvents: true, flushIntervalMs: 60_000 });
    const staging = await sdkOn(relay, { sdkKey: stagingKey.key, sendEvents: true, flushIntervalMs: 60_000 });
    // The flag is on in development only.
    expect(development.isEnabled('banner', { key: 'user-1' })).toBe(true);
    expect(staging.isEnabled('banner', { key: 'user-1' })).toBe(false);

    await admin('POST', '/api/v1/flags/checkout/environments/staging/toggle', { enabled: true });
    await vi.waitFor(() => expect(staging.isEnabled('checkout', { key: 'user-1' })).toBe(true), WAIT);
    expect(development.isEnabled('checkout', { key: 'user-1' })).toBe(false);

    await Promise.all([development.flush(), staging.flush()]);
    await relay.flushEvents();
    expect(await exposures('banner')).toEqual({ on: 1, off: 0 });
    const inStaging = await admin<{ totals: Record<string, number> }>(
      'GET',
      '/api/v1/flags/banner/exposures?environment=staging',
    );
    expect(inStaging.totals).toEqual({ on: 0, off: 1 });
  });
});

describe('relay: upstream away', () => {
  it('keeps serving while the upstream is down, says it is stale, and converges when it is back', async () => {
    const relay = await follow();
    const sdk = await sdkOn(relay);
    const port = server.port;
    await server.close();

    await vi.waitFor(() => expect(stateOf(relay)?.connected).toBe(false), WAIT);
    const values = await evaluate(relay.url, { key: 'user-1' });
    expect(values.status).toBe(200);
    expect(((await values.json()) as Evaluation).flags.banner).toMatchObject({ value: true });
    expect((await payloadOf(relay.url)).status).toBe(200);
    expect(sdk.isEnabled('banner', { key: 'user-1' })).toBe(true);

    const ready = await readyz(relay);
    // It still has flags to serve: ready, but saying how long it has not heard from its upstream.
    expect(ready.status).toBe(200);
    const [away] = ready.body.environments;
    expect(away).toMatchObject({ environment: ENV, connected: false, refused: null });
    await vi.waitFor(
      async () =>
        expect((await readyz(relay)).body.environments[0]?.staleSeconds).toBeGreaterThan(
          away?.staleSeconds ?? 0,
        ),
      WAIT,
    );
    const text = await metrics(relay);
    expect(text).toContain(`ringflag_relay_upstream_connected{environment="${ENV}"} 0`);
    expect(text).toMatch(new RegExp(`ringflag_relay_stale_seconds\\{environment="${ENV}"\\} [0-9.]*[1-9]`));

    await startUpstream(port);
    // Back, with nothing missed: the stream brings no event, and the relay still knows it is connected.
    await vi.waitFor(() => expect(stateOf(relay)).toMatchObject({ connected: true, staleSeconds: 0 }), {
      ...WAIT,
      timeout: 12_000,
    });
    await toggle('banner', false);
    await vi.waitFor(() => expect(sdk.isEnabled('banner', { key: 'user-1' })).toBe(false), {
      ...WAIT,
      timeout: 12_000,
    });
    expect(stateOf(relay)).toMatchObject({ connected: true, staleSeconds: 0 });
    expect(await metrics(relay)).toContain(`ringflag_relay_upstream_connected{environment="${ENV}"} 1`);
  });

  it('serves the persisted flags and keys at once when it restarts while the upstream is down', async () => {
    const dataDir = join(dir, 'relay');
    const first = await follow({ dataDir });
    await toggle('banner', false);
    const revision = await serverRevision();
    await vi.waitFor(() => expect(stateOf(first)?.revision).toBe(revision), WAIT);
    await first.close();
    expect(readdirSync(dataDir)).toHaveLength(1);
    const state = readdirSync(dataDir).map((name) => join(dataDir, name))[0] as string;
    // The relay keeps the keys' hashes, never a key.
    expect(readFileSync(state, 'utf8')).not.toContain(serverKey.key);
    await server.close();

    const second = await startRelay({
      upstream: server.url,
      sdkKeys: [serverKey.key],
      dataDir,
      keyPollMs: 200,
      logLevel: 'silent',
    });
    cleanups.push(() => second.close());
    const flags = await payloadOf(second.url);
    expect(flags.status).toBe(200);
    expect(((await flags.json()) as Payload).revision).toBe(revision);
    const values = await evaluate(second.url, { key: 'user-1' });
    expect(values.status).toBe(200);
    expect(((await values.json()) as Evaluation).flags.banner).toMatchObject({ value: false });

    const ready = await readyz(second);
    expect(ready.status).toBe(200);
    expect(ready.body.environments).toEqual([
      expect.objectContaining({ environment: ENV, revision, connected: false, refused: null }),
    ]);
    expect(ready.body.environments[0]?.staleSeconds).toBeGreaterThan(0);
    const sdk = await sdkOn(second);
    expect(sdk.revision).toBe(revision);
    expect(sdk.isEnabled('banner', { key: 'user-1' })).toBe(false);
  });

  it('writes when it last heard from the upstream as it stops, so staleness after a restart counts from then', async () => {
    const dataDir = join(dir, 'relay');
    const first = await follow({ dataDir });
    const file = () => readdirSync(dataDir).map((name) => join(dataDir, name))[0];
    const confirmedAt = () =>
      Date.parse((JSON.parse(readFileSync(file() as string, 'utf8')) as { confirmedAt: string }).confirmedAt);
    await vi.waitFor(() => expect(file()).toBeDefined(), WAIT);
    const written = confirmedAt();
    // Nothing changes, so nothing is written again for a minute; the key polls (every 200 ms) hear the upstream.
    await expect.poll(() => Date.now() - written, WAIT).toBeGreaterThan(1_500);
    await first.close();
    expect(confirmedAt()).toBeGreaterThan(written + 1_000);
  });

  it('keeps nothing without a data directory, and makes SDKs wait rather than refusing their keys', async () => {
    const relay = await follow();
    await relay.close();
    const port = server.port;
    await server.close();

    const again = await startRelay({ upstream: server.url, sdkKeys: [serverKey.key], logLevel: 'silent' });
    cleanups.push(() => again.close());
    expect((await readyz(again)).status).toBe(503);
    // It cannot tell a good key from a revoked one: 503 with Retry-After, not a 401 that stops an SDK.
    const refused = await payloadOf(again.url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    const sdk = new Ringflag({ sdkKey: serverKey.key, baseUrl: again.url, logger: quiet, sendEvents: false });
    cleanups.push(() => sdk.close());
    const ready = sdk.ready({ timeoutMs: 15_000 });

    await startUpstream(port);
    await ready;
    expect(sdk.isEnabled('banner', { key: 'user-1' })).toBe(true);
    expect((await readyz(again)).status).toBe(200);
  });
});

describe('relay: events', () => {
  it('forwards SDK and browser reports upstream, and holds them while the upstream is away', async () => {
    const relay = await follow({ eventFlushMs: 60_000 });
    const sdk = await sdkOn(relay, { sendEvents: true, flushIntervalMs: 60_000 });
    for (const user of ['user-1', 'user-2', 'user-3'])
      expect(sdk.isEnabled('banner', { key: user })).toBe(true);
    await sdk.flush();
    const browser = await fetch(`${relay.url}/client/v1/events`, {
      method: 'POST',
      headers: { authorization: clientKey.key, 'content-type': 'application/json' },
      body: JSON.stringify({ exposures: [{ flag: 'banner', variant: 'on', count: 2 }] }),
    });
    expect(browser.status).toBe(202);
    expect(await metrics(relay)).toContain('ringflag_relay_events_pending 2');
    expect(await exposures('banner')).toEqual({ on: 0, off: 0 });

    await relay.flushEvents();
    expect(await exposures('banner')).toEqual({ on: 5, off: 0 });
    expect(await metrics(relay)).toContain('ringflag_relay_events_forwarded_total 2');

    // The upstream goes away: what the SDKs report waits on the relay.
    const port = server.port;
    await server.close();
    sdk.isEnabled('banner', { key: 'user-4' });
    await sdk.flush();
    await relay.flushEvents();
    expect(await metrics(relay)).toContain('ringflag_relay_events_pending 1');

    await startUpstream(port);
    await relay.flushEvents();
    expect(await exposures('banner')).toEqual({ on: 6, off: 0 });
    const text = await metrics(relay);
    expect(text).toContain('ringflag_relay_events_pending 0');
    expect(text).toContain('ringflag_relay_events_dropped_total 0');
  });
});

describe('relay: chained', () => {
  it('follows another relay: flags come down through both, events go up through both', async () => {
    const a = await follow();
    const b = await follow({ upstream: a.url });
    const sdk = await sdkOn(b);
    expect(sdk.isEnabled('banner', { key: 'user-1' })).toBe(true);
    await toggle('banner', false);
    await vi.waitFor(() => expect(sdk.isEnabled('banner', { key: 'user-1' })).toBe(false), WAIT);
    expect(sdk.revision).toBe(await serverRevision());

    // A key created on the server reaches the relay at the end of the chain.
    const newClient = await createKey('client');
    await vi.waitFor(
      async () => expect((await evaluate(b.url, {}, { authorization: newClient.key })).status).toBe(200),
      WAIT,
    );

    const reported = await fetch(`${b.url}/sdk/v1/events`, {
      method: 'POST',
      headers: { authorization: serverKey.key, 'content-type': 'application/json' },
      body: JSON.stringify({ exposures: [{ flag: 'banner', variant: 'off', count: 4 }] }),
    });
    expect(reported.status).toBe(202);
    await b.flushEvents();
    // The report, and the browser context B evaluated for the new key.
    expect(await metrics(a)).toContain('ringflag_relay_events_pending 2');
    await a.flushEvents();
    expect(await exposures('banner')).toEqual({ on: 0, off: 4 });
  });
});
