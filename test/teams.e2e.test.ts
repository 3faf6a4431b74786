/**
 * End to end: two teams share one Ringflag. The server runs as a process configured the way a company
 * would (the `RINGFLAG_OIDC_*` variables, with a groups → project roles mapping), a real OpenID
 * Connect provider (oidc-provider) runs on `localhost`, and real Chromium goes through the provider's
 * sign-in pages. Each person sees and changes only their own team's project, with the role their
 * group gives them there, and the audit log keeps each project's changes apart.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureUiBuilt, launchChromium } from './support/chromium.js';
import { type RingflagUiClient, startProviderFor, type TestOidcProvider } from './support/oidc-provider.js';
import {
  AdminClient,
  freePort,
  type RingflagProcess,
  startRingflagProcess,
} from './support/ringflag-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
const ROLES = { 'team-a-devs': { 'team-a': 'editor' }, 'team-b-devs': { 'team-b': 'editor' } };
const ALICE = {
  sub: 'alice',
  password: 'alice-password',
  email: 'alice@example.com',
  groups: ['team-a-devs'],
};
const BOB = { sub: 'bob', password: 'bob-password', email: 'bob@example.com', groups: ['team-b-devs'] };

let server: RingflagProcess;
let op: TestOidcProvider;
let browser: Browser;
let admin: AdminClient;
let dir: string;

/** One audit event, as `GET /api/v1/audit` lists it (the fields this test reads). */
interface AuditItem {
  actor: { type: string; id: string; name: string };
  action: string;
  resource: { type: string; key: string; environment?: string };
  after: unknown;
  project?: string;
}

beforeAll(async () => {
  ensureUiBuilt();
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'ringflag-teams-e2e-'));
  const port = await freePort();
  let client: RingflagUiClient;
  ({ op, client } = await startProviderFor(port, [
    { ...ALICE, emailVerified: true, name: 'Alice Anders' },
    { ...BOB, emailVerified: true, name: 'Bob Berg' },
  ]));
  server = await startRingflagProcess({
    port,
    dbPath: join(dir, 'ringflag.db'),
    env: {
      RINGFLAG_OIDC_ISSUER: op.issuer,
      RINGFLAG_OIDC_CLIENT_ID: client.clientId,
      RINGFLAG_OIDC_CLIENT_SECRET: client.clientSecret,
      RINGFLAG_OIDC_REDIRECT_URL: client.redirectUrl,
      RINGFLAG_OIDC_ROLES: JSON.stringify(ROLES),
      RINGFLAG_OIDC_SCOPES: 'openid email profile groups',
    },
  });
  admin = await AdminClient.login(server.base);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await op?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A page that records uncaught exceptions and console errors other than the expected 404s of no access. */
async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    // Another team's project and flag answer 404, by design; the browser logs those requests.
    if (message.type() === 'error' && !/status of 404/.test(message.text())) errors.push(message.text());
  });
  return { page, errors };
}

/** Signs in from Ringflag's front door through the provider's own pages; resolves on the flag list. */
async function signInWithSso(page: Page, who: { sub: string; password: string }): Promise<void> {
  await page.goto(`${server.base}/`);
  await page.waitForURL(/\/login/);
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.waitForURL((url) => url.origin === op.issuer);
  await page.getByLabel('Username').fill(who.sub);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((url) => url.origin === server.base && /^\/p\/[^/]+\/flags$/.test(url.pathname));
  await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
}

/** The keys of the flags the list shows, once it shows `first`. */
async function listedFlags(page: Page, first: string): Promise<(string | null)[]> {
  await page.locator(`tr[data-flag="${first}"]`).waitFor();
  return page
    .locator('tr[data-flag]')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-flag')));
}

/** The project keys the switcher offers. */
function switcherOptions(page: Page): Promise<(string | null)[]> {
  return page
    .getByLabel('Project', { exact: true })
    .locator('option')
    .evaluateAll((options) => options.map((option) => option.getAttribute('value')));
}

const enabledIn = async (project: string, flag: string, env: string) =>
  (
    await admin.request<{ enabled: boolean }>(
      'GET',
      `/api/v1/projects/${project}/flags/${flag}/environments/${env}`,
    )
  ).enabled;

const auditOf = async (project: string) =>
  (await admin.request<{ items: AuditItem[] }>('GET', `/api/v1/audit?project=${project}&limit=500`)).items;

it('gives two teams one Ringflag: each signs in through the provider and sees and changes only its own project', async () => {
  // The org admin (password, API) sets up both teams before anyone signs in.
  for (const [key, name] of [
    ['team-a', 'Team A'],
    ['team-b', 'Team B'],
  ] as const) {
    await admin.request('POST', '/api/v1/projects', { key, name }, [201]);
    await admin.request(
      'POST',
      `/api/v1/projects/${key}/flags`,
      { key: 'checkout', name: 'Checkout', kind: 'boolean' },
      [201],
    );
  }
  await admin.request(
    'POST',
    '/api/v1/projects/team-a/flags',
    { key: 'only-a', name: 'Only A', kind: 'boolean' },
    [201],
  );

  // Alice (team-a-devs) signs in and lands in team-a, as an editor there.
  const aliceContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const alice = await openPage(aliceContext);
  try {
    const page = alice.page;
    await signInWithSso(page, ALICE);
    expect(new URL(page.url()).pathname).toBe('/p/team-a/flags');
    expect((await listedFlags(page, 'only-a')).sort()).toEqual(['checkout', 'only-a']);
    expect(await page.getByTestId('my-role').textContent()).toBe('editor');
    await expect.poll(() => switcherOptions(page)).toEqual(['team-a']);
    await page.screenshot({ path: join(SCREENSHOTS, 'teams-alice-team-a.png') });

    // She switches checkout on in development with the flag's switch.
    await page.getByRole('button', { name: 'Checkout in Development' }).click();
    await page.waitForURL(/\/p\/team-a\/flags\/checkout\/development$/);
    const toggle = page.getByRole('switch', { name: 'Flag on in Development' });
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    await page.getByText('Checkout is now on in Development').waitFor();

    // Team B's project is not hers: the UI says there is no such project, and shows none of its flags.
    await page.goto(`${server.base}/p/team-b/flags`);
    await page.getByRole('heading', { name: 'No project "team-b"', level: 1 }).waitFor();
    expect(await page.locator('tr[data-flag]').count()).toBe(0);
    const teamBFlags = await page.evaluate(async () => (await fetch('/api/v1/projects/team-b/flags')).status);
    expect(teamBFlags).toBe(404);
    await page.screenshot({ path: join(SCREENSHOTS, 'teams-alice-no-team-b.png') });
    expect(alice.errors).toEqual([]);
  } finally {
    await aliceContext.close();
  }

  // Bob (team-b-devs), in a browser of his own, lands in team-b: only its flags, his checkout still off.
  const bobContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const bob = await openPage(bobContext);
  try {
    const page = bob.page;
    await signInWithSso(page, BOB);
    expect(new URL(page.url()).pathname).toBe('/p/team-b/flags');
    expect(await listedFlags(page, 'checkout')).toEqual(['checkout']);
    expect(await page.getByTestId('my-role').textContent()).toBe('editor');
    await expect.poll(() => switcherOptions(page)).toEqual(['team-b']);

    await page.getByRole('button', { name: 'Checkout in Development' }).click();
    await page.waitForURL(/\/p\/team-b\/flags\/checkout\/development$/);
    const toggle = page.getByRole('switch', { name: 'Flag on in Development' });
    await toggle.waitFor();
    expect(await toggle.getAttribute('aria-checked')).toBe('false');

    // Team A's flag is nowhere for him: not in his project, and team-a is not his to open.
    await page.goto(`${server.base}/p/team-b/flags/only-a/development`);
    await page.getByRole('heading', { name: 'No flag "only-a"', level: 1 }).waitFor();
    await page.goto(`${server.base}/p/team-a/flags/only-a/development`);
    await page.getByRole('heading', { name: 'No project "team-a"', level: 1 }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'teams-bob-no-team-a.png') });
    expect(bob.errors).toEqual([]);
  } finally {
    await bobContext.close();
  }

  // The server agrees: team-a's checkout is on in development, team-b's is off.
  expect(await enabledIn('team-a', 'checkout', 'development')).toBe(true);
  expect(await enabledIn('team-b', 'checkout', 'development')).toBe(false);

  // Both sign-ins went through the provider (organisation events, in no project).
  const signIns = (
    await admin.request<{ items: AuditItem[] }>('GET', '/api/v1/audit?action=auth.login&limit=500')
  ).items;
  for (const email of [ALICE.email, BOB.email]) {
    expect(signIns).toContainEqual(
      expect.objectContaining({
        actor: expect.objectContaining({ name: email }),
        after: expect.objectContaining({ method: 'sso' }),
      }),
    );
  }
  expect(signIns.filter((event) => event.project !== undefined)).toEqual([]);

  // The audit: team-a's log holds alice's switch, team-b's has nothing of hers.
  const aliceId = signIns.find((event) => event.actor.name === ALICE.email)?.actor.id;
  expect(aliceId).toBeDefined();
  const teamA = await auditOf('team-a');
  expect(teamA).toContainEqual(
    expect.objectContaining({
      actor: expect.objectContaining({ type: 'user', id: aliceId }),
      action: 'flag.config.enable',
      resource: expect.objectContaining({ key: 'checkout', environment: 'development' }),
      project: 'team-a',
    }),
  );
  const teamB = await auditOf('team-b');
  expect(teamB.length).toBeGreaterThan(0);
  expect(teamB.every((event) => event.project === 'team-b')).toBe(true);
  expect(teamB.filter((event) => event.actor.id === aliceId)).toEqual([]);
  expect(teamB.filter((event) => event.action === 'flag.config.enable')).toEqual([]);
}, 60_000);
