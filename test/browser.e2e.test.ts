/**
 * End to end in real Chromium: the real server (a child process, so it can be killed), a test page on
 * another origin (CORS) using @ringflag/sdk-browser, and the admin API flipping flags in between.
 * Also loads the server's own /demo page. Screenshots land in test-output/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { AdminClient, type RingflagProcess, startRingflagProcess } from './support/ringflag-process.js';

const OUTPUT = new URL('../test-output/', import.meta.url);
const PAGE_HTML = readFileSync(new URL('./browser/page.html', import.meta.url), 'utf8');
const FLAG = 'demo-banner';
const CONFIG_PATH = `/api/v1/flags/${FLAG}/environments/development`;

// Shared by every test: Chromium, the server of the test page, and a Ringflag server whose flag each
// test starts from the same config; the test that stops its server starts one of its own. Each test
// opens its own browser contexts (each with its own localStorage), closed after it.
let browser: Browser;
let pages: Server;
let pagesOrigin: string;
let shared: Ringflag;
const contexts: BrowserContext[] = [];
/** The SDK bundle the test page loads (the browser SDK's built file, as the server's /demo serves it). */
let sdkBundle = '';

/** A running Ringflag server (seeded with the demo), signed in, with a client key for the test page. */
interface Ringflag {
  process: RingflagProcess;
  admin: AdminClient;
  clientKey: string;
}

async function startRingflag(): Promise<Ringflag> {
  const server = await startRingflagProcess({ env: { RINGFLAG_DEMO: 'true' } });
  const admin = await AdminClient.login(server.base);
  const clientKey = await admin.createSdkKey('development', 'client');
  const bundle = await fetch(`${server.base}/demo/ringflag.js`);
  expect(bundle.status).toBe(200);
  sdkBundle = await bundle.text();
  await admin.request('PATCH', '/api/v1/environments/development', { corsOrigins: [pagesOrigin] });
  return { process: server, admin, clientKey };
}

/** Serves the test page and the SDK bundle from another origin than the Ringflag server (CORS). */
async function servePages(): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML);
    } else if (path === '/ringflag.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(sdkBundle);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const pageUrl = (ringflag: Ringflag, user: string) =>
  `${pagesOrigin}/?${new URLSearchParams({ key: ringflag.clientKey, base: ringflag.process.base, user })}`;

/** Opens the test page for `user` in a new browser context: nothing cached from other pages. */
async function openPage(ringflag: Ringflag, user: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(pageUrl(ringflag, user));
  return page;
}

/** What the server itself says `user` gets: the truth the page must show. */
async function serverValue(ringflag: Ringflag, user: string): Promise<'on' | 'off'> {
  const response = await fetch(`${ringflag.process.base}/client/v1/evaluate`, {
    method: 'POST',
    headers: { authorization: ringflag.clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { key: user } }),
  });
  const { flags } = (await response.json()) as { flags: Record<string, { value: boolean }> };
  return flags[FLAG]?.value ? 'on' : 'off';
}

const bannerIs = (page: Page, state: 'on' | 'off' | 'unknown') =>
  page.locator(`#banner[data-state="${state}"]`).waitFor({ state: 'attached', timeout: 10_000 });

/** Replaces the flag's development config with an enabled one (off variation `off`) and `config`. */
async function configure(ringflag: Ringflag, config: object): Promise<void> {
  const current = await ringflag.admin.request<{ version: number }>('GET', CONFIG_PATH);
  await ringflag.admin.request('PUT', CONFIG_PATH, {
    version: current.version,
    enabled: true,
    offVariation: 'off',
    ...config,
  });
}

/** Serves `on` to `onWeight` thousandths of a percent of contexts, by the default rule. */
async function rollout(ringflag: Ringflag, onWeight: number): Promise<void> {
  await configure(ringflag, {
    fallthrough: {
      rollout: {
        variations: [
          { variation: 'on', weight: onWeight },
          { variation: 'off', weight: 100_000 - onWeight },
        ],
      },
    },
  });
}

const toggle = (ringflag: Ringflag, enabled: boolean) =>
  ringflag.admin.request('POST', `${CONFIG_PATH}/toggle`, { enabled });

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  pages = await servePages();
  pagesOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  browser = await launchChromium();
  shared = await startRingflag();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await shared?.process.kill();
});

beforeEach(async () => {
  // Whatever an earlier test did: on for everyone.
  await configure(shared, { fallthrough: { variation: 'on' } });
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

describe('the browser SDK in Chromium against the real server', () => {
  it('follows a flag flipped through the admin API, without a reload', async () => {
    const first = await openPage(shared, 'user-1');
    await bannerIs(first, 'on');
    await first.locator('#status', { hasText: 'live' }).waitFor();
    await first.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    await toggle(shared, false);
    await bannerIs(first, 'off');
    expect(await first.locator('#banner').isHidden()).toBe(true);
    expect(await first.locator('#reason').textContent()).toBe('{"kind":"OFF"}');

    await toggle(shared, true);
    await bannerIs(first, 'on');
    expect(await first.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
  }, 60_000);

  it('follows a rollout, and another user on another page sees their own value', async () => {
    const first = await openPage(shared, 'user-1');
    await bannerIs(first, 'on');
    await rollout(shared, 0);
    await bannerIs(first, 'off');

    await rollout(shared, 50_000);
    const firstValue = await serverValue(shared, 'user-1');
    // Someone on the other side of the 50 % line from user-1.
    let secondUser = '';
    for (let i = 2; i < 200 && !secondUser; i++) {
      if ((await serverValue(shared, `user-${i}`)) !== firstValue) secondUser = `user-${i}`;
    }
    expect(secondUser).not.toBe('');
    await bannerIs(first, firstValue);
    expect(await first.locator('#reason').textContent()).toContain('"inRollout":true');

    const second = await openPage(shared, secondUser);
    const secondValue = firstValue === 'on' ? 'off' : 'on';
    await bannerIs(second, secondValue);
    // Still each their own.
    await bannerIs(first, firstValue);

    await first.screenshot({ path: new URL('browser-sdk-user-1.png', OUTPUT).pathname });
    await second.screenshot({ path: new URL(`browser-sdk-${secondUser}.png`, OUTPUT).pathname });
  }, 60_000);

  it('serves the demo page, whose banner flips live', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    const demo = await context.newPage();
    await demo.goto(`${shared.process.base}/demo?user=user-42`);
    await demo.locator('#banner[data-state="on"]').waitFor({ state: 'visible' });
    await demo.locator('#status[data-state="live"]').waitFor();
    await demo.screenshot({ path: new URL('demo-on.png', OUTPUT).pathname });

    await toggle(shared, false);
    await demo.locator('#banner[data-state="off"]').waitFor({ state: 'hidden' });
    await demo.locator('#flag-state', { hasText: 'OFF' }).waitFor();
    await demo.screenshot({ path: new URL('demo-off.png', OUTPUT).pathname });

    await toggle(shared, true);
    await demo.locator('#banner[data-state="on"]').waitFor({ state: 'visible' });
  }, 60_000);

  it('names the page origin the environment refuses, and the server logs the refusal', async () => {
    // The same page server under another name: another origin, which development does not allow.
    const refusedOrigin = pagesOrigin.replace('127.0.0.1', 'localhost');
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(pageUrl(shared, 'user-1').replace(pagesOrigin, refusedOrigin));
    const hint = `is "${refusedOrigin}" among the environment's allowed origins?`;
    await page.locator('#error', { hasText: hint }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#error').textContent()).toBe(
      `Ringflag: request to ${shared.process.base} failed — if the server is up, ${hint}`,
    );
    await bannerIs(page, 'unknown');
    await expect
      .poll(() => shared.process.output())
      .toContain(
        `"message":"browser origin refused: not among the environment's allowed origins","environment":"development","origin":"${refusedOrigin}"`,
      );
    expect(shared.process.output()).not.toContain(shared.clientKey);
  }, 60_000);

  it('renders the cached values after a reload with the server stopped', async () => {
    // This test stops its server, so it has one of its own.
    const ringflag = await startRingflag();
    try {
      // Two users with different values, each on a page in a browser context of their own.
      await configure(ringflag, {
        targets: [{ variation: 'off', keys: ['user-2'] }],
        fallthrough: { variation: 'on' },
      });
      const first = await openPage(ringflag, 'user-1');
      const second = await openPage(ringflag, 'user-2');
      await bannerIs(first, 'on');
      await bannerIs(second, 'off');
      await ringflag.process.kill();

      await first.reload();
      await bannerIs(first, 'on');
      await first.locator('#status', { hasText: 'offline' }).waitFor();
      await second.reload();
      await bannerIs(second, 'off');
      await second.locator('#status', { hasText: 'offline' }).waitFor();

      // A user this browser never saw has nothing cached: the value is unknown, not a stale guess.
      await second.goto(pageUrl(ringflag, 'user-999'));
      await second.locator('#status', { hasText: 'offline' }).waitFor();
      await bannerIs(second, 'unknown');

      await first.screenshot({ path: new URL('browser-sdk-offline.png', OUTPUT).pathname });
    } finally {
      await ringflag.process.kill();
    }
  }, 90_000);
});
