/**
 * The throwaway PostgreSQL server: it starts, serves connections, creates and drops databases,
 * survives a restart (old connections fail, new ones work) and leaves nothing behind.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type PostgresServer, postgresAvailable, startPostgres } from './postgres.js';
import { freePort } from './ringflag-process.js';

/** A connected client; errors it emits while idle (the server going away) are collected. */
async function connect(url: string): Promise<{ client: pg.Client; errors: Error[] }> {
  const client = new pg.Client({ connectionString: url });
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  await client.connect();
  return { client, errors };
}

async function selectOne(url: string): Promise<number> {
  const { client } = await connect(url);
  try {
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    return rows[0]!.one;
  } finally {
    await client.end();
  }
}

// Skipped only where PostgreSQL is not installed; `npm test` installs it (.ci/system-packages.sh).
describe.skipIf(!postgresAvailable())('throwaway PostgreSQL', { timeout: 30_000 }, () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 30_000);
  afterAll(async () => {
    await server?.destroy();
  });

  test('serves connections on 127.0.0.1 and creates, clones and drops databases', async () => {
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    expect(await selectOne(server.url)).toBe(1);

    const url = await server.createDatabase();
    const name = new URL(url).pathname.slice(1);
    expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
    expect(url).toBe(server.urlFor(name));
    const { client } = await connect(url);
    await client.query('CREATE TABLE greeting (text text NOT NULL)');
    await client.query(`INSERT INTO greeting VALUES ('hello')`);
    await client.end();

    const cloneUrl = await server.createDatabase('rf_clone', name);
    const clone = await connect(cloneUrl);
    expect((await clone.client.query('SELECT text FROM greeting')).rows).toEqual([{ text: 'hello' }]);
    await clone.client.end();

    const empty = await connect(await server.createDatabase());
    expect((await empty.client.query(`SELECT to_regclass('greeting') AS t`)).rows).toEqual([{ t: null }]);
    // Dropping closes the connections still open on the database.
    await server.dropDatabase(name);
    await server.dropDatabase('rf_clone');
    await expect(selectOne(url)).rejects.toMatchObject({ code: '3D000' });
    await empty.client.end().catch(() => {});

    await expect(server.createDatabase('bad"name')).rejects.toThrow(/not a safe database name/);
  });

  test('restarts on the same port and data: old connections fail, new ones work', async () => {
    const url = await server.createDatabase();
    const setup = await connect(url);
    await setup.client.query('CREATE TABLE kept (n int)');
    await setup.client.query('INSERT INTO kept VALUES (42)');
    await setup.client.end();

    const before = await connect(url);
    await server.restart();
    await expect(before.client.query('SELECT 1')).rejects.toThrow();
    const after = await connect(url);
    expect((await after.client.query('SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
    await after.client.end();

    // An immediate stop is a crash: the server recovers its data on the next start.
    const crashed = await connect(url);
    await server.stop('immediate');
    await expect(crashed.client.query('SELECT 1')).rejects.toThrow();
    await expect(selectOne(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.start();
    expect(await selectOne(url)).toBe(1);
  });

  test('destroy stops the server and removes its directory', async () => {
    const port = await freePort();
    const other = await startPostgres({ port });
    expect(other.port).toBe(port);
    expect(await selectOne(other.url)).toBe(1);
    expect(existsSync(other.dir)).toBe(true);
    await other.destroy();
    expect(existsSync(other.dir)).toBe(false);
    await expect(selectOne(other.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
