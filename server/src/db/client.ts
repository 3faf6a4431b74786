import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import type { DatabaseLocation } from './location.js';
import * as schema from './schema.js';
import * as pgSchema from './schema.pg.js';

/** The database engines Ringflag runs on: embedded SQLite, or PostgreSQL for many replicas. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * The query API every store is written against, once for both dialects. It is typed as drizzle's
 * asynchronous SQLite database; on PostgreSQL the same builder calls run on drizzle's node-postgres
 * database over a table set whose row types are identical (schema-parity.ts checks that at compile
 * time). Stores therefore only `await` builders (select, insert/update/delete with or without
 * `.returning()`, `onConflictDo…`), take `[0]` for one row, and never call the SQLite-only
 * `.get()`, `.all()`, `.run()` or `.values()`. Dialect-specific SQL goes through {@link execute}.
 */
export type SqlDb = BaseSQLiteDatabase<'async', unknown, typeof schema>;

/** The tables, as stores see them (the PostgreSQL set has the same shape). */
export type Tables = typeof schema;

/** What stores run queries on: the database, or the transaction of a write. */
export interface Queryable {
  readonly db: SqlDb;
  readonly t: Tables;
  readonly dialect: Dialect;
}

/** Connections of the pool, for /metrics (PostgreSQL only). */
export interface PoolUse {
  size: number;
  total: number;
  idle: number;
  waiting: number;
}

/** An open database: reads on it directly, writes through {@link Database.transaction}. */
export interface Database extends Queryable {
  /**
   * Runs `body` in one transaction: committed when it resolves, rolled back when it throws. Called
   * inside another transaction of this database, it joins it. Every write goes through here: on
   * SQLite the transactions of one process take turns on its one connection.
   */
  transaction<T>(body: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial query (readiness). */
  ping(): Promise<void>;
  /** Pool connections in use and waiting (PostgreSQL), for /metrics. */
  poolUse(): PoolUse | undefined;
  /** The PostgreSQL connection settings, for connections of their own (LISTEN, the leader lock). */
  readonly pgConfig?: pg.ClientConfig;
  /** The SQLite file, when the dialect is SQLite (':memory:' for a throwaway one). */
  readonly file?: string;
  /** The SQLite connection itself (migrations, pragmas); absent on PostgreSQL. */
  readonly sqlite?: BetterSqlite3.Database;
  close(): Promise<void>;
}

/**
 * The transaction an async context runs in. A callback that outlives its transaction (a timer set
 * inside one) inherits the context; `open` tells it to start a transaction of its own instead of
 * joining one that has ended.
 */
interface OpenTransaction {
  readonly handle: Queryable;
  open: boolean;
}

/** Runs SQL the query builder cannot express, returning its rows (both dialects). */
export async function execute<Row = Record<string, unknown>>(q: Queryable, query: SQL): Promise<Row[]> {
  if (q.dialect === 'postgres') {
    const result = await (q.db as unknown as NodePgDatabase).execute(query);
    return result.rows as Row[];
  }
  return (q.db as unknown as BaseSQLiteDatabase<'sync', unknown>).all<Row>(query);
}

/** Runs SQL that returns no rows (a savepoint, a lock), on both dialects. */
export async function executeStatement(q: Queryable, query: SQL): Promise<void> {
  if (q.dialect === 'postgres') await (q.db as unknown as NodePgDatabase).execute(query);
  else (q.db as unknown as BaseSQLiteDatabase<'sync', unknown>).run(query);
}

/**
 * Opens the database a location names: a SQLite file (created with its folder, WAL, foreign keys)
 * or a PostgreSQL pool. Nothing is migrated here; see migrate.ts.
 *
 * @example
 * const database = await openDatabase(parseDatabaseLocation('./data/ringflag.db'));
 */
export async function openDatabase(location: DatabaseLocation): Promise<Database> {
  return location.dialect === 'sqlite' ? openSqlite(location.file) : openPostgres(location);
}

function openSqlite(file: string): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzleSqlite(withStatementCache(sqlite), { schema }) as unknown as SqlDb;
  const root: Queryable = { db, t: schema, dialect: 'sqlite' };
  const current = new AsyncLocalStorage<OpenTransaction>();
  // One connection: transactions take turns. A body awaits only this connection's queries, which
  // complete synchronously, so a turn is short.
  let turn: Promise<void> = Promise.resolve();
  return {
    ...root,
    file,
    sqlite,
    async transaction(body) {
      const joined = current.getStore();
      if (joined?.open) return body(joined.handle);
      const previous = turn;
      let release!: () => void;
      turn = new Promise((resolve) => {
        release = resolve;
      });
      await previous;
      try {
        sqlite.exec('BEGIN IMMEDIATE');
        const open: OpenTransaction = { handle: root, open: true };
        try {
          const result = await current.run(open, () => body(root));
          sqlite.exec('COMMIT');
          return result;
        } catch (error) {
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
          throw error;
        } finally {
          open.open = false;
        }
      } finally {
        release();
      }
    },
    async ping() {
      sqlite.prepare('select 1').get();
    },
    poolUse: () => undefined,
    async close() {
      await turn;
      sqlite.close();
    },
  };
}

function openPostgres(location: Extract<DatabaseLocation, { dialect: 'postgres' }>): Database {
  const pgConfig: pg.ClientConfig = {
    connectionString: location.url,
    // A database that does not answer must not hang a request: connecting and each statement are bounded.
    connectionTimeoutMillis: 5_000,
    statement_timeout: 15_000,
    query_timeout: 20_000,
    application_name: 'ringflag',
    // A database host that vanishes without closing its connections is noticed in seconds, not hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
  };
  const pool = new pg.Pool({ ...pgConfig, max: location.poolSize, idleTimeoutMillis: 30_000 });
  // A client losing its connection (a database restart) must not crash the process: idle ones report
  // on the pool, checked-out ones on themselves; the query in flight still fails (a 503).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzlePg(pool, { schema: pgSchema }) as unknown as NodePgDatabase<typeof pgSchema>;
  const tables = pgSchema as unknown as Tables;
  const root: Queryable = { db: db as unknown as SqlDb, t: tables, dialect: 'postgres' };
  const current = new AsyncLocalStorage<OpenTransaction>();
  return {
    ...root,
    pgConfig,
    transaction(body) {
      const joined = current.getStore();
      if (joined?.open) return body(joined.handle);
      return db.transaction(async (tx) => {
        const handle: Queryable = { db: tx as unknown as SqlDb, t: tables, dialect: 'postgres' };
        const open: OpenTransaction = { handle, open: true };
        try {
          return await current.run(open, () => body(handle));
        } finally {
          open.open = false;
        }
      });
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    poolUse: () => ({
      size: location.poolSize,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    async close() {
      await pool.end();
    },
  };
}

/**
 * drizzle prepares every query anew, and preparing dominated the cost of a write on SQLite (~40%).
 * This hands drizzle a view of the connection whose `prepare` reuses statements by SQL text
 * (bounded). Safe because drizzle's statements never stay open between calls (no `.iterate()`), and a
 * given SQL text always comes from the same builder, so its raw/object mode does not change.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, max = 1000): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
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
