import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { type PostgresServer, startPostgres } from '../../../test/support/postgres.js';
import { openDatabase } from './client.js';
import { accessContract } from './contract/access.contract.js';
import { auditContract } from './contract/audit.contract.js';
import { catalogContract } from './contract/catalog.contract.js';
import { countsContract } from './contract/counts.contract.js';
import { environmentsContract } from './contract/environments.contract.js';
import { reviewsContract } from './contract/reviews.contract.js';
import { type ContractRun, emptyDatabase } from './contract/support.js';
import { transactionsContract } from './contract/transactions.contract.js';
import { parseDatabaseLocation } from './location.js';
import { migrateDatabase } from './migrate.js';

/**
 * The store contract: every store function, run against a fresh migrated SQLite database and a fresh
 * migrated PostgreSQL database, must behave the same — what comes back (types included), in which
 * order, which writes a duplicate or dangling key refuses, what a transaction commits, and the
 * revision, change-log and audit-chain guarantees of concurrent writes. A second implementation of a
 * store passes these cases on both dialects. PostgreSQL is required (CI installs it): without its
 * binaries the suite fails instead of skipping.
 *
 * The PostgreSQL database uses a language-aware default collation (ICU en-US, like most production
 * databases), not the byte order of the test server's template, so ordering by text must be explicit.
 */

let server: PostgresServer | undefined;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.destroy();
});

async function openSqlite(): Promise<ContractRun & { close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ringflag-contract-'));
  const location = parseDatabaseLocation(join(dir, 'ringflag.db'));
  const database = await openDatabase(location);
  await migrateDatabase(database);
  const replica = await openDatabase(location);
  return {
    dialect: 'sqlite',
    database,
    replica,
    async close() {
      await replica.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(): Promise<ContractRun & { close(): Promise<void> }> {
  if (!server) throw new Error('the PostgreSQL server did not start');
  const running = server;
  const name = `rf_contract_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: running.url });
  await admin.connect();
  try {
    await admin.query(
      `create database ${name} template template0 encoding 'UTF8' locale 'C' locale_provider icu icu_locale 'en-US'`,
    );
  } finally {
    await admin.end();
  }
  const location = parseDatabaseLocation(running.urlFor(name), 8);
  const database = await openDatabase(location);
  await migrateDatabase(database);
  const replica = await openDatabase(location);
  return {
    dialect: 'postgres',
    database,
    replica,
    async close() {
      await replica.close();
      await database.close();
      await running.dropDatabase(name);
    },
  };
}

describe.each([
  ['sqlite', openSqlite],
  ['postgres', openPostgres],
] as const)('store contract on %s', (_dialect, open) => {
  let run: (ContractRun & { close(): Promise<void> }) | undefined;
  const current = () => {
    if (!run) throw new Error('the database of this run is not open');
    return run;
  };

  beforeAll(async () => {
    run = await open();
  }, 60_000);

  afterAll(async () => {
    await run?.close();
  });

  beforeEach(async () => {
    await emptyDatabase(current().database);
  });

  environmentsContract(current);
  catalogContract(current);
  accessContract(current);
  auditContract(current);
  reviewsContract(current);
  countsContract(current);
  transactionsContract(current);
});
