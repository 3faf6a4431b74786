import type { StartServerOptions } from '../server.js';
import { createTestApp, type TestApp } from './test-app.js';

/** The flag the change request tests review, in production (an environment that requires approval). */
export const NEW_CHECKOUT_PRODUCTION = '/api/v1/flags/new-checkout/environments/production';

/** When the change request tests' clocks start. */
export const START = new Date('2026-05-01T10:00:00.000Z');

/** A test app, the boolean flag new-checkout, and the tokens of an approver and an editor. */
export interface ReviewApp {
  t: TestApp;
  approver: string;
  editor: string;
}

/**
 * Builds a test app with the boolean flag new-checkout (off everywhere) and signs in an approver and
 * an editor: the people a change request needs.
 *
 * @example
 * let now = START;
 * const { t, approver, editor } = await createReviewApp({ clock: () => now });
 */
export async function createReviewApp(options: Partial<StartServerOptions> = {}): Promise<ReviewApp> {
  const t = await createTestApp(options);
  await t.request('POST', '/api/v1/flags', {
    token: t.adminToken,
    body: { key: 'new-checkout', kind: 'boolean' },
  });
  const approver = await t.tokenFor('approver');
  const editor = await t.tokenFor('editor');
  return { t, approver, editor };
}

/** The audit events about new-checkout, as an admin reads them (newest first). */
export async function flagAudit<Item>(t: TestApp): Promise<Item[]> {
  const res = await t.request<{ items: Item[] }>('GET', '/api/v1/audit?resource=new-checkout', {
    token: t.adminToken,
  });
  return res.body.items;
}

/** The tables a change request must not touch until it applies. */
export async function configTables(t: TestApp) {
  const { flag_configs, environments, flags } = await t.dump();
  return { flag_configs, environments, flags };
}
