import { eq } from 'drizzle-orm';
import type { AppDeps } from '../../app-env.js';
import { settings } from '../../db/schema.js';
import { SYSTEM_ACTOR } from '../audit/audit-event.js';
import { createSdkKeyService, findSdkKey } from '../sdk-keys/sdk-keys.service.js';

const SETTING = 'demo_client_key';
/** The environment the demo page reads. */
export const DEMO_ENVIRONMENT = 'development';

/**
 * Creates the demo page's client key for `development` (once; audited like any key) and keeps it in
 * the settings table. SDK keys are stored hashed, so this is the one place its secret survives: a
 * client key is public by design (it reads only client-side flag values of its environment), and
 * revoking it through the admin API turns the demo page off.
 *
 * @example
 * createDemoClientKey(deps); // during demo seeding
 */
export function createDemoClientKey(deps: AppDeps): void {
  if (deps.db.select().from(settings).where(eq(settings.key, SETTING)).get()) return;
  const { key } = createSdkKeyService(deps).create(SYSTEM_ACTOR, DEMO_ENVIRONMENT, 'client');
  deps.db.insert(settings).values({ key: SETTING, value: key }).onConflictDoNothing().run();
}

/**
 * The demo page's client key: undefined unless the database was seeded in demo mode and the key is
 * still valid (not revoked).
 */
export function findDemoClientKey(deps: AppDeps): string | undefined {
  const row = deps.db.select().from(settings).where(eq(settings.key, SETTING)).get();
  if (!row) return undefined;
  return findSdkKey(deps.db, row.value)?.type === 'client' ? row.value : undefined;
}
