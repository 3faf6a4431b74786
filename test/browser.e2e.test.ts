/**
 * End to end in real Chromium: the real server (a child process, so it can be killed), a test page on
 * another origin (CORS) using @ringflag/sdk-browser, and the admin API flipping flags in between.
 * Also loads the server's own /demo page. Screenshots land in test-output/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { AdminClient, type RingflagProcess, startRingflagProcess } from './support/ringflag-process.js';

const OUTPUT = new URL('../test-output/', import.meta.url);
const PAGE_HTML = readFileSync(new URL('./browser/page.html', import.meta.url), 'utf8');
const FLAG = 'demo-banner';
const CONFIG_PATH = `/api/v1/flags/${FLAG}/environments/development`;

let ringflag: RingflagProcess;
let admin: AdminClient;
let clientKey: string;
let pages: Server;
let pagesOrigin: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** Serves the test page and the SDK bundle (built by the server from sdk-browser/src) from another origin. */
async function servePages(sdkBundle: string): Promise<Server> {
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

async function openPage(user: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const query = new URLSearchParams({ key: clientKey, base: ringflag.base, user });
  await page.goto(`${pagesOrigin}/?${query}`);
  return page;
}

/** What the server itself says `user` gets: the truth the page must show. */
async function serverValue(user: string): Promise<'on' | 'off'> {
  const response = await fetch(`${ringflag.base}/client/v1/evaluate`, {
    method: 'POST',
    headers: { authorization: clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { key: user } }),
  });
  const { flags } = (await response.json()) as { flags: Record<string, { value: boolean }> };
  return flags[FLAG]?.value ? 'on' : 'off';
}

const bannerIs = (page: Page, state: 'on' | 'off' | 'unknown') =>
  page.locator(`#banner[data-state="${state}"]`).waitFor({ state: 'attached', timeout: 10_000 });

/** Serves `on` to `onWeight` thousandths of a percent of contexts, by the default rule. */
async function rollout(onWeight: number): Promise<void> {
  const current = await admin.request<{ version: number }>('GET', CONFIG_PATH);
  await admin.request('PUT', CONFIG_PATH, {
    version: current.version,
    enabled: true,
    offVariation: 'off',
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

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  ringflag = await startRingflagProcess({ env: { RINGFLAG_DEMO: 'true' } });
  admin = await AdminClient.login(ringflag.base);
  clientKey = await admin.createSdkKey('development', 'client');
  const bundle = await fetch(`${ringflag.base}/demo/ringflag.js`);
  expect(bundle.status).toBe(200);
  pages = await servePages(await bundle.text());
  pagesOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  await admin.request('PATCH', '/api/v1/environments/development', { corsOrigins: [pagesOrigin] });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await ringflag?.kill();
});

describe('the browser SDK in Chromium against the real server', () => {
  let first: Page;
  let second: Page;
  let secondUser = '';

  it('follows a flag flipped through the admin API, without a reload', async () => {
    first = await openPage('user-1');
    await bannerIs(first, 'on');
    await first.locator('#status', { hasText: 'live' }).waitFor();
    await first.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    await admin.request('POST', `${CONFIG_PATH}/toggle`, { enabled: false });
    await bannerIs(first, 'off');
    expect(await first.locator('#banner').isHidden()).toBe(true);
    expect(await first.locator('#reason').textContent()).toBe('{"kind":"OFF"}');

    await admin.request('POST', `${CONFIG_PATH}/toggle`, { enabled: true });
    await bannerIs(first, 'on');
    expect(await first.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
  }, 60_000);

  it('follows a rollout, and another user on another page sees their own value', async () => {
    await rollout(0);
    await bannerIs(first, 'off');

    await rollout(50_000);
    const firstValue = await serverValue('user-1');
    // Someone on the other side of the 50 % line from user-1.
    for (let i = 2; i < 200 && !secondUser; i++) {
      if ((await serverValue(`user-${i}`)) !== firstValue) secondUser = `user-${i}`;
    }
    expect(secondUser).not.toBe('');
    await bannerIs(first, firstValue);
    expect(await first.locator('#reason').textContent()).toContain('"inRollout":true');

    second = await openPage(secondUser);
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
    await admin.request('PUT', CONFIG_PATH, {
      ...(await admin.request<{ version: number }>('GET', CONFIG_PATH)),
      fallthrough: { variation: 'on' },
    });
    await demo.goto(`${ringflag.base}/demo?user=user-42`);
    await demo.locator('#banner[data-state="on"]').waitFor({ state: 'visible' });
    await demo.locator('#status[data-state="live"]').waitFor();
    await demo.screenshot({ path: new URL('demo-on.png', OUTPUT).pathname });

    await admin.request('POST', `${CONFIG_PATH}/toggle`, { enabled: false });
    await demo.locator('#banner[data-state="off"]').waitFor({ state: 'hidden' });
    await demo.locator('#flag-state', { hasText: 'OFF' }).waitFor();
    await demo.screenshot({ path: new URL('demo-off.png', OUTPUT).pathname });

    await admin.request('POST', `${CONFIG_PATH}/toggle`, { enabled: true });
    await demo.locator('#banner[data-state="on"]').waitFor({ state: 'visible' });
  }, 60_000);

  it('renders the cached values after a reload with the server stopped', async () => {
    await bannerIs(first, 'on');
    const secondBefore = await second.locator('#banner').getAttribute('data-state');
    await ringflag.kill();

    await first.reload();
    await bannerIs(first, 'on');
    await first.locator('#status', { hasText: 'offline' }).waitFor();
    await second.reload();
    await bannerIs(second, secondBefore === 'on' ? 'on' : 'off');

    // A user this browser never saw has nothing cached: the value is unknown, not a stale guess.
    await second.goto(
      `${pagesOrigin}/?${new URLSearchParams({ key: clientKey, base: ringflag.base, user: 'user-999' })}`,
    );
    await second.locator('#status', { hasText: 'offline' }).waitFor();
    await bannerIs(second, 'unknown');

    await first.screenshot({ path: new URL('browser-sdk-offline.png', OUTPUT).pathname });
  }, 60_000);
});
