import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type RunResult } from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import * as schema from './schema.js';

/** The drizzle handle every store receives; synchronous, as better-sqlite3 is. */
export type Db = BetterSQLite3Database<typeof schema>;

/** A transaction handle: the same query API as {@link Db}, inside one SQLite transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** An open database: drizzle for queries, the raw handle for pragmas, dumps and closing. */
export interface OpenDatabase {
  db: Db;
  sqlite: Database.Database;
  close(): void;
}

/**
 * Opens (creating if needed) the SQLite file with WAL, foreign keys and a busy timeout.
 *
 * @example
 * const database = openDatabase('./data/ringflag.db');
 */
export function openDatabase(path: string): OpenDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzle(withStatementCache(sqlite), { schema });
  return { db, sqlite, close: () => sqlite.close() };
}

/** Anything queries run on: the database or a transaction (both synchronous). */
export type Queryable = BaseSQLiteDatabase<'sync', RunResult, typeof schema>;

/**
 * drizzle prepares every query anew, and preparing dominated the cost of a write (~40%). This hands
 * drizzle a view of the connection whose `prepare` reuses statements by SQL text (bounded). Safe
 * because drizzle's statements never stay open between calls (no `.iterate()`), and a given SQL text
 * always comes from the same builder, so its raw/object mode does not change.
 */
function withStatementCache(sqlite: Database.Database, max = 1000): Database.Database {
  const cache = new Map<string, Database.Statement>();
  const prepare = (source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      if (cache.size >= max) cache.clear();
      statement = sqlite.prepare(source);
      cache.set(source, statement);
    }
    return statement;
  };
  return new Proxy(sqlite, {
    get(target, property) {
      if (property === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
