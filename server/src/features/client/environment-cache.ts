import type { Queryable } from '../../db/client.js';
import type { EnvironmentRef } from '../../db/schema.js';
import type { ChangeHub } from '../../stream/change-hub.js';
import {
  type EnvironmentRow,
  findEnvironment,
  findEnvironmentById,
  findEnvironmentByRef,
} from '../environments/environments.store.js';
import { ShortLivedCache } from './short-lived-cache.js';

/** What the SDK-facing surfaces read of an environment. */
export type SurfaceEnvironment = Pick<EnvironmentRow, 'id' | 'key' | 'ref' | 'projectId' | 'revision'>;

/**
 * Where the SDK-facing surfaces read environments: the database through {@link EnvironmentCache} on a
 * server, the followed upstream on a relay.
 */
export interface EnvironmentReader {
  /** The environment with this id; `fresh` asks the source rather than a cache. */
  byId(id: number, options?: { fresh?: boolean }): Promise<SurfaceEnvironment | undefined>;
  /** The environment with this key, in the project in scope. */
  byKey(key: string): Promise<SurfaceEnvironment | undefined>;
  /** The environment with this ref (any project). */
  byRef(ref: EnvironmentRef): Promise<SurfaceEnvironment | undefined>;
}

/** How long a row is kept at most (its settings besides the revision are not for this cache's users). */
export const ENVIRONMENT_CACHE_MS = 1000;

/**
 * Environment rows for the SDK-facing surfaces, which read one per request. By id they are kept for at
 * most {@link ENVIRONMENT_CACHE_MS} from the moment the database was asked, and dropped the moment
 * their environment publishes a change on this replica, so the revision of a kept row is never behind
 * what this replica's streams have been sent. Settings that publish nothing, such as allowed origins,
 * are not for this cache's users (cors.ts keeps those). {@link clear} drops everything (an
 * environment changed on some replica). `fresh`, {@link byKey} and {@link byRef} always ask the database.
 *
 * @example
 * const environments = new EnvironmentCache(database, hub);
 * const env = await environments.byId(key.environmentId); // EnvironmentRow | undefined
 */
export class EnvironmentCache implements EnvironmentReader {
  private readonly rows: ShortLivedCache<number, EnvironmentRow>;
  private readonly load = (id: number) => findEnvironmentById(this.database, id);

  constructor(
    private readonly database: Queryable,
    hub: Pick<ChangeHub, 'onPublish'>,
    options: { now?: () => number } = {},
  ) {
    this.rows = new ShortLivedCache({ ttlMs: ENVIRONMENT_CACHE_MS, max: 1000, now: options.now });
    hub.onPublish((environment) => this.rows.forget((row) => row.ref === environment));
  }

  /** The environment with this id: from memory when kept, unless `fresh`. */
  async byId(id: number, options: { fresh?: boolean } = {}): Promise<EnvironmentRow | undefined> {
    return options.fresh ? this.load(id) : this.rows.get(id, this.load);
  }

  /** The environment with this key, read fresh. */
  async byKey(key: string): Promise<EnvironmentRow | undefined> {
    return findEnvironment(this.database, key);
  }

  /** The environment with this ref, read fresh. */
  async byRef(ref: EnvironmentRef): Promise<EnvironmentRow | undefined> {
    return findEnvironmentByRef(this.database, ref);
  }

  /** Drops every row. */
  clear(): void {
    this.rows.clear();
  }
}
