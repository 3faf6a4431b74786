/**
 * End to end: the admin UI in real Chromium against the real server (in process, temporary SQLite
 * file), with a real Node SDK streaming from it. Screenshots land in test-output/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Context, Ringflag } from '@ringflag/sdk-node';
import { type RunningServer, startServer } from '@ringflag/server';
import { adminRequest, createSdkKey, loginAsAdmin } from '@ringflag/server/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt, launchChromium } from './support/chromium.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery-staple' };
const VIEWER = { email: 'viewer@example.com', password: 'viewer-password-1' };
const FLAG = 'checkout-redesign';
const quiet = { warn: () => {}, error: () => {} };

let server: RunningServer;
let browser: Browser;
let token: string;
let dir: string;

beforeAll(async () => {
  ensureUiBuilt();
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'ringflag-ui-e2e-'));
  server = await startServer({ db: join(dir, 'ringflag.db'), port: 0, admin: ADMIN, logLevel: 'silent' });
  token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The list endpoints the shell polls in the background while someone is signed in (in a project). */
const BACKGROUND_POLL = /\/api\/v1\/(projects\/[^/]+\/)?(change-requests|release-approvals)(\?|$)/;

/** A page that records console errors and uncaught exceptions; expected HTTP errors are allowed by pattern. */
async function openPage(context: BrowserContext) {
  const page = await context.newPage();
  const errors: string[] = [];
  const allowed: RegExp[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // The shell's background polls (open change requests, stage approvals) may be in flight when a
    // session ends; the server rightly answers them 401.
    if (/status of 401/.test(text) && BACKGROUND_POLL.test(message.location().url)) return;
    const index = allowed.findIndex((pattern) => pattern.test(text));
    if (index >= 0) allowed.splice(index, 1);
    else errors.push(text);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return {
    page,
    errors,
    /** The next console error matching `pattern` is expected (the browser logs failed requests). */
    allowOnce: (pattern: RegExp) => allowed.push(pattern),
  };
}

async function signIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.goto(`${server.url}/flags`);
  await page.waitForURL(/\/login/);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
}

/** Resolves on the SDK's next change event for `key`. */
function nextChange(client: Ringflag, key: string): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on('change', (change) => {
      if (change.key === key) {
        off();
        resolve();
      }
    });
  });
}

async function revisionOf(env: string): Promise<number> {
  const res = await adminRequest<{ revision: number }>(
    server.url,
    token,
    'GET',
    `/api/v1/environments/${env}`,
  );
  return res.body.revision;
}

async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Inputs, selects and textareas on the page that have no accessible name (runs in the page). */
const UNLABELLED = `[...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden' && !((el.labels?.length ?? 0) > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
  .map((el) => el.outerHTML.slice(0, 120))`;

async function unlabelledInputs(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(UNLABELLED);
}

/** Tabs through the page until the focused element has this accessible label. */
async function tabTo(page: Page, ariaLabel: string, maxPresses = 60): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if ((await page.evaluate('document.activeElement?.getAttribute("aria-label")')) === ariaLabel) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`"${ariaLabel}" is not reachable with Tab`);
}

/** A screenshot of a tall page at a tall viewport (full-page captures misplace the sticky sidebar). */
async function shoot(page: Page, name: string, height: number): Promise<void> {
  const size = page.viewportSize() ?? { width: 1440, height: 900 };
  await page.setViewportSize({ width: size.width, height });
  await page.screenshot({ path: join(SCREENSHOTS, name) });
  await page.setViewportSize(size);
}

/** Exposure summaries over the last hours, as an SDK would report them. */
async function reportExposures(
  sdkKey: string,
  flag: string,
  split: (minute: number) => Record<string, number>,
) {
  const now = Math.floor(Date.now() / 60_000);
  const exposures = [];
  for (let minute = now - 23 * 60; minute <= now; minute += 5) {
    for (const [variant, count] of Object.entries(split(now - minute))) {
      if (count > 0) exposures.push({ flag, variant, count, minute });
    }
  }
  const res = await fetch(`${server.url}/sdk/v1/events`, {
    method: 'POST',
    headers: { authorization: sdkKey, 'content-type': 'application/json' },
    body: JSON.stringify({ exposures }),
  });
  expect(res.status).toBe(202);
}

describe('admin UI in Chromium', () => {
  it('releases a flag step by step while a connected SDK sees every change, and records each in history', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors, allowOnce } = await openPage(context);
    const sdkKey = await createSdkKey(server.url, token, 'staging', 'server');
    const sdk = new Ringflag({ sdkKey, baseUrl: server.url, logger: quiet });
    try {
      await sdk.ready({ timeoutMs: 10_000 });
      await signIn(page, ADMIN);
      expect(await page.getByTestId('my-role').textContent()).toBe('admin');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags' }).waitFor();
      expect(await unlabelledInputs(page)).toEqual([]);

      // Create the flag (it starts off everywhere).
      let changed = nextChange(sdk, FLAG);
      await page.getByRole('button', { name: '+ Create flag' }).click();
      await page.getByLabel('Key').fill(FLAG);
      await page.getByLabel('Name', { exact: true }).fill('Checkout redesign');
      await page.getByLabel('Tags').fill('checkout, team-payments');
      await page.getByRole('button', { name: 'Create flag', exact: true }).click();
      await page.waitForURL(new RegExp(`/flags/${FLAG}/development$`));
      await changed;
      expect(sdk.variationDetail(FLAG, { key: 'user-1' }, false).reason.kind).toBe('OFF');

      // Work in staging: the switcher keeps the flag and changes the URL.
      await page.locator('.env-bar').getByText('Staging').click();
      await page.waitForURL(new RegExp(`/flags/${FLAG}/staging$`));
      await page.getByRole('switch', { name: 'Flag on in Staging' }).waitFor();
      expect(await unlabelledInputs(page)).toEqual([]);

      // A rule for group beta.
      changed = nextChange(sdk, FLAG);
      await page.getByRole('button', { name: '+ Add rule' }).click();
      expect(await page.getByLabel('Rule 1, condition 1: attribute').inputValue()).toBe('groups');
      await page.getByLabel('Rule 1, condition 1: values').fill('beta');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await changed;
      await waitFor(
        async () => sdk.revision === (await revisionOf('staging')),
        'the SDK to reach the revision',
      );

      // A 25% rollout as the default rule: the other side follows to 75%.
      changed = nextChange(sdk, FLAG);
      const defaults = page.getByTestId('default-rule');
      await defaults.getByLabel('Percentage rollout').check();
      await defaults.getByLabel('Percentage for on').fill('25');
      expect(await defaults.getByLabel('Percentage for off').inputValue()).toBe('75');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await changed;
      await waitFor(
        async () => sdk.revision === (await revisionOf('staging')),
        'the SDK to reach the revision',
      );
      expect(sdk.variationDetail(FLAG, { key: 'user-1', groups: ['beta'] }, false).reason.kind).toBe('OFF');

      // Turn it on: beta gets it by the rule, everyone else by the 25% rollout.
      changed = nextChange(sdk, FLAG);
      const switchControl = page.getByRole('switch', { name: 'Flag on in Staging' });
      await switchControl.click();
      await changed;
      await waitFor(
        async () => (await switchControl.getAttribute('aria-checked')) === 'true',
        'the switch to show on',
      );
      const beta = sdk.variationDetail(FLAG, { key: 'someone', groups: ['beta'] }, false);
      expect(beta).toMatchObject({ value: true, reason: { kind: 'RULE_MATCH', ruleIndex: 0 } });
      const users: Context[] = Array.from({ length: 400 }, (_, i) => ({ key: `user-${i}` }));
      const on = users.filter((user) => sdk.isEnabled(FLAG, user)).length;
      expect(on).toBeGreaterThan(60);
      expect(on).toBeLessThan(140);
      expect(sdk.variationDetail(FLAG, { key: 'user-7' }, false).reason).toMatchObject({
        kind: 'FALLTHROUGH',
        inRollout: true,
      });
      // The page shows that the SDK stream received it.
      await page
        .getByTestId('delivery-status')
        .getByText(/1 SDK stream connected .* delivered/)
        .waitFor();

      // Keyboard: Tab to the kill switch and press Space, off and on again.
      await page.getByRole('link', { name: 'Flags' }).first().focus();
      await tabTo(page, 'Flag on in Staging');
      expect(await page.evaluate('document.activeElement?.getAttribute("role")')).toBe('switch');
      changed = nextChange(sdk, FLAG);
      await page.keyboard.press('Space');
      await changed;
      expect(sdk.variationDetail(FLAG, { key: 'x', groups: ['beta'] }, false).reason.kind).toBe('OFF');
      await waitFor(
        async () => (await switchControl.getAttribute('aria-checked')) === 'false',
        'the switch to show off',
      );
      changed = nextChange(sdk, FLAG);
      await switchControl.focus();
      await page.keyboard.press('Space');
      await changed;
      expect(sdk.isEnabled(FLAG, { key: 'x', groups: ['beta'] })).toBe(true);

      // Test a context with the server's engine.
      await page.getByRole('link', { name: 'Test a context' }).click();
      await page.getByRole('button', { name: 'Evaluate in Staging' }).click();
      await page.getByTestId('evaluation-result').getByText('Matched rule 1').waitFor();

      // The history shows every step, with the actor.
      await page.getByRole('link', { name: 'History' }).click();
      const history = page.getByTestId('flag-history');
      await history.getByText('Turned on').first().waitFor();
      // An admin reads the user list: the actor shows by name, the recorded email as its title.
      await history.getByTitle(ADMIN.email).first().waitFor();
      const lines = await history.locator('.audit-line').allInnerTexts();
      const actions = lines.map((line) => line.split('\n')[0]);
      expect(actions).toEqual([
        'Turned on',
        'Turned off',
        'Turned on',
        'Changed targeting',
        'Changed targeting',
        'Created the flag',
      ]);
      for (const line of lines) expect(line).toContain('by Administrator');
      expect(lines.slice(0, 5).every((line) => line.includes('staging'))).toBe(true);

      // A bad regex: the server's message appears next to the values input.
      await page.getByRole('link', { name: 'Targeting' }).click();
      await page.getByRole('button', { name: '+ Add rule' }).click();
      await page.getByLabel('Rule 2, condition 1: attribute').fill('email');
      await page.getByLabel('Rule 2, condition 1: operator').selectOption('matches');
      const values = page.getByLabel('Rule 2, condition 1: values');
      await values.fill('(?<=a)b');
      allowOnce(/status of 400/);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await waitFor(
        async () => (await values.getAttribute('aria-invalid')) === 'true',
        'the values input to be marked',
      );
      const describedBy = (await values.getAttribute('aria-describedby')) ?? '';
      const message = await page.locator(`[id="${describedBy.split(' ')[0]}"]`).textContent();
      expect(message).toMatch(/lookbehind .* is not supported/);
      expect(message).toMatch(/^value 1: /);
      await shoot(page, 'flag-page-error.png', 1900);
      await page.getByRole('button', { name: 'Discard' }).click();

      // Production requires approval: turning on there is a request, asked for before anything is sent.
      await page.locator('.env-bar').getByText('Production').click();
      await page.getByRole('switch', { name: 'Flag on in Production' }).click();
      const dialog = page.getByRole('dialog');
      await dialog
        .getByText('Request to turn Checkout redesign on in Production?', { exact: true })
        .waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(
        await page.getByRole('switch', { name: 'Flag on in Production' }).getAttribute('aria-checked'),
      ).toBe('false');

      // One request per launch: the turn-on and a later targeting save land in the same request.
      await page.getByRole('switch', { name: 'Flag on in Production' }).click();
      await dialog.getByRole('button', { name: 'Request to turn on', exact: true }).click();
      const banner = page.getByTestId('open-changes');
      const mine = banner.getByText(/^Your change request #\d+$/);
      await mine.waitFor();
      const requestId = /#(\d+)/.exec((await mine.textContent()) ?? '')?.[1];
      expect(requestId).toBeDefined();
      await page.getByText(`turn-on requested in #${requestId}`).waitFor();
      await page.getByRole('button', { name: '+ Add rule' }).click();
      await page.getByLabel('Rule 1, condition 1: values').fill('beta');
      await page.getByRole('button', { name: `Add to change request #${requestId}`, exact: true }).click();
      await dialog.getByText(/^Add rule “.+” at the top: if groups is beta → serve \w+$/).waitFor();
      await dialog.getByRole('button', { name: `Add to change request #${requestId}`, exact: true }).click();
      await page
        .getByText(`Added to your pending change request #${requestId} — waiting for approval`)
        .waitFor();
      await banner.getByText(/^Add rule “.+” at the top: if groups is beta → serve \w+$/).waitFor();
      expect(await banner.getByText('Turn on', { exact: true }).count()).toBe(1);
      expect(await banner.getByText(/^Your change request #\d+$/).count()).toBe(1);
      await shoot(page, 'pending-request.png', 1300);
      expect(
        await page.getByRole('switch', { name: 'Flag on in Production' }).getAttribute('aria-checked'),
      ).toBe('false');

      // Screens for people: a fuller flag list, the flag page, the exposure chart, the audit log.
      await seedShowcase(sdkKey);
      await page.goto(`${server.url}/flags`);
      await page.getByRole('link', { name: 'Payment provider' }).waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'flag-list.png'), fullPage: true });

      await page.goto(`${server.url}/flags/${FLAG}/staging`);
      await page.getByText('Rule 1', { exact: true }).waitFor();
      await shoot(page, 'flag-page.png', 1800);

      await page.goto(`${server.url}/flags/${FLAG}/staging?tab=exposures`);
      await page.locator('svg.chart-svg rect').first().waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'exposure-chart.png'), fullPage: true });

      await page.goto(`${server.url}/flags/checkout-backend/staging`);
      await page.getByRole('button', { name: 'All to Blue' }).waitFor();
      await shoot(page, 'blue-green.png', 1450);

      await page.goto(`${server.url}/flags/${FLAG}/staging?tab=compare`);
      await page.getByRole('button', { name: 'Promote Staging → Production' }).waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'compare.png'), fullPage: true });

      await page.goto(`${server.url}/audit`);
      await page
        .getByTestId('chain-status')
        .getByText(/Hash chain verified/)
        .waitFor();
      await page.getByTestId('audit-list').getByText('Turned on').first().waitFor();
      expect(await unlabelledInputs(page)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, 'audit-log.png') });

      await page.goto(`${server.url}/segments/beta-testers`);
      await page.getByText('Where it is used').waitFor();
      await shoot(page, 'segment.png', 1300);

      expect(errors).toEqual([]);
    } finally {
      await sdk.close();
      await context.close();
    }
  }, 120_000);

  it('lets a viewer look but not change anything, and the server refuses a forced change', async () => {
    const created = await adminRequest(server.url, token, 'POST', '/api/v1/users', {
      ...VIEWER,
      role: 'viewer',
    });
    expect(created.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors, allowOnce } = await openPage(context);
    try {
      await signIn(page, VIEWER);
      expect(await page.getByTestId('my-role').textContent()).toBe('viewer');
      expect(await page.getByRole('button', { name: '+ Create flag' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);

      await page.goto(`${server.url}/flags/${FLAG}/staging`);
      const switchControl = page.getByRole('switch', { name: 'Flag on in Staging' });
      await switchControl.waitFor();
      expect(await switchControl.isDisabled()).toBe(true);
      await page.getByText('you can look, but changes here need the editor role', { exact: false }).waitFor();
      expect(await page.getByRole('button', { name: '+ Add rule' }).isDisabled()).toBe(true);
      expect(await page.getByLabel('Rule 1, condition 1: values').isDisabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
      await shoot(page, 'viewer-flag-page.png', 1500);

      // The UI hides the controls; the server is what refuses. Force the request with the viewer's session.
      const cookies = await context.cookies();
      const csrf = cookies.find((cookie) => cookie.name === 'rf_csrf')?.value ?? '';
      const forced = await context.request.post(
        `${server.url}/api/v1/flags/${FLAG}/environments/staging/toggle`,
        {
          headers: { 'x-csrf-token': csrf },
          data: { enabled: false },
        },
      );
      expect(forced.status()).toBe(403);
      expect((await forced.json()).detail).toMatch(/editor/);
      const config = await adminRequest<{ enabled: boolean }>(
        server.url,
        token,
        'GET',
        `/api/v1/flags/${FLAG}/environments/staging`,
      );
      expect(config.body.enabled).toBe(true);

      // A background poll (stream status every 5 s) that is on the wire while the session ends is
      // rightly answered 401, and the browser logs it; one such race is not a defect.
      allowOnce(/status of 401/);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('edits a flag and environments, changes a password and signs in with it, and shows its own not-found page', async () => {
    const api = (method: string, path: string, body?: unknown) =>
      adminRequest(server.url, token, method, path, body);
    const SETTINGS_FLAG = 'banner-colour';
    expect(
      (
        await api('POST', '/api/v1/flags', {
          key: SETTINGS_FLAG,
          kind: 'string',
          variations: [
            { id: 'blue', value: 'blue' },
            { id: 'green', value: 'green' },
          ],
        })
      ).status,
    ).toBe(201);
    const EDITOR = { email: 'settings-editor@example.com', password: 'editor-password-1' };
    expect((await api('POST', '/api/v1/users', { ...EDITOR, role: 'editor' })).status).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors, allowOnce } = await openPage(context);
    try {
      await signIn(page, ADMIN);

      // Edit the flag: name, tags and a variation's name apply at once (they serve nothing new).
      await page.goto(`${server.url}/flags/${SETTINGS_FLAG}/development`);
      await page.getByRole('button', { name: 'Edit flag' }).click();
      const edit = page.getByRole('dialog');
      await edit.getByLabel('Name', { exact: true }).fill('Banner colour');
      await edit.getByLabel('Tags').fill('marketing, q3');
      await edit.getByLabel('Variation 2 name').fill('Spring green');
      expect(await unlabelledInputs(page)).toEqual([]);
      await shoot(page, 'flag-edit.png', 1100);
      await edit.getByRole('button', { name: 'Save flag' }).click();
      await page.getByRole('heading', { name: 'Banner colour', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'q3' }).waitFor();
      await page.getByRole('list', { name: 'Variations' }).getByText('Spring green').waitFor();
      const flag = await api('GET', `/api/v1/flags/${SETTINGS_FLAG}`);
      expect(flag.body).toMatchObject({
        name: 'Banner colour',
        tags: ['marketing', 'q3'],
        variations: [
          { id: 'blue', value: 'blue' },
          { id: 'green', value: 'green', name: 'Spring green' },
        ],
      });

      // Environments: allowed browser origins, and approval on and off (off asks, and keeps the reason).
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Environments' })
        .click();
      const development = page.getByRole('region', { name: 'Development', exact: true });
      await development
        .getByLabel('Allowed browser origins')
        .fill('https://shop.example.com\nhttp://localhost:5173');
      await development.getByRole('button', { name: 'Save Development' }).click();
      await page.getByText('Saved Development').waitFor();
      expect(await unlabelledInputs(page)).toEqual([]);
      const approval = development.getByRole('switch', { name: 'Approval required in Development' });
      await approval.click();
      const ask = page.getByRole('dialog');
      await ask.getByRole('button', { name: 'Require approval' }).click();
      await waitFor(
        async () => (await approval.getAttribute('aria-checked')) === 'true',
        'approval to show on',
      );
      await approval.click();
      await ask.getByText(/Change requests already waiting there still wait for an approver/).waitFor();
      await ask.getByLabel('Why (kept in the audit log)').fill('demo environment again');
      await ask.getByRole('button', { name: 'Turn approval off' }).click();
      await waitFor(
        async () => (await approval.getAttribute('aria-checked')) === 'false',
        'approval to show off',
      );
      const env = await api('GET', '/api/v1/environments/development');
      expect(env.body).toMatchObject({
        requireApproval: false,
        corsOrigins: ['https://shop.example.com', 'http://localhost:5173'],
      });
      const audit = await api('GET', '/api/v1/audit?resourceType=environment&resource=development&limit=1');
      expect((audit.body as { items: { comment?: string }[] }).items[0]?.comment).toBe(
        'demo environment again',
      );
      await shoot(page, 'environments.png', 1400);

      // An unknown deep link gets the UI's own page (status 404), not JSON; an unknown flag says so.
      allowOnce(/status of 404/);
      const unknown = await page.goto(`${server.url}/flags-old/checkout?from=email`);
      expect(unknown?.status()).toBe(404);
      expect(unknown?.headers()['content-type']).toContain('text/html');
      await page.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
      await page.getByText('/flags-old/checkout').waitFor();
      // The browser logs the 404s of the flag and of its config.
      allowOnce(/status of 404/);
      allowOnce(/status of 404/);
      await page.goto(`${server.url}/flags/no-such-flag/development`);
      await page.getByRole('heading', { name: 'No flag "no-such-flag"', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'All flags' }).click();
      await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
      const problem = await fetch(`${server.url}/api/v1/no-such-route`);
      expect(problem.status).toBe(404);
      expect(problem.headers.get('content-type')).toContain('application/problem+json');
      // A background poll on the wire while the session ends is rightly answered 401 (see above).
      allowOnce(/status of 401/);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);

      // Change your own password, then sign in with it (the old one no longer works).
      await signIn(page, EDITOR);
      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
      expect(await unlabelledInputs(page)).toEqual([]);
      await page.getByLabel('Current password').fill(EDITOR.password);
      await page.getByLabel('New password', { exact: true }).fill('editor-password-2');
      await page.getByLabel('New password again').fill('editor-password-2');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Password changed. Your other sessions were signed out.').waitFor();
      allowOnce(/status of 401/);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      // The refused sign-in with the old password.
      allowOnce(/status of 401/);
      await page.getByLabel('Email').fill(EDITOR.email);
      await page.getByLabel('Password').fill(EDITOR.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      await page.getByLabel('Password').fill('editor-password-2');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
      expect(await page.getByTestId('my-role').textContent()).toBe('editor');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('lets an org admin create a second project and a flag in it; each project shows its own flags, and the URL names it', async () => {
    const api = (method: string, path: string, body?: unknown) =>
      adminRequest(server.url, token, method, path, body);
    const DEFAULT_FLAG = 'default-team-banner';
    const PAYMENTS_FLAG = 'payments-3ds-check';
    expect((await api('POST', '/api/v1/flags', { key: DEFAULT_FLAG, kind: 'boolean' })).status).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openPage(context);
    /** The keys of the flags the list shows. */
    const listed = () =>
      page.locator('tr[data-flag]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-flag')));
    const switcher = page.getByLabel('Project', { exact: true });
    try {
      // An address from before projects is the default project's.
      await signIn(page, ADMIN);
      await page.waitForURL(/\/p\/default\/flags$/);
      await page.locator(`tr[data-flag="${DEFAULT_FLAG}"]`).waitFor();
      expect(await switcher.inputValue()).toBe('default');

      // A new project: it opens on its (empty) flag list.
      await page.getByRole('button', { name: '+ New project' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Project key').fill('payments');
      await dialog.getByLabel('Project name').fill('Payments');
      expect(await unlabelledInputs(page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Create project' }).click();
      await page.waitForURL(/\/p\/payments\/flags$/);
      await page.getByText('Created project Payments').waitFor();
      expect(await switcher.inputValue()).toBe('payments');

      // A flag in it: its page names the project, and the server has it there only.
      await page.getByRole('button', { name: '+ Create flag' }).click();
      await page.getByLabel('Key').fill(PAYMENTS_FLAG);
      await page.getByLabel('Name', { exact: true }).fill('3-D Secure check');
      await page.getByRole('button', { name: 'Create flag', exact: true }).click();
      await page.waitForURL(new RegExp(`/p/payments/flags/${PAYMENTS_FLAG}/development$`));
      await page.getByRole('heading', { name: '3-D Secure check', level: 1 }).waitFor();
      expect((await api('GET', `/api/v1/projects/payments/flags/${PAYMENTS_FLAG}`)).status).toBe(200);
      expect((await api('GET', `/api/v1/flags/${PAYMENTS_FLAG}`)).status).toBe(404);

      // Each project's list has its own flags only.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags' }).click();
      await page.waitForURL(/\/p\/payments\/flags$/);
      await page.locator(`tr[data-flag="${PAYMENTS_FLAG}"]`).waitFor();
      expect(await listed()).toEqual([PAYMENTS_FLAG]);
      await shoot(page, 'project-flags.png', 900);

      await switcher.selectOption('default');
      await page.waitForURL(/\/p\/default\/flags$/);
      await page.locator(`tr[data-flag="${DEFAULT_FLAG}"]`).waitFor();
      expect(await listed()).toContain(DEFAULT_FLAG);
      expect(await listed()).not.toContain(PAYMENTS_FLAG);

      // Switching keeps the kind of page: the audit log of payments records its creation.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL(/\/p\/default\/audit$/);
      await switcher.selectOption('payments');
      await page.waitForURL(/\/p\/payments\/audit$/);
      await page.getByRole('link', { name: PAYMENTS_FLAG }).first().waitFor();

      // A deep link into the project loads as it is (the server serves the UI there).
      const deep = await page.goto(`${server.url}/p/payments/flags/${PAYMENTS_FLAG}/staging`);
      expect(deep?.status()).toBe(200);
      await page.getByRole('switch', { name: 'Flag on in Staging' }).waitFor();
      expect(await switcher.inputValue()).toBe('payments');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);
});

/** More flags, a segment and exposure history, so the screenshots show a lived-in project. */
async function seedShowcase(sdkKey: string): Promise<void> {
  const api = (method: string, path: string, body?: unknown) =>
    adminRequest(server.url, token, method, path, body);
  await api('POST', '/api/v1/segments', {
    key: 'beta-testers',
    name: 'Beta testers',
    included: ['user-1', 'user-2'],
  });
  const flags = [
    {
      key: 'payment-provider',
      name: 'Payment provider',
      kind: 'string',
      tags: ['payments'],
      variations: [
        { id: 'stripe', value: 'stripe' },
        { id: 'adyen', value: 'adyen' },
      ],
    },
    {
      key: 'checkout-backend',
      name: 'Checkout backend',
      kind: 'string',
      tags: ['checkout', 'infra'],
      variations: [
        { id: 'blue', value: 'blue', name: 'Blue' },
        { id: 'green', value: 'green', name: 'Green' },
      ],
    },
    { key: 'search-v2', name: 'Search v2', kind: 'boolean', tags: ['search'] },
    {
      key: 'dark-mode',
      name: 'Dark mode',
      kind: 'boolean',
      tags: ['ui'],
      temporary: false,
      clientSide: true,
    },
    { key: 'legacy-export', name: 'Legacy export', kind: 'boolean', tags: ['cleanup'] },
  ];
  for (const flag of flags) expect((await api('POST', '/api/v1/flags', flag)).status).toBe(201);
  const put = async (key: string, env: string, body: Record<string, unknown>) => {
    const current = await api('GET', `/api/v1/flags/${key}/environments/${env}`);
    const version = (current.body as { version: number }).version;
    const res = await api('PUT', `/api/v1/flags/${key}/environments/${env}`, { version, ...body });
    if (res.status === 202) {
      // Production asks a second person (four eyes): an approver approves the admin's change.
      const approved = await adminRequest(
        server.url,
        await approverToken(),
        'POST',
        `/api/v1/change-requests/${(res.body as { id: number }).id}/approve`,
        { comment: 'Looks good' },
      );
      expect(approved.status).toBe(200);
      return;
    }
    expect(res.status).toBe(200);
  };
  let approver: string | undefined;
  const approverToken = async () => {
    if (approver === undefined) {
      const email = 'approver@example.com';
      const password = 'approver-password-1';
      expect((await api('POST', '/api/v1/users', { email, password, role: 'approver' })).status).toBe(201);
      approver = await loginAsAdmin(server.url, email, password);
    }
    return approver;
  };
  for (const env of ['development', 'staging']) {
    await api('POST', `/api/v1/flags/search-v2/environments/${env}/toggle`, { enabled: true });
    await api('POST', `/api/v1/flags/dark-mode/environments/${env}/toggle`, { enabled: true });
  }
  await put('checkout-backend', 'staging', {
    enabled: true,
    offVariation: 'blue',
    fallthrough: {
      rollout: {
        variations: [
          { variation: 'blue', weight: 70_000 },
          { variation: 'green', weight: 30_000 },
        ],
      },
    },
  });
  await put('search-v2', 'production', {
    enabled: true,
    offVariation: 'off',
    rules: [
      {
        id: 'beta',
        name: 'Beta testers',
        clauses: [{ op: 'inSegment', values: ['beta-testers'] }],
        serve: { variation: 'on' },
      },
    ],
    fallthrough: {
      rollout: {
        variations: [
          { variation: 'off', weight: 90_000 },
          { variation: 'on', weight: 10_000 },
        ],
      },
    },
  });
  await put(
    FLAG,
    'staging',
    await (async () => {
      const current = (await api('GET', `/api/v1/flags/${FLAG}/environments/staging`)).body as Record<
        string,
        unknown
      >;
      const rules = current.rules as unknown[];
      return {
        enabled: true,
        offVariation: 'off',
        targets: [{ variation: 'on', keys: ['qa-1', 'qa-2'] }],
        rules: [
          ...rules,
          {
            id: 'staff',
            name: 'Staff',
            clauses: [{ op: 'inSegment', values: ['beta-testers'] }],
            serve: { variation: 'on' },
          },
        ],
        fallthrough: current.fallthrough,
      };
    })(),
  );
  await reportExposures(sdkKey, FLAG, (ago) => {
    const ramp = ago > 600 ? 0.1 : 0.25;
    const total = 180 + Math.round(80 * Math.sin(ago / 90)) + (ago < 300 ? 120 : 0);
    return { on: Math.round(total * ramp), off: Math.round(total * (1 - ramp)) };
  });
}
