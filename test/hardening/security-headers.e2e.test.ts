/**
 * End to end, on a real socket and in Chromium: every response carries security headers (a CSP,
 * `nosniff`, no framing, a referrer policy); the pages (admin UI, `/demo`, `/api/docs`) carry a CSP that
 * fits what they load, so they still work in a real browser with no CSP violation; and the session
 * cookie is `Secure` behind a TLS-terminating proxy only when that proxy is trusted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { launchChromium } from '../support/chromium.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

describe('security headers and a Secure cookie behind a trusted proxy', () => {
  let server: RunningServer;
  let proxied: RunningServer;
  let dirs: string[] = [];
  let browser: Browser;

  beforeAll(async () => {
    dirs = [
      mkdtempSync(join(tmpdir(), 'ringflag-headers-')),
      mkdtempSync(join(tmpdir(), 'ringflag-proxied-')),
    ];
    server = await startServer({
      db: join(dirs[0]!, 'ringflag.db'),
      admin: ADMIN,
      demo: true,
      logLevel: 'silent',
    });
    proxied = await startServer({
      db: join(dirs[1]!, 'ringflag.db'),
      admin: ADMIN,
      logLevel: 'silent',
      trustProxy: ['127.0.0.0/8'],
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await proxied?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const everywhere = [
    '/healthz',
    '/api/v1/flags',
    '/api/v1/openapi.json',
    '/api/docs',
    '/demo',
    '/',
    '/no-such-page',
  ];
  for (const path of everywhere) {
    it(`sends security headers on ${path}`, async () => {
      const response = await fetch(`${server.url}${path}`);
      await response.arrayBuffer();
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toMatch(/frame-ancestors 'none'/);
      expect(csp).toMatch(/default-src '(none|self)'/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toMatch(/no-referrer|same-origin/);
    });
  }

  const pages = [
    { path: '/api/docs', ready: 'main#ops h2' },
    { path: '/demo?user=user-42', ready: '#status[data-state="live"]' },
    { path: '/login', ready: 'input[type="password"]' },
  ];
  for (const page of pages) {
    it(`renders ${page.path} in Chromium with no CSP violation`, async () => {
      const context = await browser.newContext();
      try {
        const tab = await context.newPage();
        const problems: string[] = [];
        tab.on('console', (message) => {
          if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
        });
        tab.on('pageerror', (error) => problems.push(String(error)));
        // Chromium reports each CSP violation as an event; the page keeps a list the test reads back.
        await tab.addInitScript(
          "window.violations = []; document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));",
        );
        const response = await tab.goto(`${server.url}${page.path}`);
        expect(response?.headers()['content-security-policy']).toBeTruthy();
        await tab.locator(page.ready).first().waitFor({ timeout: 10_000 });
        const violations = (await tab.evaluate('window.violations')) as string[];
        expect([...violations, ...problems]).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  const login = (url: string, headers: Record<string, string>) =>
    fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(ADMIN),
    });

  it('sets a Secure session cookie when a trusted proxy says the client used HTTPS', async () => {
    const response = await login(proxied.url, { 'x-forwarded-proto': 'https' });
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('rf_session='))).toMatch(/;\s*Secure/i);
  });

  it('ignores X-Forwarded-Proto from a proxy it does not trust, and plain HTTP stays plain', async () => {
    const untrusted = await login(server.url, { 'x-forwarded-proto': 'https' });
    expect(untrusted.status).toBe(200);
    expect(untrusted.headers.getSetCookie().find((c) => c.startsWith('rf_session='))).not.toMatch(/Secure/i);
    const plain = await login(proxied.url, { 'x-forwarded-proto': 'http' });
    expect(plain.headers.getSetCookie().find((c) => c.startsWith('rf_session='))).not.toMatch(/Secure/i);
  });
});
