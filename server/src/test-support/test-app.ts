import type { OpenAPIHono } from '@hono/zod-openapi';
import pg from 'pg';
import { createApp } from '../app.js';
import type { AppDeps, AppEnv } from '../app-env.js';
import type { Database } from '../db/client.js';
import type { Role } from '../features/auth/roles.js';
import { DEFAULT_PROJECT, servicesInProject } from '../features/projects/project-scope.js';
import { prepare, type StartServerOptions } from '../server.js';
import type { Services } from '../services.js';
import { createTestDatabase } from './test-database.js';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

export { ANY_VERSION } from '../testing.js';

/** A response, with its JSON body parsed (or the text when it is not JSON). */
export interface TestResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Request options for {@link TestApp.request}. */
export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** A raw body, sent as is (for malformed JSON). */
  raw?: string;
  headers?: Record<string, string>;
}

/**
 * An app over a real temporary database (a SQLite file, or a PostgreSQL database with
 * `RINGFLAG_TEST_DB=postgres`), with an admin logged in.
 */
export interface TestApp {
  app: OpenAPIHono<AppEnv>;
  deps: AppDeps;
  services: Services;
  database: Database;
  adminToken: string;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  /** A session token of a (new, cached) user with this role. */
  tokenFor(role: Role): Promise<string>;
  /** Every row of every table, to prove a rejected request wrote nothing. */
  dump(): Promise<Record<string, unknown[]>>;
  /** Runs raw SQL on either dialect; `$1`, `$2` … are the parameters. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/**
 * Builds the app on a fresh temporary database (migrated and seeded with an admin) and logs in.
 *
 * @example
 * const t = await createTestApp();
 * const res = await t.request('GET', '/api/v1/flags', { token: t.adminToken });
 */
export async function createTestApp(options: Partial<StartServerOptions> = {}) {
  const testDatabase = await createTestDatabase();
  const { deps, services, database } = await prepare({
    db: testDatabase.location,
    auditKeyFile: `${testDatabase.dir}/audit-signing.pem`,
    admin: ADMIN,
    logLevel: 'silent',
    print: () => {},
    ...options,
  });
  const app = createApp(deps, services, options.app);
  const stop = async () => {
    await services.guardIntake.close();
    deps.hub.close();
    await deps.feed.stop();
    await database.close();
  };

  async function query<Row = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<Row[]> {
    if (database.sqlite) {
      const statement = database.sqlite.prepare(text.replace(/\$\d+/g, '?'));
      if (statement.reader) return statement.all(...params) as Row[];
      statement.run(...params);
      return [];
    }
    const client = new pg.Client({ connectionString: testDatabase.location });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as Row[];
    } finally {
      await client.end();
    }
  }

  const request = async <T = unknown>(method: string, path: string, opts: RequestOptions = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.raw !== undefined || opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = opts.raw ?? JSON.stringify(opts.body);
    }
    const response = await app.request(path, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {}
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };

  const login = async (email: string, password: string) => {
    const res = await request<{ token: string }>('POST', '/api/v1/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
    return res.body.token;
  };

  const adminToken = await login(ADMIN.email, ADMIN.password);
  const tokens = new Map<Role, string>([['admin', adminToken]]);

  const t: TestApp = {
    app,
    deps,
    // A test calling a service acts in the default project, as the URLs without a project do.
    services: servicesInProject(services, DEFAULT_PROJECT),
    database,
    adminToken,
    request,
    async tokenFor(role) {
      const cached = tokens.get(role);
      if (cached) return cached;
      const email = `${role}@example.com`;
      const created = await request('POST', '/api/v1/users', {
        token: adminToken,
        body: { email, password: 'password-123', role },
      });
      if (created.status !== 201) throw new Error(`creating ${role}: ${created.status} ${created.text}`);
      const token = await login(email, 'password-123');
      tokens.set(role, token);
      return token;
    },
    async dump() {
      const tables = await query<{ name: string }>(
        database.dialect === 'postgres'
          ? "select table_name as name from information_schema.tables where table_schema = 'public' order by table_name"
          : "select name from sqlite_master where type = 'table' order by name",
      );
      const out: Record<string, unknown[]> = {};
      for (const { name } of tables) out[name] = await query(`select * from "${name}"`);
      return out;
    },
    query,
    async close() {
      await stop();
      await testDatabase.drop();
    },
  };
  return t;
}
