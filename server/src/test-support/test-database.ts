import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The dialect tests run on: SQLite by default, PostgreSQL with `RINGFLAG_TEST_DB=postgres`. */
export const TEST_DIALECT: 'sqlite' | 'postgres' =
  process.env.RINGFLAG_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';

/** The migrated database every PostgreSQL test database is cloned from (created by the global setup). */
export const PG_TEMPLATE = 'rf_template';

/** A throwaway database for one test: a `RINGFLAG_DB` value, and how to remove it. */
export interface TestDatabase {
  /** A SQLite file path or a PostgreSQL URL. */
  location: string;
  /** A temporary folder of the test (holds the SQLite file, the audit key). */
  dir: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for a test on the dialect the run uses: a SQLite file in a new temporary folder, or
 * a new PostgreSQL database cloned from the migrated template on the run's throwaway server.
 *
 * @example
 * const database = await createTestDatabase();
 * const server = await startServer({ db: database.location, … });
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'ringflag-test-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (TEST_DIALECT === 'sqlite') {
    return { location: join(dir, 'ringflag.db'), dir, drop: async () => removeDir() };
  }
  const admin = process.env.RINGFLAG_TEST_PG_URL;
  if (!admin)
    throw new Error('RINGFLAG_TEST_DB=postgres needs the PostgreSQL global setup (vitest.config.ts)');
  const name = `rf_${Math.random().toString(36).slice(2, 12)}`;
  await adminQuery(admin, `create database ${name} template ${PG_TEMPLATE}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    location: url.toString(),
    dir,
    drop: async () => {
      removeDir();
      await adminQuery(admin, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Creating from a template fails while another session is connected to it; those are brief.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(text);
        return;
      } catch (error) {
        if (attempt >= 20 || (error as { code?: string }).code !== '55006') throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    await client.end();
  }
}
