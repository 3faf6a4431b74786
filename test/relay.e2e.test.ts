/**
 * End to end, with real processes on 127.0.0.1, as a user runs them: the Ringflag server (a child
 * process on a SQLite file), relays started with `ringflag relay` (server/bin/ringflag.mjs, server keys
 * in RINGFLAG_RELAY_SDK_KEYS), and in front of the relays the Node SDK, the browser SDK in Chromium, the
 * official OFREP provider and HAProxy. A change on the server reaches every SDK through a relay; a
 * revoked key stops working there; a relay keeps serving while the server is away, also after its own
 * restart; and with two relays behind HAProxy, killing one loses no change for any SDK.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { ErrorCode, OpenFeature } from '@openfeature/server-sdk';
import { Ringflag } from '@ringflag/sdk-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, type Haproxy, haproxyAvailable, revisionAt, startHaproxy } from './cluster/cluster.js';
import { gapProblem, SseStream } from './cluster/sse.js';
import { launchChromium } from './support/chromium.js';
import { type RelayProcess, startRelayProcess } from './support/relay-process.js';
import { AdminClient, type RingflagProcess, startRingflagProcess } from './support/ringflag-process.js';

const ENV = 'development';
/** The flag the browser test page shows (test/browser/page.html). */
const BANNER = 'demo-banner';
const PAGE_HTML = readFileSync(new URL('./browser/page.html', import.meta.url), 'utf8');
/** The built browser SDK (dist/ringflag.js of @ringflag/sdk-browser), as an application ships it. */
const SDK_BUNDLE = createRequire(import.meta.url).resolve('@ringflag/sdk-browser/ringflag.js');
const quiet = { warn: () => {}, error: () => {} };

/**
 * HAProxy in front of two relays: round robin, each checked on /healthz; a relay that refuses the
 * connection costs a retry on the other. Addresses from the variables {@link startHaproxy} sets.
 */
const HAPROXY_RELAYS_CFG = `
global
    log stdout format raw local0 notice

defaults
    mode http
    log global
    option dontlognull
    option forwardfor
    retries 2
    option redispatch 1
    timeout connect 2s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 5s
    timeout client 5m
    timeout server 5m
    timeout client-fin 10s
    timeout server-fin 10s

frontend relays
    bind "\${RINGFLAG_LB_BIND}"
    default_backend relays

backend relays
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host relay
    http-check expect status 200
    default-server check inter 500ms fall 2 rise 2
    server relay-1 "\${RINGFLAG_REPLICA_1}"
    server relay-2 "\${RINGFLAG_REPLICA_2}"
`;
const user1 = { key: 'user-1' };

if (!haproxyAvailable()) {
  console.warn(
    'relay end-to-end: the two-relays test is skipped: haproxy not installed (set RINGFLAG_HAPROXY)',
  );
}

let dir: string;
let server: RingflagProcess;
let admin: AdminClient;
let relay: RelayProcess;
/** The relay's own server key for the environment. */
let relayKey: string;
/** Keys the SDKs use (not the relay's): the relay learns them from the server. */
let sdkKey: string;
let clientKey: string;
let pages: Server;
let pagesOrigin: string;
/** Processes and clients a test started, stopped after it whatever happened. */
const cleanups: (() => Promise<void> | void)[] = [];
/** Output of the processes of the test under way, printed when it fails. */
const outputs: (() => string)[] = [];

/** A Node SDK streaming from `baseUrl`, closed after the test. */
function sdk(baseUrl: string, key = sdkKey): Ringflag {
  const client = new Ringflag({ sdkKey: key, baseUrl, logger: quiet, sendEvents: false });
  cleanups.push(() => client.close());
  return client;
}

/** Sets a boolean flag's config in the environment: on or off for everyone. */
async function setFlag(flag: string, enabled: boolean): Promise<void> {
  await admin.putConfig(flag, ENV, { enabled, offVariation: 'off', fallthrough: { variation: 'on' } });
}

const toggle = (flag: string, enabled: boolean) =>
  admin.request('POST', `/api/v1/flags/${flag}/environments/${ENV}/toggle`, { enabled });

async function createFlag(flag: string, enabled: boolean): Promise<void> {
  await admin.request('POST', '/api/v1/flags', { key: flag, name: flag, kind: 'boolean', clientSide: true });
  await setFlag(flag, enabled);
}

/** What a browser key gets for `flag` from `base` (`/client/v1/evaluate`): the status and the value. */
async function evaluated(base: string, key: string, flag: string) {
  const reply = await call(base, 'POST', '/client/v1/evaluate', {
    headers: { authorization: key },
    body: { context: user1 },
  });
  const flags =
    reply.status === 200
      ? (JSON.parse(reply.text) as { flags: Record<string, { value: unknown }> }).flags
      : {};
  return { status: reply.status, value: flags[flag]?.value };
}

/** The status of `GET /sdk/v1/flags` with `key`. */
async function flagsStatus(base: string, key: string): Promise<number> {
  return (await call(base, 'GET', '/sdk/v1/flags', { headers: { authorization: key } })).status;
}

interface Readiness {
  ok: boolean;
  environments: { environment: string; revision: number | null; connected: boolean }[];
}

/** What the relay's `/readyz` says about its one environment. */
async function readiness(base: string): Promise<Readiness['environments'][number] | undefined> {
  const reply = await call(base, 'GET', '/readyz', { timeoutMs: 3_000 });
  return reply.status === 0 ? undefined : (JSON.parse(reply.text) as Readiness).environments[0];
}

/** The SDK streams open on a relay (or server) for the environment, from `/metrics`. */
async function openStreams(base: string): Promise<number> {
  const reply = await call(base, 'GET', '/metrics', { timeoutMs: 3_000 });
  const match = new RegExp(`^ringflag_sse_connections\\{environment="${ENV}"\\} (\\d+)$`, 'm').exec(
    reply.text,
  );
  return match ? Number(match[1]) : 0;
}

/** Serves the browser test page and the built SDK, from another origin than the relay (CORS). */
async function servePages(): Promise<Server> {
  const bundle = readFileSync(SDK_BUNDLE, 'utf8');
  const pageServer = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML);
    else if (path === '/ringflag.js')
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  return pageServer;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringflag-relay-e2e-'));
  pages = await servePages();
  pagesOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  server = await startRingflagProcess({ dbPath: join(dir, 'ringflag.db') });
  admin = await AdminClient.login(server.base);
  // The page's origin may call the environment's client surface: on the server, and so on its relays.
  await admin.request('PATCH', `/api/v1/environments/${ENV}`, { corsOrigins: [pagesOrigin] });
  relayKey = await admin.createSdkKey(ENV, 'server');
  sdkKey = await admin.createSdkKey(ENV, 'server');
  clientKey = await admin.createSdkKey(ENV, 'client');
  await createFlag(BANNER, true);
  relay = await startRelayProcess({
    upstream: server.base,
    sdkKeys: [relayKey],
    dataDir: join(dir, 'relay-1'),
  });
}, 90_000);

afterEach(async (context) => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  const extra = outputs.splice(0);
  if (context.task.result?.state !== 'fail') return;
  console.error(`--- server ---\n${server?.output().slice(-3000)}`);
  console.error(`--- relay ---\n${relay?.output().slice(-4000)}`);
  for (const output of extra) console.error(`---\n${output().slice(-3000)}`);
}, 30_000);

afterAll(async () => {
  await OpenFeature.close();
  await relay?.kill();
  await server?.kill();
  await new Promise((resolve) => pages?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('a relay process between the server and the SDKs', () => {
  it('a flag toggled on the server reaches the Node SDK and the browser SDK in Chromium through the relay', async () => {
    await setFlag(BANNER, true);
    const node = sdk(relay.url);
    await node.ready({ timeoutMs: 10_000 });
    expect(node.isEnabled(BANNER, user1)).toBe(true);

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page: Page = await browser.newPage();
    // The page knows only the relay.
    await page.goto(
      `${pagesOrigin}/?${new URLSearchParams({ key: clientKey, base: relay.url, user: user1.key })}`,
    );
    const bannerIs = (state: 'on' | 'off') =>
      page.locator(`#banner[data-state="${state}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await bannerIs('on');
    await page.locator('#status', { hasText: 'live' }).waitFor({ timeout: 10_000 });

    await toggle(BANNER, false);
    await vi.waitFor(() => expect(node.isEnabled(BANNER, user1)).toBe(false), { timeout: 10_000 });
    await bannerIs('off');
    expect(await page.locator('#reason').textContent()).toBe('{"kind":"OFF"}');

    await toggle(BANNER, true);
    await vi.waitFor(() => expect(node.isEnabled(BANNER, user1)).toBe(true), { timeout: 10_000 });
    await bannerIs('on');
    // Nothing was missed or reloaded: the SDK is at the server's revision, the page counted both changes.
    expect(node.revision).toBe(await revisionAt(server.base, sdkKey));
    expect(Number(await page.locator('#changes').textContent())).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#error').textContent()).toBe('');
  }, 60_000);

  it('the official OFREP provider evaluates a flag through the relay and sees it change', async () => {
    await setFlag(BANNER, true);
    await OpenFeature.setProviderAndWait(
      'relay-ofrep',
      new OFREPProvider({ baseUrl: relay.url, headers: [['Authorization', `Bearer ${sdkKey}`]] }),
    );
    const client = OpenFeature.getClient('relay-ofrep');
    const context = { targetingKey: user1.key };
    // The relay may still be taking the config above in: it converges to it.
    await expect
      .poll(async () => (await client.getBooleanDetails(BANNER, false, context)).value, { timeout: 10_000 })
      .toBe(true);
    expect(await client.getBooleanDetails(BANNER, false, context)).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'STATIC',
    });

    await toggle(BANNER, false);
    await expect
      .poll(async () => (await client.getBooleanDetails(BANNER, true, context)).value, { timeout: 10_000 })
      .toBe(false);
    expect(await client.getBooleanDetails(BANNER, true, context)).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DISABLED',
    });
    // A flag the environment does not have is the provider's FLAG_NOT_FOUND, through the relay too.
    expect(await client.getBooleanDetails('no-such-flag', true, context)).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
  }, 30_000);

  it('a key revoked on the server stops working through the relay; a key of another environment is refused', async () => {
    const server2 = await admin.request<{ id: number; key: string }>(
      'POST',
      `/api/v1/environments/${ENV}/sdk-keys`,
      {
        type: 'server',
      },
    );
    const client2 = await admin.request<{ id: number; key: string }>(
      'POST',
      `/api/v1/environments/${ENV}/sdk-keys`,
      {
        type: 'client',
      },
    );
    // Keys made a moment ago work through the relay at once (it asks the server about a key it does not know).
    await expect.poll(() => flagsStatus(relay.url, server2.key), { timeout: 5_000 }).toBe(200);
    expect((await evaluated(relay.url, client2.key, BANNER)).status).toBe(200);
    const stream = await SseStream.open(relay.url, server2.key);
    cleanups.push(() => stream.close());
    await stream.waitFor((event) => event.event === 'put', 5_000, 'a put');

    await admin.request('DELETE', `/api/v1/environments/${ENV}/sdk-keys/${server2.id}`);
    await admin.request('DELETE', `/api/v1/environments/${ENV}/sdk-keys/${client2.id}`);
    const revokedAt = performance.now();
    await expect
      .poll(() => flagsStatus(relay.url, server2.key), { timeout: 10_000, interval: 200 })
      .toBe(401);
    await expect
      .poll(async () => (await evaluated(relay.url, client2.key, BANNER)).status, {
        timeout: 10_000,
        interval: 200,
      })
      .toBe(401);
    // Its open stream is closed too.
    await stream.waitForEnd(10_000);
    expect(performance.now() - revokedAt).toBeLessThan(10_000);
    // The keys that were not revoked still work.
    expect(await flagsStatus(relay.url, sdkKey)).toBe(200);
    expect((await evaluated(relay.url, clientKey, BANNER)).status).toBe(200);

    // Valid keys of an environment the relay does not follow: the server takes them, the relay does not.
    const stagingServer = await admin.createSdkKey('staging', 'server');
    const stagingClient = await admin.createSdkKey('staging', 'client');
    expect(await flagsStatus(server.base, stagingServer)).toBe(200);
    expect((await evaluated(server.base, stagingClient, BANNER)).status).toBe(200);
    expect(await flagsStatus(relay.url, stagingServer)).toBe(401);
    expect((await evaluated(relay.url, stagingClient, BANNER)).status).toBe(401);
    const ofrep = await call(relay.url, 'POST', `/ofrep/v1/evaluate/flags/${BANNER}`, {
      headers: { authorization: `Bearer ${stagingServer}` },
      body: { context: { targetingKey: user1.key } },
    });
    expect(ofrep.status).toBe(401);
  }, 40_000);

  describe.skipIf(!haproxyAvailable())('two relays behind HAProxy', () => {
    it('one relay killed: every SDK reconnects to the other and ends with every change', async () => {
      const flags = ['ha-1', 'ha-2', 'ha-3'];
      for (const flag of flags) await createFlag(flag, false);
      const second = await startRelayProcess({
        upstream: server.base,
        sdkKeys: [relayKey],
        dataDir: join(dir, 'relay-2'),
      });
      cleanups.push(() => second.kill());
      outputs.push(() => `relay 2\n${second.output()}`);
      // Round robin over both relays, checked on /healthz; the same configuration as docs/deploy except
      // for the addresses and the check.
      const cfg = join(dir, 'haproxy-relays.cfg');
      writeFileSync(cfg, HAPROXY_RELAYS_CFG);
      const lb: Haproxy = await startHaproxy([relay.port, second.port], cfg);
      cleanups.push(() => lb.stop());
      outputs.push(() => `haproxy\n${lb.output()}`);

      const before = await revisionAt(server.base, sdkKey);
      for (const base of [relay.url, second.url]) {
        await expect.poll(() => revisionAt(base, sdkKey), { timeout: 10_000 }).toBe(before);
      }
      const sdks = Array.from({ length: 20 }, () => sdk(lb.base));
      await Promise.all(sdks.map((client) => client.ready({ timeoutMs: 15_000 })));
      for (const client of sdks) expect(client.isEnabled('ha-1', user1)).toBe(false);
      // A raw stream on the relay about to die, to resume by hand from its Last-Event-ID.
      const doomed = await SseStream.open(second.url, sdkKey);
      cleanups.push(() => doomed.close());
      await doomed.waitFor((event) => event.event === 'put', 5_000, 'a put');
      const from = doomed.lastId() as number;
      expect(from).toBe(before);
      // Both relays hold some of the SDKs' streams.
      await expect.poll(() => openStreams(second.url), { timeout: 10_000 }).toBeGreaterThan(1);
      const onFirst = await openStreams(relay.url);
      expect(onFirst).toBeGreaterThan(0);

      await second.kill();
      await doomed.waitForEnd(5_000);
      for (const flag of flags) await toggle(flag, true);
      const after = await revisionAt(server.base, sdkKey);
      expect(after).toBe(before + flags.length);

      await vi.waitFor(
        () => {
          const behind = sdks.filter(
            (client) => client.revision !== after || flags.some((flag) => !client.isEnabled(flag, user1)),
          );
          expect(behind.map((client) => client.revision)).toEqual([]);
        },
        { timeout: 20_000, interval: 100 },
      );
      // They all stream from the surviving relay again.
      await expect.poll(() => openStreams(relay.url), { timeout: 15_000 }).toBe(sdks.length);

      // A stream resuming with the Last-Event-ID it had on the dead relay gets exactly what it missed.
      const resumed = await SseStream.open(lb.base, sdkKey, { lastEventId: from });
      cleanups.push(() => resumed.close());
      await resumed.waitForRevision(after, 5_000);
      expect(gapProblem(resumed.events, from, after)).toBeUndefined();
      expect(resumed.named('put')).toEqual([]);
    }, 60_000);
  });

  it('the server away: the relay keeps serving, restarts from its data directory, and follows the server when it is back', async () => {
    await setFlag(BANNER, true);
    const node = sdk(relay.url);
    await node.ready({ timeoutMs: 10_000 });
    const revision = await revisionAt(server.base, sdkKey);
    await vi.waitFor(() => expect(node.revision).toBe(revision), { timeout: 10_000 });
    expect(node.isEnabled(BANNER, user1)).toBe(true);

    await server.kill();
    await expect.poll(async () => (await readiness(relay.url))?.connected, { timeout: 10_000 }).toBe(false);
    // Still serving: the browser surface evaluates, the SDK keeps its values.
    expect(await evaluated(relay.url, clientKey, BANNER)).toEqual({ status: 200, value: true });
    expect(await flagsStatus(relay.url, sdkKey)).toBe(200);
    expect(node.isEnabled(BANNER, user1)).toBe(true);

    // The relay restarted while the server is still away serves what it kept, from its first request.
    const before = relay;
    outputs.push(() => `relay before its restart\n${before.output()}`);
    relay = await relay.restart();
    expect(await readiness(relay.url)).toMatchObject({ revision, connected: false });
    expect(await revisionAt(relay.url, sdkKey)).toBe(revision);
    expect(await evaluated(relay.url, clientKey, BANNER)).toEqual({ status: 200, value: true });
    // The SDK is back on the restarted relay.
    await expect.poll(() => openStreams(relay.url), { timeout: 15_000 }).toBe(1);
    expect(node.isEnabled(BANNER, user1)).toBe(true);

    // The server back on the same database and port: the relay follows it and the SDK converges.
    server = await server.restart();
    admin = await AdminClient.login(server.base);
    await expect.poll(async () => (await readiness(relay.url))?.connected, { timeout: 15_000 }).toBe(true);
    const changedAt = performance.now();
    await toggle(BANNER, false);
    await vi.waitFor(() => expect(node.isEnabled(BANNER, user1)).toBe(false), { timeout: 10_000 });
    expect(performance.now() - changedAt).toBeLessThan(10_000);
    expect(node.revision).toBe(await revisionAt(server.base, sdkKey));
    expect(await evaluated(relay.url, clientKey, BANNER)).toEqual({ status: 200, value: false });
  }, 90_000);
});
