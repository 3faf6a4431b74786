import type { Queryable } from './client.js';

const caches = new WeakMap<object, Map<string, unknown>>();

/**
 * Builds a drizzle prepared query once per database handle and reuses it: building a query costs
 * more than running it on SQLite. Writes pass the root handle into their body (one connection,
 * synchronous, so the queries still run inside the write's transaction).
 *
 * @example
 * const query = prepared(db, 'findFlag', () =>
 *   db.select().from(flags).where(eq(flags.key, sql.placeholder('key'))).prepare());
 * query.get({ key });
 */
export function prepared<T>(db: Queryable, name: string, build: () => T): T {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let query = cache.get(name) as T | undefined;
  if (query === undefined) {
    query = build();
    cache.set(name, query);
  }
  return query;
}
