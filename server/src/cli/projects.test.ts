/**
 * The remote commands in projects, against a real server on a socket: `--project` sends every
 * request to that project, flags as code exports, plans and applies one project without touching
 * another, a flags file that names another project is refused, and an unknown project is an error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server.js';
import { type CliRun, runCli } from '../test-support/run-cli.js';
import { ADMIN } from '../test-support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../test-support/test-database.js';
import { ANY_VERSION, adminRequest, loginAsAdmin } from '../testing.js';
import type { FlagsFile } from './flags-file.js';
import type { RemoteEnv } from './index.js';
import type { FlagConfig, ProjectView } from './wire.js';

let database: TestDatabase;
let server: RunningServer;
/** A session of the first admin (an organisation admin: admin in every project). */
let adminJwt: string;

/** Fails with the CLI's output when the exit code is not the expected one. */
function expectExit(run: CliRun, code: number): CliRun {
  if (run.code !== code) {
    throw new Error(`expected exit ${code}, got ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return run;
}

/** Runs the CLI against the server as the admin (or `token`), with `env` added to its environment. */
const cli = (argv: string[], { token = adminJwt, env = {} }: { token?: string; env?: RemoteEnv } = {}) =>
  runCli(argv, { url: server.url, token, env });

async function api<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const response = await adminRequest<T>(server.url, adminJwt, method, path, body, headers);
  if (response.status >= 300) {
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/** A boolean flag switched on in development, serving `on` there. */
async function seedFlag(prefix: string, key: string, name: string): Promise<void> {
  await api('POST', `${prefix}/flags`, { key, name, kind: 'boolean' });
  await api(
    'PUT',
    `${prefix}/flags/${key}/environments/development`,
    { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } },
    ANY_VERSION,
  );
}

/** `ringflag export` of a project, parsed. */
async function exported(...options: string[]): Promise<FlagsFile> {
  return JSON.parse(expectExit(await cli(['export', ...options]), 0).stdout) as FlagsFile;
}

/** Writes a flags file into the test's folder and returns its path. */
function fileOf(name: string, file: FlagsFile): string {
  const path = join(database.dir, name);
  writeFileSync(path, JSON.stringify(file, null, 2));
  return path;
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer({
    db: database.location,
    auditKeyFile: join(database.dir, 'audit-signing.pem'),
    admin: ADMIN,
    logLevel: 'silent',
    print: () => {},
  });
  adminJwt = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  // The same flag key in both projects, and one flag and one segment of each project's own.
  await seedFlag('/api/v1', 'shared', 'Shared in default');
  await seedFlag('/api/v1', 'default-only', 'Default only');
  await api('POST', '/api/v1/segments', { key: 'staff', name: 'Staff', included: ['alice'] });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await database?.drop();
});

describe('remote commands in a project', { timeout: 60_000 }, () => {
  it('create and list projects (organisation commands, which take no --project)', async () => {
    const created = expectExit(await cli(['projects', 'create', 'payments', '--name', 'Payments']), 0);
    expect(created.stdout).toBe('created project payments (Payments); act in it with --project payments\n');
    await seedFlag('/api/v1/projects/payments', 'shared', 'Shared in payments');
    await seedFlag('/api/v1/projects/payments', 'pay-only', 'Payments only');

    const listed = JSON.parse(expectExit(await cli(['projects', 'list', '--json']), 0).stdout) as {
      items: ProjectView[];
    };
    expect(listed.items.map((project) => [project.key, project.role])).toEqual([
      ['default', 'admin'],
      ['payments', 'admin'],
    ]);
    // RINGFLAG_PROJECT does not narrow the list; --project is refused there as an unknown option.
    const withEnv = expectExit(await cli(['projects', 'list'], { env: { RINGFLAG_PROJECT: 'payments' } }), 0);
    expect(withEnv.stdout).toMatch(/^default\s+admin\s+Default/m);
    expect(withEnv.stdout).toMatch(/^payments\s+admin\s+Payments$/m);
    expectExit(await cli(['projects', 'list', '--project', 'payments']), 2);
    const taken = expectExit(await cli(['projects', 'create', 'payments', '--name', 'Again']), 4);
    expect(taken.stderr).toContain('A project "payments" exists');
    expectExit(await cli(['projects', 'create', 'no-name']), 2);
  });

  it('act in the project --project or RINGFLAG_PROJECT names, default otherwise', async () => {
    const keys = async (run: Promise<CliRun>) =>
      (JSON.parse(expectExit(await run, 0).stdout) as { items: { key: string }[] }).items.map((f) => f.key);
    expect(await keys(cli(['flags', 'list', '--json']))).toEqual(['default-only', 'shared']);
    expect(await keys(cli(['flags', 'list', '--json', '--project', 'payments']))).toEqual([
      'pay-only',
      'shared',
    ]);
    expect(await keys(cli(['flags', 'list', '--json'], { env: { RINGFLAG_PROJECT: 'payments' } }))).toEqual([
      'pay-only',
      'shared',
    ]);
    // --project wins over the environment.
    expect(
      await keys(
        cli(['flags', 'list', '--json', '--project', 'default'], { env: { RINGFLAG_PROJECT: 'payments' } }),
      ),
    ).toEqual(['default-only', 'shared']);

    // A write goes to its project only.
    expectExit(await cli(['flags', 'disable', 'shared', '--env', 'development', '--project', 'payments']), 0);
    const inPayments = await api<FlagConfig>(
      'GET',
      '/api/v1/projects/payments/flags/shared/environments/development',
    );
    const inDefault = await api<FlagConfig>('GET', '/api/v1/flags/shared/environments/development');
    expect([inPayments.enabled, inDefault.enabled]).toEqual([false, true]);
    expectExit(await cli(['flags', 'enable', 'shared', '--env', 'development', '--project', 'payments']), 0);
  });

  it('refuse an unknown project with the server detail, and a malformed one', async () => {
    const unknown = expectExit(await cli(['flags', 'list', '--project', 'nope']), 3);
    expect(unknown.stderr).toBe('ringflag flags list: Not found: No project "nope"\n');
    const fromEnv = expectExit(await cli(['export'], { env: { RINGFLAG_PROJECT: 'nope' } }), 3);
    expect(fromEnv.stdout).toBe('');
    expect(fromEnv.stderr).toContain('No project "nope"');
    const malformed = expectExit(await cli(['flags', 'list', '--project', 'Not/A/Key']), 2);
    expect(malformed.stderr).toContain('--project must be a project key');
    const badEnv = expectExit(await cli(['flags', 'list'], { env: { RINGFLAG_PROJECT: 'A B' } }), 2);
    expect(badEnv.stderr).toContain('RINGFLAG_PROJECT must be a project key');
  });

  it('let an API token act in its own project only', async () => {
    const { token } = await api<{ token: string }>('POST', '/api/v1/projects/payments/api-tokens', {
      name: 'payments pipeline',
      role: 'editor',
    });
    expectExit(await cli(['flags', 'get', 'pay-only', '--project', 'payments'], { token }), 0);
    const elsewhere = expectExit(await cli(['flags', 'get', 'shared'], { token }), 3);
    expect(elsewhere.stderr).toContain('No project "default"');
    const listed = expectExit(await cli(['projects', 'list'], { token }), 0);
    expect(listed.stdout).toMatch(/^payments\s+editor\s+Payments$/m);
    expect(listed.stdout).not.toContain('default');
    expectExit(await cli(['projects', 'create', 'by-token', '--name', 'By token'], { token }), 5);

    // An organisation admin's admin token of the default project manages the organisation too, but
    // acts in its own project only.
    const admin = await api<{ token: string }>('POST', '/api/v1/api-tokens', { name: 'org', role: 'admin' });
    expectExit(
      await cli(['projects', 'create', 'by-token', '--name', 'By token'], { token: admin.token }),
      0,
    );
    expectExit(await cli(['flags', 'get', 'shared'], { token: admin.token }), 0);
    expectExit(await cli(['flags', 'get', 'pay-only', '--project', 'payments'], { token: admin.token }), 3);
  });

  it('export, plan and apply one project, leaving the other untouched', async () => {
    const defaultBefore = await exported();
    expect(defaultBefore.project).toBe('default');
    expect(defaultBefore.flags.map((flag) => flag.key)).toEqual(['default-only', 'shared']);
    expect(defaultBefore.segments.map((segment) => segment.key)).toEqual(['staff']);

    const payments = await exported('--project', 'payments');
    expect(payments.project).toBe('payments');
    expect(payments.flags.map((flag) => [flag.key, flag.name])).toEqual([
      ['pay-only', 'Payments only'],
      ['shared', 'Shared in payments'],
    ]);
    expect(payments.segments).toEqual([]);

    // The payments file: rename `shared`, switch it off in staging, add a flag and a segment.
    const edited: FlagsFile = {
      ...payments,
      segments: [{ key: 'merchants', name: 'Merchants', included: ['m-1'] }],
      flags: [
        ...payments.flags.map((flag) =>
          flag.key === 'shared'
            ? {
                ...flag,
                name: 'Shared, renamed in payments',
                environments: {
                  ...flag.environments,
                  staging: { ...flag.environments.staging!, enabled: false },
                },
              }
            : flag,
        ),
        {
          key: 'pay-new',
          kind: 'boolean',
          environments: {
            development: {
              enabled: true,
              offVariation: 'off',
              prerequisites: [],
              targets: [],
              rules: [],
              fallthrough: { variation: 'on' },
            },
          },
        },
      ],
    };
    const file = fileOf('payments.json', edited);
    const plan = expectExit(
      await cli(['plan', file, '--detailed-exitcode'], { env: { RINGFLAG_PROJECT: 'payments' } }),
      2,
    );
    expect(plan.stdout).toContain('Shared, renamed in payments');
    const applied = expectExit(await cli(['apply', file, '--project', 'payments']), 0);
    expect(applied.stdout).toContain('pay-new: created');
    expect(applied.stdout).toContain('segment merchants: created');

    const after = await exported('--project', 'payments');
    expect(after.flags.map((flag) => [flag.key, flag.name])).toEqual([
      ['pay-new', 'pay-new'],
      ['pay-only', 'Payments only'],
      ['shared', 'Shared, renamed in payments'],
    ]);
    expect(after.segments.map((segment) => segment.key)).toEqual(['merchants']);
    expect(await exported()).toEqual(defaultBefore);
    const again = expectExit(await cli(['apply', file, '--project', 'payments']), 0);
    expect(again.stdout).toBe(`No changes: the server already matches ${file}.\n`);

    // And the other way round: the default project's file changes the default project only.
    const defaultFile = fileOf('default.json', {
      ...defaultBefore,
      flags: defaultBefore.flags.map((flag) =>
        flag.key === 'shared' ? { ...flag, name: 'Shared, renamed in default' } : flag,
      ),
    });
    expectExit(await cli(['apply', defaultFile]), 0);
    expect((await exported()).flags.find((flag) => flag.key === 'shared')?.name).toBe(
      'Shared, renamed in default',
    );
    expect(await exported('--project', 'payments')).toEqual(after);
  });

  it('refuse a flags file that names another project (exit 2), writing nothing', async () => {
    const payments = await exported('--project', 'payments');
    const defaults = await exported();
    const file = fileOf('renamed.json', {
      ...payments,
      flags: payments.flags.map((flag) => ({ ...flag, name: `${flag.name}!` })),
    });
    for (const run of [
      await cli(['apply', file]),
      await cli(['plan', file, '--project', 'default']),
      await cli(['apply', file], { env: { RINGFLAG_PROJECT: 'default' } }),
    ]) {
      expectExit(run, 2);
      expect(run.stderr).toContain(
        `${file} is for project "payments", but this run acts in project "default": pass --project payments`,
      );
      expect(run.stderr).toContain('  project: is "payments", not "default"');
    }
    const json = expectExit(await cli(['apply', file, '--json']), 2);
    expect(JSON.parse(json.stderr)).toMatchObject({
      error: { exitCode: 2, errors: [{ path: 'project', message: 'is "payments", not "default"' }] },
    });
    expect(await exported()).toEqual(defaults);
    expect(await exported('--project', 'payments')).toEqual(payments);

    // A file without a project applies wherever --project points.
    const { project: _, ...anywhere } = payments;
    const unnamed = fileOf('unnamed.json', anywhere);
    const planned = expectExit(
      await cli(['plan', unnamed, '--project', 'payments', '--detailed-exitcode']),
      0,
    );
    expect(planned.stdout).toContain('No changes');
    const malformed = fileOf('malformed.json', { ...payments, project: 'Not A Key' });
    const refused = expectExit(await cli(['plan', malformed, '--project', 'payments']), 2);
    expect(refused.stderr).toContain('  project: must be a project key');
  });
});
