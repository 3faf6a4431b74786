import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../../test/support/postgres.js';
import { createApp } from '../app.js';
import type { AppDeps, AppEnv } from '../app-env.js';
import { type AuditEvent, GENESIS_HASH, hashEvent } from '../features/audit/audit-event.js';
import { checkpointMessage, loadAuditSigner } from '../features/audit/audit-signing.js';
import { hashPassword } from '../features/auth/password.js';
import { generateSecret, hashSecret, SECRET_PREFIX, secretPrefix } from '../features/auth/secrets.js';
import { signSessionToken } from '../features/auth/session-token.js';
import { prepare } from '../server.js';
import type { Services } from '../services.js';
import { type Database, execute, executeStatement, openDatabase } from './client.js';
import { type DatabaseLocation, parseDatabaseLocation } from './location.js';
import { MIGRATIONS_FOLDER, migrateDatabase, PG_MIGRATIONS_FOLDER } from './migrate.js';

/**
 * The upgrade to projects, end to end: a database written by the release before projects (migrated up
 * to the migration before them, filled the way that release wrote its rows and chained its audit
 * events) is migrated and served by the current server. Nobody should notice: the old SDK keys, API
 * token, passwords and session keep working with the same roles, the pending change request can be
 * approved, the audit chain still verifies (its old events count as the default project's), and
 * every URL without a project answers as the default project's. Runs on SQLite and on PostgreSQL
 * (required, like the store contract).
 *
 * The cases run in order on one database: later ones see what earlier ones changed.
 */

/** The first migration of projects, per dialect: the old release's database stops before it. */
const PROJECTS_MIGRATION = { sqlite: '0012_funny_scarecrow', postgres: '0004_demonic_epoch' } as const;

/** The tables whose rows the fixture refers to by their generated id. */
const TABLES_WITH_ID = new Set([
  'environments',
  'users',
  'segments',
  'flags',
  'api_tokens',
  'sdk_keys',
  'change_requests',
]);

const PASSWORDS = {
  admin: 'old-admin-password',
  viewer: 'old-viewer-password',
  editor: 'old-editor-password',
};
const EMAILS = { admin: 'admin@example.com', viewer: 'viewer@example.com', editor: 'erin@example.com' };
const APP_ORIGIN = 'https://app.example.com';

const VARIATIONS = [
  { id: 'off', value: false },
  { id: 'on', value: true },
];
const BETA_RULE = {
  id: 'beta',
  name: 'beta testers',
  clauses: [{ op: 'inSegment', values: ['beta-testers'] }],
  serve: { variation: 'on' },
};
const SEGMENT = { key: 'beta-testers', version: 1, included: ['user-1'], excluded: [], rules: [] };

/** A flag config in the SDK payload's shape (what the change log and change requests hold). */
function payloadFlag(config: { version: number; enabled: boolean; rules?: unknown[]; fallthrough: unknown }) {
  return {
    key: 'new-checkout',
    version: config.version,
    kind: 'boolean',
    variations: VARIATIONS,
    enabled: config.enabled,
    offVariation: 'off',
    prerequisites: [],
    targets: [],
    rules: config.rules ?? [],
    fallthrough: config.fallthrough,
    clientSide: true,
  };
}

/** A copy of the dialect's migrations whose journal ends before projects. */
function migrationsBeforeProjects(dialect: 'sqlite' | 'postgres', dir: string): string {
  const folder = join(dir, `migrations-${dialect}`);
  cpSync(dialect === 'sqlite' ? MIGRATIONS_FOLDER : PG_MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((entry) => entry.tag === PROJECTS_MIGRATION[dialect]);
  if (cut < 1) throw new Error(`no ${PROJECTS_MIGRATION[dialect]} in the ${dialect} journal`);
  journal.entries = journal.entries.slice(0, cut);
  writeFileSync(journalFile, JSON.stringify(journal, null, 2));
  return folder;
}

/** The secrets the old release handed out, which must keep working. */
interface OldSecrets {
  apiToken: string;
  serverKey: string;
  clientKey: string;
  /** A session JWT of the admin, issued before the upgrade. */
  adminSession: string;
  /** The ids and hashes of the audit events the old release wrote. */
  events: { id: number; hash: string }[];
}

/**
 * Fills a database migrated up to the migration before projects as the old release did: raw rows in
 * the old columns (no project anywhere, `users.role`), and an audit chain hashed without `project`.
 */
async function fillAsOldRelease(database: Database, auditKeyFile: string): Promise<OldSecrets> {
  const pg = database.dialect === 'postgres';
  const start = Date.now() - 3 * 24 * 60 * 60 * 1000;
  let tick = 0;
  const at = () => new Date(start + ++tick * 60_000).toISOString();
  /** A column value as the old release stored it: JSON as text, booleans as the dialect has them. */
  const stored = (value: unknown): unknown => {
    if (typeof value === 'boolean') return pg ? value : value ? 1 : 0;
    if (value !== null && typeof value === 'object') return JSON.stringify(value);
    return value;
  };
  const insert = async (table: string, row: Record<string, unknown>): Promise<number | undefined> => {
    const columns = Object.keys(row);
    const query: SQL = sql`insert into ${sql.identifier(table)} (${sql.join(
      columns.map((column) => sql.identifier(column)),
      sql`, `,
    )}) values (${sql.join(
      columns.map((column) => sql`${stored(row[column])}`),
      sql`, `,
    )})`;
    if (!TABLES_WITH_ID.has(table)) {
      await executeStatement(database, query);
      return undefined;
    }
    const [inserted] = await execute<{ id: number }>(database, sql`${query} returning "id"`);
    return Number(inserted!.id);
  };

  // The audit chain, hashed as the old release did: no `project` in any event.
  const events: AuditEvent[] = [];
  const audit = async (event: Omit<AuditEvent, 'id' | 'at' | 'prevHash' | 'hash'>) => {
    const unhashed = {
      id: events.length + 1,
      at: at(),
      ...event,
      prevHash: events.at(-1)?.hash ?? GENESIS_HASH,
    };
    const full: AuditEvent = { ...unhashed, hash: hashEvent(unhashed) };
    events.push(full);
    await insert('audit_events', {
      id: full.id,
      at: full.at,
      actor_type: full.actor.type,
      actor_id: full.actor.id,
      actor_name: full.actor.name,
      action: full.action,
      resource_type: full.resource.type,
      resource_key: full.resource.key,
      resource_environment: full.resource.environment ?? null,
      before: full.before === null ? null : JSON.stringify(full.before),
      after: full.after === null ? null : JSON.stringify(full.after),
      comment: full.comment ?? null,
      change_request_id: full.changeRequestId ?? null,
      on_behalf_of: null,
      prev_hash: full.prevHash,
      hash: full.hash,
    });
  };
  const system = { type: 'system', id: 'system', name: 'ringflag' } as const;
  const adminActor = { type: 'user', id: 'user:1', name: EMAILS.admin } as const;

  const environmentIds: Record<string, number> = {};
  for (const [order, [key, name]] of [
    ['development', 'Development'],
    ['staging', 'Staging'],
    ['production', 'Production'],
  ].entries()) {
    const createdAt = at();
    const revision = key === 'staging' ? 2 : 3;
    const production = key === 'production';
    environmentIds[key!] = (await insert('environments', {
      key,
      name,
      sort_order: order,
      require_approval: production,
      cors_origins: production ? [APP_ORIGIN] : [],
      revision,
      created_at: createdAt,
      updated_at: createdAt,
    }))!;
    const view = {
      key,
      name,
      order,
      requireApproval: false,
      corsOrigins: [],
      revision: 0,
      createdAt,
      updatedAt: createdAt,
    };
    await audit({
      actor: system,
      action: 'environment.create',
      resource: { type: 'environment', key: key! },
      before: null,
      after: view,
    });
  }

  const userIds: Record<string, number> = {};
  for (const role of ['admin', 'viewer', 'editor'] as const) {
    const createdAt = at();
    userIds[role] = (await insert('users', {
      email: EMAILS[role],
      name: `Old ${role}`,
      role,
      password_hash: await hashPassword(PASSWORDS[role]),
      disabled: false,
      created_at: createdAt,
      updated_at: createdAt,
    }))!;
    const after = {
      id: userIds[role],
      email: EMAILS[role],
      name: `Old ${role}`,
      role,
      disabled: false,
      createdAt,
    };
    await audit({
      actor: role === 'admin' ? system : adminActor,
      action: 'user.create',
      resource: { type: 'user', key: EMAILS[role] },
      before: null,
      after,
    });
  }
  if (userIds.admin !== 1) throw new Error('the admin is not user 1');

  const segmentAt = at();
  await insert('segments', {
    key: SEGMENT.key,
    name: 'Beta testers',
    description: '',
    version: 1,
    included: SEGMENT.included,
    excluded: [],
    rules: [],
    created_at: segmentAt,
    updated_at: segmentAt,
  });
  await audit({
    actor: adminActor,
    action: 'segment.create',
    resource: { type: 'segment', key: SEGMENT.key },
    before: null,
    after: { ...SEGMENT, name: 'Beta testers', description: '', createdAt: segmentAt, updatedAt: segmentAt },
  });
  for (const environment of ['development', 'staging', 'production']) {
    await insert('change_log', {
      environment,
      revision: 1,
      patch: { flags: {}, segments: { [SEGMENT.key]: SEGMENT } },
      created_at: segmentAt,
    });
  }

  const flagAt = at();
  const flagId = (await insert('flags', {
    key: 'new-checkout',
    name: 'New checkout',
    description: 'The redesigned checkout',
    kind: 'boolean',
    variations: VARIATIONS,
    tags: ['checkout'],
    owner: null,
    temporary: true,
    client_side: true,
    archived: false,
    version: 1,
    created_at: flagAt,
    updated_at: flagAt,
  }))!;
  await audit({
    actor: adminActor,
    action: 'flag.create',
    resource: { type: 'flag', key: 'new-checkout' },
    before: null,
    after: {
      key: 'new-checkout',
      name: 'New checkout',
      kind: 'boolean',
      variations: VARIATIONS,
      clientSide: true,
    },
  });
  const created = payloadFlag({ version: 1, enabled: false, fallthrough: { variation: 'on' } });
  for (const environment of ['development', 'staging', 'production']) {
    await insert('change_log', {
      environment,
      revision: 2,
      patch: { flags: { 'new-checkout': created }, segments: {} },
      created_at: flagAt,
    });
  }

  // Development: on for beta testers (version 2); staging as created; production switched on (version 2).
  const development = payloadFlag({
    version: 2,
    enabled: true,
    rules: [BETA_RULE],
    fallthrough: { variation: 'off' },
  });
  const production = payloadFlag({ version: 2, enabled: true, fallthrough: { variation: 'on' } });
  const configs = { development, staging: created, production };
  const configAt = at();
  for (const [environment, config] of Object.entries(configs)) {
    await insert('flag_configs', {
      flag_id: flagId,
      environment_id: environmentIds[environment],
      version: config.version,
      enabled: config.enabled,
      off_variation: config.offVariation,
      prerequisites: config.prerequisites,
      targets: config.targets,
      rules: config.rules,
      fallthrough: config.fallthrough,
      updated_at: configAt,
    });
  }
  await audit({
    actor: adminActor,
    action: 'flag.config.update',
    resource: { type: 'flag', key: 'new-checkout', environment: 'development' },
    before: created,
    after: development,
  });
  await insert('change_log', {
    environment: 'development',
    revision: 3,
    patch: { flags: { 'new-checkout': development }, segments: {} },
    created_at: configAt,
  });
  await audit({
    actor: adminActor,
    action: 'flag.config.enable',
    resource: { type: 'flag', key: 'new-checkout', environment: 'production' },
    before: created,
    after: production,
  });
  await insert('change_log', {
    environment: 'production',
    revision: 3,
    patch: { flags: { 'new-checkout': production }, segments: {} },
    created_at: configAt,
  });
  await audit({
    actor: adminActor,
    action: 'environment.update',
    resource: { type: 'environment', key: 'production' },
    before: { key: 'production', requireApproval: false, corsOrigins: [] },
    after: { key: 'production', requireApproval: true, corsOrigins: [APP_ORIGIN] },
  });

  const apiToken = generateSecret(SECRET_PREFIX.apiToken);
  const tokenId = await insert('api_tokens', {
    name: 'ci',
    token_hash: hashSecret(apiToken),
    prefix: secretPrefix(apiToken),
    role: 'editor',
    environments: null,
    created_by: userIds.admin,
    created_at: at(),
    revoked_at: null,
  });
  await audit({
    actor: adminActor,
    action: 'api_token.create',
    resource: { type: 'api_token', key: String(tokenId) },
    before: null,
    after: { id: tokenId, name: 'ci', prefix: secretPrefix(apiToken), role: 'editor', environments: null },
  });
  const serverKey = generateSecret(SECRET_PREFIX.serverKey);
  const clientKey = generateSecret(SECRET_PREFIX.clientKey);
  for (const [type, key] of [
    ['server', serverKey],
    ['client', clientKey],
  ] as const) {
    const id = await insert('sdk_keys', {
      environment_id: environmentIds.production,
      type,
      key_hash: hashSecret(key),
      prefix: secretPrefix(key),
      created_at: at(),
      revoked_at: null,
    });
    await audit({
      actor: adminActor,
      action: 'sdk_key.create',
      resource: { type: 'sdk_key', key: String(id), environment: 'production' },
      before: null,
      after: { id, environment: 'production', type, prefix: secretPrefix(key) },
    });
  }

  // The editor asked to switch production off; it waits for an approver.
  const requestedAt = at();
  const proposed = { ...production, version: 3, enabled: false };
  const editorActor = { type: 'user', id: `user:${userIds.editor}`, name: EMAILS.editor } as const;
  const requestId = await insert('change_requests', {
    flag_id: flagId,
    environment_id: environmentIds.production,
    segment_id: null,
    kind: 'toggle',
    environments: [],
    state: 'pending',
    proposed,
    operations: [{ op: 'set', field: 'enabled', before: true, after: false }],
    base_version: 2,
    author: editorActor,
    author_user_id: userIds.editor,
    comment: 'off for the sale',
    apply_at: null,
    reviewer: null,
    review_comment: null,
    reviewed_at: null,
    applied_at: null,
    conflict: null,
    conflicts: null,
    revision: 1,
    created_at: requestedAt,
    updated_at: requestedAt,
  });
  await audit({
    actor: editorActor,
    action: 'change_request.create',
    resource: { type: 'flag', key: 'new-checkout', environment: 'production' },
    before: production,
    after: proposed,
    comment: 'off for the sale',
    changeRequestId: String(requestId),
  });

  // The head of the chain, signed with the key file the server keeps using.
  const signer = loadAuditSigner(auditKeyFile);
  const head = events.at(-1)!;
  const signedAt = at();
  await insert('audit_checkpoints', {
    event_id: head.id,
    hash: head.hash,
    at: signedAt,
    signature: signer.sign(checkpointMessage({ eventId: head.id, hash: head.hash, at: signedAt })),
    key_id: signer.keyId,
  });

  // The JWT secret the old server generated, and a session of the admin signed with it.
  const secret = randomBytes(48).toString('base64url');
  await insert('settings', { key: 'jwt_secret', value: secret });
  const sid = randomUUID();
  const now = new Date();
  await insert('sessions', {
    id: sid,
    user_id: userIds.admin,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + 60 * 60 * 1000).toISOString(),
    revoked_at: null,
  });
  const adminSession = await signSessionToken(
    Buffer.from(secret, 'base64url'),
    { sub: String(userIds.admin), sid, csrf: randomBytes(16).toString('base64url') },
    now,
    60 * 60,
  );

  return {
    apiToken,
    serverKey,
    clientKey,
    adminSession,
    events: events.map(({ id, hash }) => ({ id, hash })),
  };
}

interface Response<T> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

let postgres: PostgresServer | undefined;

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);

afterAll(async () => {
  await postgres?.destroy();
});

describe.each(['sqlite', 'postgres'] as const)(
  'upgrading a database from before projects on %s',
  (dialect) => {
    let dir: string;
    let location: DatabaseLocation;
    let old: OldSecrets;
    let app: OpenAPIHono<AppEnv>;
    let deps: AppDeps;
    let services: Services;
    let database: Database;
    let dropDatabase: () => Promise<void> = async () => {};

    const request = async <T = unknown>(
      method: string,
      path: string,
      options: { auth?: string; body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<Response<T>> => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.auth !== undefined) headers.authorization = options.auth;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await app.request(path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {}
      return { status: response.status, headers: response.headers, body: body as T, text };
    };
    const login = async (email: string, password: string) => {
      const res = await request<{ token: string }>('POST', '/api/v1/auth/login', {
        body: { email, password },
      });
      expect(res.status, res.text).toBe(200);
      return `Bearer ${res.body.token}`;
    };
    const rows = async <Row = Record<string, unknown>>(query: string) =>
      execute<Row>(database, sql.raw(query));

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ringflag-upgrade-'));
      if (dialect === 'sqlite') {
        location = parseDatabaseLocation(join(dir, 'ringflag.db'));
      } else {
        if (!postgres) throw new Error('the PostgreSQL server did not start');
        const server = postgres;
        const name = `rf_upgrade_${randomBytes(4).toString('hex')}`;
        location = parseDatabaseLocation(await server.createDatabase(name), 4);
        dropDatabase = () => server.dropDatabase(name);
      }
      const auditKeyFile = join(dir, 'audit-signing.pem');

      // The old release's database.
      const before = await openDatabase(location);
      try {
        await migrateDatabase(before, migrationsBeforeProjects(dialect, dir));
        old = await fillAsOldRelease(before, auditKeyFile);
      } finally {
        await before.close();
      }

      // The current server starts on it: migrates (to projects), seeds (nothing to seed), serves.
      ({ deps, services, database } = await prepare({
        db: location,
        auditKeyFile,
        logLevel: 'silent',
        print: () => {},
      }));
      app = createApp(deps, services);
    }, 60_000);

    afterAll(async () => {
      if (database) {
        await services.guardIntake.close();
        deps.hub.close();
        await deps.feed.stop();
        await database.close();
      }
      await dropDatabase();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('puts everything in the default project, keeps the roles, and seeds nothing', async () => {
      expect(await rows('select id, key, name, archived from projects')).toEqual([
        { id: 1, key: 'default', name: 'Default', archived: dialect === 'sqlite' ? 0 : false },
      ]);
      expect(await rows('select key, ref, project_id from environments order by sort_order')).toEqual([
        { key: 'development', ref: 'development', project_id: 1 },
        { key: 'staging', ref: 'staging', project_id: 1 },
        { key: 'production', ref: 'production', project_id: 1 },
      ]);
      for (const table of ['flags', 'segments', 'api_tokens', 'change_requests']) {
        expect(await rows(`select distinct project_id from ${table}`), table).toEqual([{ project_id: 1 }]);
      }
      const orgAdmin = (value: boolean) => (dialect === 'sqlite' ? Number(value) : value);
      expect(
        await rows(
          'select u.email, u.org_admin, m.project_id, m.role from users u join project_members m on m.user_id = u.id order by u.id',
        ),
      ).toEqual([
        { email: EMAILS.admin, org_admin: orgAdmin(true), project_id: 1, role: 'admin' },
        { email: EMAILS.viewer, org_admin: orgAdmin(false), project_id: 1, role: 'viewer' },
        { email: EMAILS.editor, org_admin: orgAdmin(false), project_id: 1, role: 'editor' },
      ]);
      expect(await rows("select value from settings where key = 'audit_project_since'")).toEqual([
        { value: String(old.events.length + 1) },
      ]);
      // Seeding found environments and users: no event was added.
      expect(await rows('select id, hash, project from audit_events order by id')).toEqual(
        old.events.map(({ id, hash }) => ({ id, hash, project: null })),
      );
    });

    it('serves the old server and client keys the same payload, revision continuing', async () => {
      const payload = await request<{
        revision: number;
        flags: Record<string, unknown>;
        segments: Record<string, unknown>;
      }>('GET', '/sdk/v1/flags', { auth: old.serverKey });
      expect(payload.status, payload.text).toBe(200);
      expect(payload.body).toEqual({
        revision: 3,
        flags: {
          'new-checkout': payloadFlag({ version: 2, enabled: true, fallthrough: { variation: 'on' } }),
        },
        segments: { [SEGMENT.key]: SEGMENT },
      });

      // An SDK that saw revision 1 before the upgrade catches up from the change log, patch by patch.
      const resumed = await request<string>('GET', '/sdk/v1/stream', {
        auth: old.serverKey,
        headers: { 'last-event-id': '1' },
      });
      expect(resumed.status, resumed.text).toBe(200);
      expect([...resumed.text.matchAll(/^event: (\w+)\nid: (\d+)$/gm)].map((m) => `${m[1]} ${m[2]}`)).toEqual(
        ['patch 2', 'patch 3'],
      );

      const evaluate = (origin: string) =>
        request<{ revision: number; flags: Record<string, { value: unknown; variant: string }> }>(
          'POST',
          '/client/v1/evaluate',
          { auth: old.clientKey, headers: { origin }, body: { context: { key: 'user-42' } } },
        );
      const allowed = await evaluate(APP_ORIGIN);
      expect(allowed.status, allowed.text).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(allowed.body.revision).toBe(3);
      expect(allowed.body.flags['new-checkout']).toMatchObject({ value: true, variant: 'on' });
      const elsewhere = await evaluate('https://elsewhere.example.com');
      expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('keeps the old passwords, session and API token with their roles', async () => {
      const admin = await login(EMAILS.admin, PASSWORDS.admin);
      for (const auth of [admin, `Bearer ${old.adminSession}`]) {
        const me = await request<{ role: string; orgAdmin: boolean; project: string }>('GET', '/api/v1/me', {
          auth,
        });
        expect(me.status, me.text).toBe(200);
        expect(me.body).toMatchObject({
          kind: 'user',
          name: EMAILS.admin,
          role: 'admin',
          orgAdmin: true,
          project: 'default',
        });
      }
      const adminProjects = await request<{ items: { key: string; role: string }[] }>(
        'GET',
        '/api/v1/projects',
        {
          auth: admin,
        },
      );
      expect(adminProjects.body.items.map(({ key, role }) => ({ key, role }))).toEqual([
        { key: 'default', role: 'admin' },
      ]);

      const users = await request<{ items: { email: string; orgAdmin: boolean; projects: unknown[] }[] }>(
        'GET',
        '/api/v1/users',
        { auth: admin },
      );
      expect(users.status, users.text).toBe(200);
      expect(
        users.body.items.map(({ email, orgAdmin, projects }) => ({ email, orgAdmin, projects })),
      ).toEqual([
        { email: EMAILS.admin, orgAdmin: true, projects: [{ key: 'default', role: 'admin' }] },
        { email: EMAILS.viewer, orgAdmin: false, projects: [{ key: 'default', role: 'viewer' }] },
        { email: EMAILS.editor, orgAdmin: false, projects: [{ key: 'default', role: 'editor' }] },
      ]);

      const viewer = await login(EMAILS.viewer, PASSWORDS.viewer);
      const viewerMe = await request<{ role: string; orgAdmin: boolean }>('GET', '/api/v1/me', {
        auth: viewer,
      });
      expect(viewerMe.body).toMatchObject({ role: 'viewer', orgAdmin: false, project: 'default' });
      const viewerProjects = await request<{ items: { key: string; role: string }[] }>(
        'GET',
        '/api/v1/projects',
        {
          auth: viewer,
        },
      );
      expect(viewerProjects.body.items.map(({ key, role }) => ({ key, role }))).toEqual([
        { key: 'default', role: 'viewer' },
      ]);
      expect((await request('GET', '/api/v1/flags/new-checkout', { auth: viewer })).status).toBe(200);
      const write = await request('POST', '/api/v1/flags/new-checkout/environments/development/toggle', {
        auth: viewer,
        body: { enabled: false },
      });
      expect(write.status, write.text).toBe(403);

      const token = `Bearer ${old.apiToken}`;
      const tokenMe = await request('GET', '/api/v1/me', { auth: token });
      expect(tokenMe.body).toMatchObject({
        kind: 'token',
        name: 'ci',
        role: 'editor',
        orgAdmin: false,
        project: 'default',
      });
      const flags = await request<{ items: { key: string }[] }>('GET', '/api/v1/flags', { auth: token });
      expect(flags.status, flags.text).toBe(200);
      expect(flags.body.items.map(({ key }) => key)).toEqual(['new-checkout']);
      const toggled = await request<{ enabled: boolean; version: number }>(
        'POST',
        '/api/v1/flags/new-checkout/environments/development/toggle',
        { auth: token, body: { enabled: false } },
      );
      expect(toggled.status, toggled.text).toBe(200);
      expect(toggled.body).toMatchObject({ enabled: false, version: 3 });
      // The development revision goes on from the old one, and the change log with it.
      expect(
        await rows("select revision from change_log where environment = 'development' order by revision"),
      ).toEqual([{ revision: 1 }, { revision: 2 }, { revision: 3 }, { revision: 4 }]);
    });

    it('lists the pending change request, and the admin approves it', async () => {
      const admin = await login(EMAILS.admin, PASSWORDS.admin);
      const pending = await request<{
        items: { id: number; kind: string; flag: string; environment: string }[];
      }>('GET', '/api/v1/change-requests?state=pending', { auth: admin });
      expect(pending.status, pending.text).toBe(200);
      expect(pending.body.items).toHaveLength(1);
      expect(pending.body.items[0]).toMatchObject({
        kind: 'toggle',
        flag: 'new-checkout',
        environment: 'production',
        state: 'pending',
        author: { type: 'user', name: EMAILS.editor },
      });
      const approved = await request<{ state: string }>(
        'POST',
        `/api/v1/change-requests/${pending.body.items[0]!.id}/approve`,
        { auth: admin, body: { comment: 'fine' } },
      );
      expect(approved.status, approved.text).toBe(200);
      expect(approved.body.state).toBe('applied');

      const payload = await request<{ revision: number; flags: Record<string, { enabled: boolean }> }>(
        'GET',
        '/sdk/v1/flags',
        { auth: old.serverKey },
      );
      expect(payload.body.revision).toBe(4);
      expect(payload.body.flags['new-checkout']?.enabled).toBe(false);
    });

    it('keeps a new project private to its members, and the old events in the default project', async () => {
      const admin = await login(EMAILS.admin, PASSWORDS.admin);
      const created = await request('POST', '/api/v1/projects', {
        auth: admin,
        body: { key: 'payments', name: 'Payments' },
      });
      expect(created.status, created.text).toBe(201);

      const viewer = await login(EMAILS.viewer, PASSWORDS.viewer);
      expect((await request('GET', '/api/v1/projects/payments/flags', { auth: viewer })).status).toBe(404);
      expect((await request('GET', '/api/v1/projects/payments', { auth: viewer })).status).toBe(404);
      const token = `Bearer ${old.apiToken}`;
      expect((await request('GET', '/api/v1/projects/payments/flags', { auth: token })).status).toBe(404);

      const oldIds = old.events.map(({ id }) => id);
      const ids = async (path: string, auth: string) => {
        const page = await request<{ items: { id: number; project?: string }[]; nextCursor: string | null }>(
          'GET',
          path,
          { auth },
        );
        expect(page.status, page.text).toBe(200);
        expect(page.body.nextCursor).toBeNull();
        return page.body.items.map(({ id }) => id);
      };
      const defaultEvents = await ids('/api/v1/projects/default/audit?limit=500', admin);
      expect(defaultEvents).toEqual(expect.arrayContaining(oldIds));
      // So does the viewer, at the URL without a project.
      expect(await ids('/api/v1/audit?limit=500', viewer)).toEqual(defaultEvents);
      const paymentsEvents = await ids('/api/v1/projects/payments/audit?limit=500', admin);
      expect(paymentsEvents.length).toBeGreaterThan(0);
      expect(paymentsEvents.filter((id) => oldIds.includes(id))).toEqual([]);
      expect(defaultEvents.filter((id) => paymentsEvents.includes(id))).toEqual([]);
    });

    it('verifies the audit chain across the upgrade: every old event, its checkpoint and the new ones', async () => {
      const admin = await login(EMAILS.admin, PASSWORDS.admin);
      const [{ count }] = (await rows<{ count: number | string }>(
        'select count(*) as count from audit_events',
      )) as [{ count: number | string }];
      expect(Number(count)).toBeGreaterThan(old.events.length);
      const verified = await request<{
        ok: boolean;
        count: number;
        checkpoints: number;
        signedThrough: number;
      }>('GET', '/api/v1/audit/verify', { auth: admin });
      expect(verified.status, verified.text).toBe(200);
      expect(verified.body).toMatchObject({ ok: true, count: Number(count), checkpoints: 1 });
      expect(verified.body.signedThrough).toBe(old.events.length);
      // The new head is signed as extending the old release's checkpoint.
      const head = await request<{ eventId: number }>('GET', '/api/v1/audit/head', { auth: admin });
      expect(head.status, head.text).toBe(200);
      expect(head.body.eventId).toBe(Number(count));
      const again = await request('GET', '/api/v1/audit/verify', { auth: admin });
      expect(again.body).toMatchObject({ ok: true, checkpoints: 2, signedThrough: Number(count) });
      // The old events read back exactly as they were hashed (no project).
      const stored = await rows<{ id: number; hash: string; project: string | null }>(
        `select id, hash, project from audit_events where id <= ${old.events.length} order by id`,
      );
      expect(stored).toEqual(old.events.map(({ id, hash }) => ({ id, hash, project: null })));
    });

    it('answers the URLs without a project as the default project', async () => {
      const admin = await login(EMAILS.admin, PASSWORDS.admin);
      const token = `Bearer ${old.apiToken}`;
      for (const path of [
        '/flags',
        '/flags/new-checkout',
        '/flags/new-checkout/environments/production',
        '/segments',
        '/segments/beta-testers',
        '/environments',
        '/environments/production/sdk-keys',
        '/change-requests',
        '/api-tokens',
        '/me',
      ]) {
        for (const auth of [admin, token]) {
          const legacy = await request('GET', `/api/v1${path}`, { auth });
          const scoped = await request('GET', `/api/v1/projects/default${path}`, { auth });
          // The token (an editor) may not list API tokens: the same 403 on both.
          if (auth === admin || path !== '/api-tokens')
            expect(legacy.status, `${path}: ${legacy.text}`).toBe(200);
          expect(scoped.status, path).toBe(legacy.status);
          expect(scoped.body, path).toEqual(legacy.body);
        }
      }
    });
  },
);
