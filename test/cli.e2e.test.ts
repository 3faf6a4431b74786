/**
 * The pipeline CLI (`ringflag flags|release|changes|promote|export|plan|apply`) against the real
 * server: an in-process server on port 0 with a temporary database, and the CLI run as a child
 * process (`node server/bin/ringflag.mjs …`) with RINGFLAG_URL / RINGFLAG_TOKEN, as a pipeline runs it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bucketOf } from '@ringflag/sdk-node/engine';
import { type RunningServer, startServer } from '@ringflag/server';
import { adminRequest, loginAsAdmin } from '@ringflag/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres } from './support/postgres.js';
import { freePort } from './support/ringflag-process.js';

const BIN = fileURLToPath(new URL('../server/bin/ringflag.mjs', import.meta.url));
const ADMIN = { email: 'admin@example.com', password: 'cli-admin-password' };
const APPROVER = { email: 'approver@example.com', password: 'cli-approver-password' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let dir: string;
let adminJwt: string;
/** The pipeline's API token (editor role), created by the admin. */
let token: string;
/** A session of another user with the approver role: may approve what the pipeline proposes. */
let approverJwt: string;

/** Runs the CLI as a child process; asynchronously, so the in-process server keeps serving it. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, RINGFLAG_URL: server.url, RINGFLAG_TOKEN: token, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Fails with the CLI's output when the exit code is not the expected one. */
function expectExit(run: Run, code: number): Run {
  if (run.code !== code) {
    throw new Error(`expected exit ${code}, got ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return run;
}

async function api<T>(method: string, path: string, body?: unknown, as = adminJwt) {
  return adminRequest<T>(server.url, as, method, path, body);
}

interface Config {
  version: number;
  enabled: boolean;
  rules: unknown[];
  targets: unknown[];
  fallthrough: unknown;
  offVariation: string;
}

async function config(flag: string, env: string): Promise<Config> {
  const response = await api<Config>('GET', `/api/v1/flags/${flag}/environments/${env}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function createFlag(key: string, kind = 'boolean', extra: Record<string, unknown> = {}) {
  const response = await api('POST', '/api/v1/flags', { key, kind, ...extra });
  expect(response.status).toBe(201);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringflag-cli-'));
  server = await startServer({ db: join(dir, 'ringflag.db'), port: 0, admin: ADMIN });
  adminJwt = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  const created = await api<{ token: string }>('POST', '/api/v1/api-tokens', {
    name: 'pipeline',
    role: 'editor',
  });
  expect(created.status).toBe(201);
  token = created.body.token;
  const user = await api('POST', '/api/v1/users', { ...APPROVER, role: 'approver' });
  expect(user.status).toBe(201);
  approverJwt = await loginAsAdmin(server.url, APPROVER.email, APPROVER.password);
  expect((await api('POST', '/api/v1/segments', { key: 'staff', included: ['alice'] })).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('flags', { timeout: 90_000 }, () => {
  it('lists and gets flags, as text and as JSON', async () => {
    await createFlag('list-me', 'boolean', { name: 'List me', tags: ['cli'] });
    const text = expectExit(await cli(['flags', 'list']), 0);
    expect(text.stdout).toMatch(/^KEY\s+KIND\s+TAGS\s+NAME$/m);
    expect(text.stdout).toMatch(/^list-me\s+boolean\s+cli\s+List me$/m);

    const json = expectExit(await cli(['flags', 'list', '--json', '--tag', 'cli']), 0);
    const listed = JSON.parse(json.stdout) as { items: { key: string }[] };
    expect(listed.items.map((flag) => flag.key)).toEqual(['list-me']);

    const got = JSON.parse(expectExit(await cli(['flags', 'get', 'list-me', '--json']), 0).stdout) as {
      key: string;
      environments: Record<string, { enabled: boolean }>;
    };
    expect(got.key).toBe('list-me');
    expect(Object.keys(got.environments).sort()).toEqual(['development', 'production', 'staging']);

    const one = JSON.parse(
      expectExit(await cli(['flags', 'get', 'list-me', '--env', 'staging', '--json']), 0).stdout,
    ) as Config;
    expect(one).toMatchObject({ enabled: false, offVariation: 'off', fallthrough: { variation: 'on' } });
  });

  it('enables and disables a flag in an environment without approval', async () => {
    await createFlag('toggle-me');
    const on = expectExit(await cli(['flags', 'enable', 'toggle-me', '--env', 'staging']), 0);
    expect(on.stdout).toContain('toggle-me is on in staging');
    expect((await config('toggle-me', 'staging')).enabled).toBe(true);

    const off = expectExit(await cli(['flags', 'disable', 'toggle-me', '--env', 'staging', '--json']), 0);
    expect(JSON.parse(off.stdout)).toMatchObject({ status: 'applied', config: { enabled: false } });
    expect((await config('toggle-me', 'staging')).enabled).toBe(false);
  });

  it('sets a percentage rollout that evaluates by bucket and keeps its cohort when raised', async () => {
    await createFlag('rollout-me');
    expectExit(await cli(['flags', 'enable', 'rollout-me', '--env', 'development']), 0);
    const keys = Array.from({ length: 300 }, (_, i) => `user-${i}`);
    const variants = async () => {
      const out = new Map<string, string | null>();
      for (const key of keys) {
        const response = await api<{ results: Record<string, { variant: string | null }> }>(
          'POST',
          '/api/v1/environments/development/evaluate',
          { context: { key }, flags: ['rollout-me'] },
        );
        out.set(key, response.body.results['rollout-me']!.variant);
      }
      return out;
    };

    const ten = expectExit(
      await cli(['flags', 'set-rollout', 'rollout-me', '--env', 'development', '--percent', '10']),
      0,
    );
    expect(ten.stdout).toContain('10% get "on"');
    expect((await config('rollout-me', 'development')).fallthrough).toEqual({
      rollout: {
        salt: 'rollout-me',
        variations: [
          { variation: 'on', weight: 10_000 },
          { variation: 'off', weight: 90_000 },
        ],
      },
    });
    const atTen = await variants();
    for (const key of keys) {
      expect(atTen.get(key), key).toBe(bucketOf('rollout-me', key) < 10_000 ? 'on' : 'off');
    }

    expectExit(
      await cli(['flags', 'set-rollout', 'rollout-me', '--env', 'development', '--percent', '30']),
      0,
    );
    const atThirty = await variants();
    for (const key of keys) {
      expect(atThirty.get(key), key).toBe(bucketOf('rollout-me', key) < 30_000 ? 'on' : 'off');
      if (atTen.get(key) === 'on') expect(atThirty.get(key), `${key} keeps its cohort`).toBe('on');
    }
    const gained = keys.filter((key) => atThirty.get(key) === 'on' && atTen.get(key) === 'off');
    expect(gained.length).toBeGreaterThan(0);
  });

  it('turns a flag on in production through a change request that someone else approves', async () => {
    await createFlag('guarded-on');
    const production = await api<{ requireApproval: boolean }>('GET', '/api/v1/environments/production');
    expect(production.body.requireApproval).toBe(true);

    const proposed = expectExit(await cli(['flags', 'enable', 'guarded-on', '--env', 'production']), 0);
    const id = Number(/change request #(\d+) awaits approval/.exec(proposed.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    expect((await config('guarded-on', 'production')).enabled).toBe(false);

    const failing = await cli(['flags', 'enable', 'guarded-on', '--env', 'production', '--fail-on-pending']);
    expectExit(failing, 6);

    const listed = JSON.parse(
      expectExit(await cli(['changes', 'list', '--state', 'pending', '--flag', 'guarded-on', '--json']), 0)
        .stdout,
    ) as { items: { id: number; state: string }[] };
    expect(listed.items.map((request) => request.id)).toContain(id);

    const shown = expectExit(await cli(['changes', 'show', String(id)]), 0);
    expect(shown.stdout).toContain('  enabled: off → on');
    expect(shown.stdout).toContain('revision: 1\n');

    // The pipeline's token may not approve (editor role), nor may its author.
    expectExit(await cli(['changes', 'approve', String(id)]), 5);
    // A revision other than the request's (one its author changed since) is a conflict: exit 4.
    const stale = await cli(['changes', 'approve', String(id), '--revision', '2'], {
      RINGFLAG_TOKEN: approverJwt,
    });
    expectExit(stale, 4);
    expect(stale.stderr).toContain('changed since it was loaded');
    expect((await config('guarded-on', 'production')).enabled).toBe(false);
    const approved = expectExit(
      await cli(['changes', 'approve', String(id), '--comment', 'looks good'], {
        RINGFLAG_TOKEN: approverJwt,
      }),
      0,
    );
    expect(approved.stdout).toContain(`change request #${id}`);
    expect((await config('guarded-on', 'production')).enabled).toBe(true);

    // The kill switch stays immediate, approval or not.
    expectExit(await cli(['flags', 'disable', 'guarded-on', '--env', 'production']), 0);
    expect((await config('guarded-on', 'production')).enabled).toBe(false);

    // The second enable went into the first request, so nothing else is pending; rejecting works too.
    const others = JSON.parse(
      expectExit(await cli(['changes', 'list', '--state', 'pending', '--flag', 'guarded-on', '--json']), 0)
        .stdout,
    ) as { items: { id: number }[] };
    for (const other of others.items) {
      expectExit(await cli(['changes', 'reject', String(other.id)], { RINGFLAG_TOKEN: approverJwt }), 0);
    }
  });
});

describe('promote', { timeout: 90_000 }, () => {
  it('copies targeting from staging to production as a change request, keeping production off', async () => {
    await createFlag('promote-me');
    const staging = await config('promote-me', 'staging');
    const put = await api('PUT', '/api/v1/flags/promote-me/environments/staging', {
      enabled: true,
      offVariation: 'off',
      targets: [{ variation: 'on', keys: ['bob'] }],
      rules: [{ id: 'staff', clauses: [{ op: 'inSegment', values: ['staff'] }], serve: { variation: 'on' } }],
      fallthrough: { variation: 'off' },
      version: staging.version,
    });
    expect(put.status).toBe(200);

    const first = expectExit(
      await cli(['promote', 'promote-me', '--from', 'staging', '--to', 'production']),
      0,
    );
    const requireApproval = (
      await api<{ requireApproval: boolean }>('GET', '/api/v1/environments/production')
    ).body.requireApproval;
    if (requireApproval) {
      const id = Number(/change request #(\d+) awaits approval/.exec(first.stdout)?.[1]);
      expect(id).toBeGreaterThan(0);
      // Run again: the open request already proposes it, so no second one is filed.
      const again = expectExit(
        await cli(['promote', 'promote-me', '--from', 'staging', '--to', 'production', '--fail-on-pending']),
        6,
      );
      expect(again.stdout).toContain(`change request #${id}`);
      const pending = await api<{ items: unknown[] }>(
        'GET',
        '/api/v1/change-requests?state=pending&flag=promote-me&environment=production',
      );
      expect(pending.body.items).toHaveLength(1);
      expectExit(await cli(['changes', 'approve', String(id)], { RINGFLAG_TOKEN: approverJwt }), 0);
    } else {
      expect(first.stdout).toContain('applied');
    }
    const production = await config('promote-me', 'production');
    const source = await config('promote-me', 'staging');
    expect(production.rules).toEqual(source.rules);
    expect(production.targets).toEqual(source.targets);
    expect(production.fallthrough).toEqual(source.fallthrough);
    expect(production.enabled).toBe(false);

    const noop = expectExit(
      await cli(['promote', 'promote-me', '--from', 'staging', '--to', 'production']),
      0,
    );
    expect(noop.stdout).toContain('nothing to do');
  });
});

describe('flags as code', { timeout: 90_000 }, () => {
  it('exports, plans no change, plans and applies an edit, and applies idempotently', async () => {
    await createFlag('as-code', 'boolean', { name: 'As code' });
    const exported = expectExit(await cli(['export']), 0);
    const file = JSON.parse(exported.stdout) as {
      version: number;
      segments: { key: string }[];
      flags: { key: string; name: string; environments: Record<string, Config> }[];
    };
    expect(file.version).toBe(1);
    expect(file.segments.map((segment) => segment.key)).toContain('staff');
    expect(file.flags.map((flag) => flag.key)).toContain('as-code');
    const path = join(dir, 'flags.json');
    writeFileSync(path, exported.stdout);

    const clean = expectExit(await cli(['plan', 'flags.json', '--detailed-exitcode']), 0);
    expect(clean.stdout).toContain('No changes');

    // Edit: a new segment, a renamed flag, a staging rollout, a production rule, and a new flag.
    const edited = JSON.parse(readFileSync(path, 'utf8')) as typeof file & {
      segments: Record<string, unknown>[];
      flags: Record<string, unknown>[];
    };
    edited.segments.push({ key: 'beta', name: 'Beta', included: ['carol'] });
    const flag = edited.flags.find((entry) => entry.key === 'as-code') as (typeof file.flags)[number];
    flag.name = 'As code, renamed';
    flag.environments.staging!.enabled = true;
    flag.environments.staging!.fallthrough = {
      rollout: {
        salt: 'as-code',
        variations: [
          { variation: 'on', weight: 25_000 },
          { variation: 'off', weight: 75_000 },
        ],
      },
    };
    flag.environments.production!.rules = [
      { id: 'beta', clauses: [{ op: 'inSegment', values: ['beta'] }], serve: { variation: 'on' } },
    ];
    edited.flags.push({
      key: 'as-code-color',
      kind: 'string',
      variations: [
        { id: 'blue', value: 'blue' },
        { id: 'green', value: 'green' },
      ],
      environments: {
        development: { enabled: true, offVariation: 'blue', fallthrough: { variation: 'green' } },
      },
    });
    writeFileSync(path, JSON.stringify(edited, null, 2));

    const plan = expectExit(await cli(['plan', 'flags.json', '--detailed-exitcode']), 2);
    expect(plan.stdout).toMatch(/\+ beta\s+create/);
    expect(plan.stdout).toMatch(/~ as-code\s+update/);
    expect(plan.stdout).toContain('~ name: "As code" → "As code, renamed"');
    expect(plan.stdout).toMatch(/~ staging: update\n\s+~ enabled: false → true\n\s+~ fallthrough:/);
    expect(plan.stdout).toMatch(/~ production: update \(needs approval\)\n\s+\+ rules\[id=beta\]/);
    expect(plan.stdout).toMatch(/= development: unchanged/);
    expect(plan.stdout).toMatch(/\+ as-code-color\s+create \(string\)/);
    expect(plan.stdout).toContain('Plan: 3 to create, 3 to update');
    const planJson = JSON.parse(expectExit(await cli(['plan', 'flags.json', '--json']), 0).stdout) as {
      hasChanges: boolean;
      summary: { create: number; update: number };
    };
    expect(planJson).toMatchObject({ hasChanges: true, summary: { create: 3, update: 3 } });

    const applied = expectExit(await cli(['apply', 'flags.json']), 0);
    expect(applied.stdout).toContain('segment beta: created');
    expect(applied.stdout).toContain('flag as-code: updated');
    expect(applied.stdout).toContain('flag as-code-color: created');
    expect(applied.stdout).toMatch(/as-code in staging: updated \(version \d+\)/);
    expect(applied.stdout).toMatch(/as-code in production: change request #\d+ awaits approval/);

    expect((await api<{ name: string }>('GET', '/api/v1/flags/as-code')).body.name).toBe('As code, renamed');
    const staging = await config('as-code', 'staging');
    expect(staging.enabled).toBe(true);
    expect(staging.fallthrough).toEqual(flag.environments.staging!.fallthrough);
    expect((await config('as-code-color', 'development')).enabled).toBe(true);
    expect((await config('as-code', 'production')).rules).toEqual([]);

    const again = expectExit(await cli(['apply', 'flags.json']), 0);
    expect(again.stdout).toContain('No changes: the server already matches flags.json');
    expect(again.stdout).toContain('1 change(s) still await approval');
    expectExit(await cli(['apply', 'flags.json', '--fail-on-pending']), 6);
    const stillOne = await api<{ items: unknown[] }>(
      'GET',
      '/api/v1/change-requests?state=pending&flag=as-code&environment=production',
    );
    expect(stillOne.body.items).toHaveLength(1);

    const againJson = JSON.parse(expectExit(await cli(['apply', 'flags.json', '--json']), 0).stdout) as {
      changed: boolean;
    };
    expect(againJson.changed).toBe(false);
  });

  it('refuses an invalid file with the field paths (exit 2)', async () => {
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({
        version: 1,
        flags: [{ key: 'x', kind: 'boolean', environments: { staging: { enabled: 'yes' } } }],
      }),
    );
    const run = expectExit(await cli(['plan', 'bad.json']), 2);
    expect(run.stderr).toContain('flags[0].environments.staging.enabled');

    writeFileSync(
      join(dir, 'unknown-env.json'),
      JSON.stringify({
        version: 1,
        flags: [
          {
            key: 'x',
            kind: 'boolean',
            environments: { moon: { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } } },
          },
        ],
      }),
    );
    const unknown = expectExit(await cli(['apply', 'unknown-env.json']), 2);
    expect(unknown.stderr).toContain('flags[0].environments.moon: no environment "moon"');
  });
});

describe('release', { timeout: 90_000 }, () => {
  it('starts, shows, advances, pauses, resumes and rolls back a plan', async () => {
    await createFlag('release-me');
    const started = expectExit(
      await cli([
        'release',
        'start',
        'release-me',
        '--env',
        'staging',
        '--variation',
        'on',
        '--stages',
        'staff:segment=staff,5:hold=60,50:approval,100',
        '--guard-event',
        'checkout-error',
        '--guard-max-percent',
        '5',
        '--guard-min-exposures',
        '200',
      ]),
      0,
    );
    expect(started.stdout).toMatch(/>\s+1\s+staff\s+segments staff/);

    const status = JSON.parse(
      expectExit(await cli(['release', 'status', 'release-me', '--env', 'staging', '--json']), 0).stdout,
    ) as { state: string; currentStage: number; stages: unknown[]; guard: unknown };
    expect(status).toMatchObject({
      state: 'running',
      currentStage: 0,
      guard: { event: 'checkout-error', maxRate: 0.05, minExposures: 200 },
    });
    expect(status.stages).toEqual([
      { name: 'staff', segments: ['staff'], percentage: 0 },
      { name: '5%', percentage: 5, holdMinutes: 60 },
      { name: '50%', percentage: 50, approval: true },
      { name: '100%', percentage: 100 },
    ]);

    // One active plan per flag and environment: 409 → exit 4.
    expectExit(await cli(['release', 'start', 'release-me', '--env', 'staging', '--variation', 'on']), 4);

    const advanced = expectExit(await cli(['release', 'advance', 'release-me', '--env', 'staging']), 0);
    expect(advanced.stdout).toMatch(/>\s+2\s+5%/);
    // The next ring needs an approval first.
    const gated = expectExit(await cli(['release', 'advance', 'release-me', '--env', 'staging']), 4);
    expect(gated.stderr).toContain('approval');

    expectExit(await cli(['release', 'pause', 'release-me', '--env', 'staging']), 0);
    const paused = JSON.parse(
      expectExit(await cli(['release', 'status', 'release-me', '--env', 'staging', '--json']), 0).stdout,
    ) as { state: string };
    expect(paused.state).toBe('paused');
    expectExit(await cli(['release', 'resume', 'release-me', '--env', 'staging']), 0);

    const rolled = expectExit(
      await cli(['release', 'rollback', 'release-me', '--env', 'staging', '--json']),
      0,
    );
    expect(JSON.parse(rolled.stdout)).toMatchObject({ state: 'rolled_back' });

    expectExit(await cli(['release', 'status', 'nope', '--env', 'staging']), 3);
  });
});

describe('exit codes', { timeout: 90_000 }, () => {
  it('5 for a bad token, with the JSON error on stderr under --json', async () => {
    const run = expectExit(
      await cli(['flags', 'list', '--json'], { RINGFLAG_TOKEN: 'rf_api_not-a-token' }),
      5,
    );
    expect(run.stdout).toBe('');
    expect(JSON.parse(run.stderr)).toMatchObject({ error: { exitCode: 5, status: 401 } });
    expectExit(await cli(['flags', 'list'], { RINGFLAG_TOKEN: '' }), 5);
  });

  it('3 for an unknown flag, with the server detail', async () => {
    const run = expectExit(await cli(['flags', 'get', 'no-such-flag']), 3);
    expect(run.stderr).toContain('No flag "no-such-flag"');
  });

  it('2 for bad input, locally and from the server with field paths', async () => {
    expectExit(await cli(['flags', 'set-rollout', 'list-me', '--env', 'staging', '--percent', '150']), 2);
    expectExit(await cli(['flags', 'enable', 'list-me']), 2);
    expectExit(await cli(['flags', 'frobnicate']), 2);
    expectExit(await cli(['flags', 'list', '--no-such-option']), 2);
    const server400 = expectExit(await cli(['flags', 'enable', 'list-me', '--env', 'Not_An_Env!']), 2);
    expect(server400.stderr).toContain('params.env');
  });

  it('7 when the server is unreachable', async () => {
    const port = await freePort();
    const run = expectExit(await cli(['flags', 'list'], { RINGFLAG_URL: `http://127.0.0.1:${port}` }), 7);
    expect(run.stderr).toContain('cannot reach');
  });

  it('documents the exit codes in --help, and keeps the local commands', async () => {
    const help = expectExit(await cli(['--help']), 0);
    for (const line of [
      'serve',
      'user add',
      'keys create',
      'flags set-rollout',
      'promote KEY',
      'Exit codes',
    ]) {
      expect(help.stdout).toContain(line);
    }
    expect(help.stdout).toMatch(/7\s+server unreachable/);
  });
});

describe('local commands', { timeout: 120_000 }, () => {
  /** Runs a local command on the database `db`, as someone at the server's machine does. */
  const local = (args: string[], db: string) => cli(args, { RINGFLAG_DB: db, RINGFLAG_LOG_LEVEL: 'silent' });

  it('name the SQLite file they use and create none unless given --create', async () => {
    const file = join(dir, 'elsewhere', 'ringflag.db');
    const refused = expectExit(await local(['keys', 'create', '--env', 'development'], file), 2);
    expect(refused.stderr).toContain(`ringflag: database ${file}`);
    expect(refused.stderr).toContain(`there is no Ringflag database at ${file}`);
    expect(refused.stderr).toContain('--create');
    expect(refused.stdout).toBe('');
    expect(existsSync(join(dir, 'elsewhere'))).toBe(false);

    const created = expectExit(await local(['keys', 'create', '--env', 'development', '--create'], file), 0);
    expect(created.stdout).toMatch(/^rf_srv_\S+\n$/);
    expect(created.stderr).toContain(`ringflag: database ${file}`);
    expect(created.stderr).toContain('Created the first admin');
    expect(existsSync(file)).toBe(true);

    // Once it exists, no --create is needed; the key alone is on stdout, for a script to capture.
    const again = expectExit(
      await local(['keys', 'create', '--env', 'development', '--type', 'client'], file),
      0,
    );
    expect(again.stdout).toMatch(/^rf_cli_\S+\n$/);
  });

  it.skipIf(!postgresAvailable())(
    'name a PostgreSQL database without its password, and migrate an empty one only with --create',
    async () => {
      const postgres = await startPostgres();
      try {
        // Trust authentication ignores the password; the CLI must still never print it.
        const url = (await postgres.createDatabase('cli_local')).replace('postgres@', 'postgres:hunter2@');
        const shown = `postgres://postgres:***@127.0.0.1:${postgres.port}/cli_local`;
        const refused = expectExit(await local(['migrate'], url), 2);
        expect(refused.stderr).toContain(`ringflag: database ${shown}`);
        expect(refused.stderr).toContain(`there is no Ringflag database at ${shown}`);
        expect(refused.stderr).not.toContain('hunter2');

        const migrated = expectExit(await local(['migrate', '--create'], url), 0);
        expect(migrated.stdout).toBe(`Migrated ${shown}\n`);
        expect(expectExit(await local(['migrate'], url), 0).stderr).not.toContain('hunter2');
      } finally {
        await postgres.destroy();
      }
    },
  );
});
