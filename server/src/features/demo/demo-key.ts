import type { Database } from '../../db/client.js';
import { type Actor, SYSTEM_ACTOR } from '../audit/audit-event.js';
import type { FindSdkKey } from '../client/sdk-key-lookup.js';
import { findSetting, insertSettingIfAbsent } from './settings.store.js';

const SETTING = 'demo_client_key';
/** The environment the demo page reads. */
export const DEMO_ENVIRONMENT = 'development';

/** What {@link createDemoService} needs. */
export interface DemoDeps {
  database: Database;
  /** Creates an SDK key, audited (the SDK keys service). */
  sdkKeys: {
    create(actor: Actor, env: string, type: 'server' | 'client'): Promise<{ key: string }> | { key: string };
  };
  /** Finds an SDK key in the database, fresh (the SDK keys service's lookup). */
  findSdkKey: FindSdkKey;
}

/** The demo page's client key. */
export interface DemoService {
  /**
   * Creates the demo page's client key for `development` (once; audited like any key) and keeps it in
   * the settings table. SDK keys are stored hashed, so this is the one place its secret survives: a
   * client key is public by design (it reads only client-side flag values of its environment), and
   * revoking it through the admin API turns the demo page off.
   */
  createClientKey(): Promise<void>;
  /**
   * The demo page's client key: undefined unless the database was seeded in demo mode and the key is
   * still valid (not revoked).
   */
  findClientKey(): Promise<string | undefined>;
}

/**
 * The demo's key, kept in the settings table.
 *
 * @example
 * const demo = createDemoService({ database, sdkKeys, findSdkKey: (key) => findSdkKey(database, key) });
 * await demo.createClientKey(); // during demo seeding
 */
export function createDemoService(deps: DemoDeps): DemoService {
  return {
    async createClientKey() {
      if ((await findSetting(deps.database, SETTING)) !== undefined) return;
      const { key } = await deps.sdkKeys.create(SYSTEM_ACTOR, DEMO_ENVIRONMENT, 'client');
      await deps.database.transaction((tx) => insertSettingIfAbsent(tx, SETTING, key));
    },

    async findClientKey() {
      const key = await findSetting(deps.database, SETTING);
      if (key === undefined) return undefined;
      return (await deps.findSdkKey(key))?.type === 'client' ? key : undefined;
    },
  };
}
