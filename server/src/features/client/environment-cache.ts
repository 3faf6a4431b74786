import { LRUCache } from 'lru-cache';
import type { Queryable } from '../../db/client.js';
import type { ChangeHub } from '../../stream/change-hub.js';
import { type EnvironmentRow, findEnvironmentById } from '../environments/environments.store.js';

/** How long a row is kept at most (its settings besides the revision are not for this cache's users). */
export const ENVIRONMENT_CACHE_MS = 1000;

/**
 * Environment rows by id for the browser and OFREP surfaces, which read one per request. A row is
 * dropped the moment its environment publishes a change, so its revision is always current (every
 * revision bump is published right after its commit, with nothing in between). Settings that publish
 * nothing, such as allowed origins, may lag by up to {@link ENVIRONMENT_CACHE_MS}: read those fresh.
 *
 * @example
 * const environments = new EnvironmentCache(deps.db, deps.hub);
 * const env = environments.byId(key.environmentId); // EnvironmentRow | undefined
 */
export class EnvironmentCache {
  private readonly rows = new LRUCache<number, EnvironmentRow>({ max: 1000, ttl: ENVIRONMENT_CACHE_MS });

  constructor(
    private readonly db: Queryable,
    hub: ChangeHub,
  ) {
    hub.onPublish((environment) => {
      for (const [id, row] of this.rows.entries()) if (row.key === environment) this.rows.delete(id);
    });
  }

  byId(id: number): EnvironmentRow | undefined {
    const cached = this.rows.get(id);
    if (cached) return cached;
    const row = findEnvironmentById(this.db, id);
    if (row) this.rows.set(id, row);
    return row;
  }
}
