/**
 * The public client key cannot grow the server without bound, nor throttle other browsers: a flood
 * of distinct large contexts keeps memory bounded, a flood of made-up flags and event names adds a
 * bounded number of rows, and the rate limits of /client/v1 and /ofrep/v1 refuse the flooding
 * address while another address with the same key is served. Real server (a child process), real
 * sockets, client addresses chosen among 127.0.0.0/8.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@ringflag/server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  AdminClient,
  type RingflagProcess,
  startRingflagProcess,
} from '../support/ringflag-process.js';
import {
  type AddressResponse,
  closeAgents,
  inBatches,
  queryNumber,
  requestFrom,
  rssOf,
} from './public-key-support.js';

const MB = 1024 * 1024;
const servers: RingflagProcess[] = [];
const inProcess: RunningServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.kill();
  for (const server of inProcess.splice(0)) await server.close();
});
afterAll(closeAgents);

async function serverWithClientKey() {
  const server = await startRingflagProcess();
  servers.push(server);
  const admin = await AdminClient.login(server.base);
  await admin.request('POST', '/api/v1/flags', { key: 'banner', kind: 'boolean', clientSide: true });
  await admin.request('POST', '/api/v1/flags/banner/environments/development/toggle', { enabled: true });
  const clientKey = await admin.createSdkKey('development', 'client');
  const send = (address: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    requestFrom(address, `${server.base}${path}`, {
      headers: { authorization: clientKey, ...headers },
      ...(body === undefined ? {} : { body }),
    });
  return { server, clientKey, send };
}

/** A context of about 28 KB (under the 32 KB body limit), different for every `i`. */
const largeContext = (i: number) => ({
  key: `flood-${i}`,
  groups: Array.from({ length: 100 }, (_, g) => `${i}-${g}-`.padEnd(270, 'x')),
});

/** Sends from `address` until a request is refused with 429 (at most `max` requests). */
async function floodUntilRefused(max: number, send: () => Promise<AddressResponse>) {
  let refused: AddressResponse | undefined;
  let sent = 0;
  await inBatches(64, 32, async () => {
    while (!refused && sent < max) {
      sent++;
      const res = await send();
      if (res.status === 429) refused ??= res;
      else expect(res.status).toBe(200);
    }
  });
  return { refused, sent };
}

describe('a flood through the public client key', () => {
  it('keeps memory bounded under distinct large contexts', { timeout: 180_000 }, async () => {
    const { server, send } = await serverWithClientKey();
    // Warm up, so the baseline includes what any first requests load.
    for (let i = 0; i < 50; i++)
      expect((await send('127.0.0.2', '/client/v1/evaluate', { context: { key: `w${i}` } })).status).toBe(
        200,
      );
    const before = await rssOf(server.pid);
    // 10,000 distinct ~28 KB contexts (~280 MB sent) from 24 addresses, so no rate limit intervenes.
    const statuses = await inBatches(10_000, 24, async (i) => {
      const res = await send(`127.0.1.${1 + (i % 24)}`, '/client/v1/evaluate', { context: largeContext(i) });
      return res.status;
    });
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const after = await rssOf(server.pid);
    console.info(`RSS under the context flood: ${Math.round(before / MB)} MB → ${Math.round(after / MB)} MB`);
    // The caches are bounded in bytes (16 MiB of bodies, 64 MiB of evaluations): a generous cap.
    expect(after - before).toBeLessThan(300 * MB);
  });

  it('adds a bounded number of rows however many made-up flags and events it reports', {
    timeout: 120_000,
  }, async () => {
    const { server, send } = await serverWithClientKey();
    const started = performance.now();
    const statuses = await inBatches(100, 8, async (r) => {
      const res = await send(`127.0.2.${1 + (r % 4)}`, '/client/v1/events', {
        exposures: Array.from({ length: 1000 }, (_, i) => ({
          flag: `made-up-${r}-${i}`,
          variant: 'on',
          count: 1,
        })),
        events: Array.from({ length: 1000 }, (_, i) => ({ event: `made-up-${r}-${i}` })),
      });
      return res.status;
    });
    expect(statuses.filter((status) => status !== 202)).toEqual([]);
    const exposureRows = queryNumber(server.dbPath, 'select count(*) from exposure_counts');
    const eventRows = queryNumber(server.dbPath, 'select count(*) from event_counts');
    console.info(
      `rows after 100,000 made-up exposures and 100,000 made-up events in ${Math.round(performance.now() - started)} ms: ` +
        `${exposureRows} exposure rows, ${eventRows} event rows`,
    );
    // Only flags the key can see count (none of these); new event names are budgeted per minute
    // (100; the flood may straddle a minute boundary).
    expect(exposureRows).toBe(0);
    expect(eventRows).toBeLessThanOrEqual(200);
  });

  /** An in-process server on a socket with small per-address limits, so a test client can pass them. */
  async function rateLimitedServer() {
    const dir = mkdtempSync(join(tmpdir(), 'ringflag-public-key-'));
    const server = await startServer({
      db: join(dir, 'ringflag.db'),
      admin: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      logLevel: 'silent',
      print: () => {},
      app: { addressRateLimit: { requestsPerSecond: 5, burst: 20 } },
    });
    inProcess.push(server);
    const admin = await AdminClient.login(server.url);
    await admin.request('POST', '/api/v1/flags', { key: 'banner', kind: 'boolean', clientSide: true });
    const clientKey = await admin.createSdkKey('development', 'client');
    return { base: server.url, clientKey };
  }

  it('refuses the flooding address with 429 while another address on the same key is served', async () => {
    const { base, clientKey } = await rateLimitedServer();
    const evaluate = (address: string, key: string) =>
      requestFrom(address, `${base}/client/v1/evaluate`, {
        headers: { authorization: clientKey },
        body: { context: { key } },
      });
    const { refused, sent } = await floodUntilRefused(2_000, () => evaluate('127.0.0.2', 'abuser'));
    expect(refused, `no 429 after ${sent} requests`).toBeDefined();
    expect(refused?.headers['content-type']).toContain('application/problem+json');
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused?.text ?? '{}')).toMatchObject({ status: 429 });
    // The same key from another address: served.
    expect((await evaluate('127.0.0.3', 'neighbour')).status).toBe(200);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /ringflag_public_requests_rejected_total\{surface="client",reason="rate_limited_address"\} [1-9]/,
    );
  });

  it('throttles an abusive OFREP address, not every browser using the key', async () => {
    const { base, clientKey } = await rateLimitedServer();
    const ofrep = (address: string) =>
      requestFrom(address, `${base}/ofrep/v1/evaluate/flags`, {
        headers: { authorization: `Bearer ${clientKey}` },
        body: { context: { targetingKey: 'user-1' } },
      });
    const { refused, sent } = await floodUntilRefused(1_500, () => ofrep('127.0.0.2'));
    expect(refused, `no 429 after ${sent} requests`).toBeDefined();
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await ofrep('127.0.0.3')).status).toBe(200);
  });

  it('counts browser streams in /metrics', { timeout: 60_000 }, async () => {
    const { server, clientKey } = await serverWithClientKey();
    const metric = async (name: string) => {
      const text = await (await fetch(`${server.base}/metrics`)).text();
      return Number(new RegExp(`^${name}\\{environment="development"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? -1);
    };
    const controllers = Array.from({ length: 3 }, () => new AbortController());
    const opened = await Promise.all(
      controllers.map(async (controller, i) => {
        const context = Buffer.from(JSON.stringify({ key: `s${i}` })).toString('base64url');
        const res = await fetch(`${server.base}/client/v1/stream?key=${clientKey}&context=${context}`, {
          signal: controller.signal,
        });
        expect(res.status).toBe(200);
        return res;
      }),
    );
    expect(await metric('ringflag_browser_streams')).toBe(3);
    expect(await metric('ringflag_browser_streams_opened_total')).toBe(3);
    for (const controller of controllers) controller.abort();
    for (const res of opened) await res.body?.cancel().catch(() => {});
    await expect.poll(() => metric('ringflag_browser_streams'), { timeout: 10_000 }).toBe(0);
    expect(await metric('ringflag_browser_streams_opened_total')).toBe(3);
  });
});
