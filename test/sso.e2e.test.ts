/**
 * End to end: single sign-on in real Chromium. A real OpenID Connect provider (oidc-provider) runs on
 * `localhost` and Ringflag on `127.0.0.1`, so for the browser they are different sites, as in
 * production: the provider's redirect back is a cross-site navigation. The person clicks "Sign in with
 * SSO" on the admin UI, signs in and allows access on the provider's pages, and lands signed in.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startServer } from '@ringflag/server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureUiBuilt, launchChromium } from './support/chromium.js';
import { type RingflagUiClient, startProviderFor, type TestOidcProvider } from './support/oidc-provider.js';
import { freePort } from './support/ringflag-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery-staple' };

let server: RunningServer;
let op: TestOidcProvider;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  ensureUiBuilt();
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'ringflag-sso-e2e-'));
  const port = await freePort();
  let client: RingflagUiClient;
  ({ op, client } = await startProviderFor(port, [
    {
      sub: 'grace',
      password: 'grace-password',
      email: 'grace@example.com',
      emailVerified: true,
      name: 'Grace Hopper',
      groups: ['ringflag-admins'],
    },
  ]));
  server = await startServer({
    db: join(dir, 'ringflag.db'),
    port,
    admin: ADMIN,
    logLevel: 'silent',
    app: {
      oidc: {
        issuer: op.issuer,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        redirectUrl: client.redirectUrl,
        groupsClaim: 'groups',
        roles: { 'ringflag-admins': 'org-admin' },
        scopes: ['openid', 'email', 'profile', 'groups'],
        passwordLogin: true,
      },
    },
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await op?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('signs in through the identity provider and lands signed in on the admin UI', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  try {
    await page.goto(`${server.url}/flags`);
    await page.waitForURL(/\/login/);
    await page.getByRole('link', { name: 'Sign in with SSO' }).click();

    // The provider's own pages, on another site.
    await page.waitForURL((url) => url.origin === op.issuer);
    await page.getByLabel('Username').fill('grace');
    await page.getByLabel('Password').fill('grace-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();

    // Back on Ringflag, signed in, on the page the sign-in started from.
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/flags');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await expect(page.getByText('grace@example.com').first().isVisible()).resolves.toBe(true);
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
    expect(me).toMatchObject({ kind: 'user', name: 'grace@example.com' });
    await page.screenshot({ path: join(SCREENSHOTS, 'sso-signed-in.png') });
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

it('shows the sign-in page the reason single sign-on was refused', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${server.url}/login?sso_error=no_access`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('You have no access to Ringflag');
    await page.getByRole('link', { name: 'Sign in with SSO' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'sso-sign-in-refused.png') });
  } finally {
    await context.close();
  }
});
