import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';
import { projectPath } from './api-client.js';
import { REMOTE_GROUPS } from './groups.js';
import { REMOTE_COMMANDS, type RemoteEnv, runRemote } from './index.js';

/** A fake server speaking the admin API's contract: one canned answer per `METHOD path`. */
function fakeFetch(routes: Record<string, { status: number; body?: unknown; etag?: string }>): {
  fetch: typeof fetch;
  calls: { method: string; url: string; body: unknown; headers: Headers }[];
} {
  const calls: { method: string; url: string; body: unknown; headers: Headers }[] = [];
  const fetchFn = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    calls.push({
      method,
      url: url.pathname + url.search,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      headers: new Headers(init?.headers),
    });
    const route = routes[`${method} ${url.pathname}`];
    if (!route) {
      return new Response(
        JSON.stringify({ title: 'Not found', status: 404, detail: 'No route', errors: [] }),
        {
          status: 404,
        },
      );
    }
    return new Response(route.body === undefined ? null : JSON.stringify(route.body), {
      status: route.status,
      headers: route.etag ? { etag: route.etag } : {},
    });
  }) as typeof fetch;
  return { fetch: fetchFn, calls };
}

async function run(argv: string[], routes: Parameters<typeof fakeFetch>[0], env: RemoteEnv = {}) {
  const fake = fakeFetch(routes);
  return { ...(await runCli(argv, { fetch: fake.fetch, env })), calls: fake.calls };
}

const CHANGE_REQUEST = {
  id: 9,
  state: 'pending',
  flag: 'checkout',
  environment: 'production',
  kind: 'toggle',
  applyAt: null,
  author: { type: 'token', id: 1, name: 'pipeline' },
  comment: 'ship it',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('runRemote', () => {
  it('routes every command group from cli.ts', () => {
    expect(new Set(REMOTE_COMMANDS.map((spec) => spec.words[0]))).toEqual(REMOTE_GROUPS);
  });

  it('reports a 202 as a pending change request; exit 6 only with --fail-on-pending', async () => {
    const routes = {
      'POST /api/v1/projects/default/flags/checkout/environments/production/toggle': {
        status: 202,
        body: CHANGE_REQUEST,
      },
    };
    const plain = await run(['flags', 'enable', 'checkout', '--env', 'production'], routes);
    expect(plain).toMatchObject({
      code: 0,
      stdout: 'checkout in production: change request #9 awaits approval\n',
    });
    expect(plain.calls[0]!.headers.get('authorization')).toBe('Bearer rf_api_test');
    expect(plain.calls[0]!.body).toEqual({ enabled: true });
    const failing = await run(
      ['flags', 'enable', 'checkout', '--env', 'production', '--fail-on-pending'],
      routes,
    );
    expect(failing.code).toBe(6);
  });

  it('maps a 412 to exit 4 and prints the problem detail and field paths', async () => {
    const result = await run(['changes', 'approve', '9', '--comment', 'ok', '--revision', '3'], {
      'POST /api/v1/projects/default/change-requests/9/approve': {
        status: 412,
        body: {
          title: 'Precondition failed',
          status: 412,
          detail: 'The config moved',
          errors: [{ path: 'version', message: 'is 8' }],
        },
      },
    });
    expect(result.code).toBe(4);
    expect(result.calls.map((call) => call.method)).toEqual(['POST']);
    expect(result.calls[0]!.body).toEqual({ comment: 'ok', revision: 3 });
    expect(result.stderr).toBe(
      'ringflag changes approve: Precondition failed: The config moved\n  version: is 8\n',
    );
  });

  it('approves the revision it fetched, and prints it', async () => {
    const routes = {
      'GET /api/v1/projects/default/change-requests/9': {
        status: 200,
        body: { ...CHANGE_REQUEST, revision: 4 },
      },
      'POST /api/v1/projects/default/change-requests/9/approve': {
        status: 200,
        body: { ...CHANGE_REQUEST, state: 'applied', revision: 4 },
      },
    };
    const result = await run(['changes', 'reject', '9'], {
      ...routes,
      'POST /api/v1/projects/default/change-requests/9/reject': {
        status: 200,
        body: { ...CHANGE_REQUEST, revision: 4 },
      },
    });
    expect(result.code).toBe(0);
    expect(result.calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'GET /api/v1/projects/default/change-requests/9',
      'POST /api/v1/projects/default/change-requests/9/reject',
    ]);
    expect(result.calls[1]!.body).toEqual({ revision: 4 });
    expect(result.stdout).toContain('revision: 4\n');
    const approved = await run(['changes', 'approve', '9'], routes);
    expect(approved.calls[1]!.body).toEqual({ revision: 4 });
    const bad = await run(['changes', 'approve', '9', '--revision', '0'], routes);
    expect(bad.code).toBe(2);
    expect(bad.calls).toEqual([]);
  });

  it('sends the release plan the API takes and prints the rings', async () => {
    const plan = {
      id: 1,
      flag: 'checkout',
      environment: 'production',
      variation: 'on',
      state: 'running',
      stages: [
        { name: 'staff', segments: ['staff'], percentage: 0, holdMinutes: 60 },
        { name: 'everyone', percentage: 100 },
      ],
      currentStage: 0,
      stageStartedAt: '2026-01-01T00:00:00.000Z',
      nextAdvanceAt: '2026-01-01T01:00:00.000Z',
      guard: null,
      approvals: [],
      incident: null,
    };
    const result = await run(
      [
        'release',
        'start',
        'checkout',
        '--env',
        'production',
        '--variation',
        'on',
        '--stages',
        'staff:segment=staff:hold=60,everyone:percent=100',
      ],
      {
        'POST /api/v1/projects/default/flags/checkout/environments/production/release': {
          status: 201,
          body: plan,
        },
      },
    );
    expect(result.code).toBe(0);
    expect(result.calls[0]!.body).toEqual({ variation: 'on', stages: plan.stages });
    expect(result.stdout).toContain('next advance: 2026-01-01T01:00:00.000Z');
    expect(result.stdout).toMatch(/>\s+1\s+staff\s+segments staff\s+60m/);
  });

  it('lists change requests with the filters the API takes, as JSON', async () => {
    const result = await run(['changes', 'list', '--state', 'pending', '--env', 'production', '--json'], {
      'GET /api/v1/projects/default/change-requests': { status: 200, body: { items: [CHANGE_REQUEST] } },
    });
    expect(result.code).toBe(0);
    expect(result.calls[0]!.url).toBe(
      '/api/v1/projects/default/change-requests?state=pending&environment=production',
    );
    expect(JSON.parse(result.stdout)).toEqual({ items: [CHANGE_REQUEST] });
  });

  it('sends project-scoped requests to the project of --project, else RINGFLAG_PROJECT, else default', async () => {
    const list = { status: 200, body: { items: [], nextCursor: null } };
    const routes = {
      'GET /api/v1/projects/default/flags': list,
      'GET /api/v1/projects/payments/flags': list,
      'GET /api/v1/projects/ops/flags': list,
    };
    const urls = async (argv: string[], env = {}) =>
      (await run(argv, routes, env)).calls.map((call) => call.url.split('?')[0]);
    expect(await urls(['flags', 'list'])).toEqual(['/api/v1/projects/default/flags']);
    expect(await urls(['flags', 'list', '--project', 'payments'])).toEqual([
      '/api/v1/projects/payments/flags',
    ]);
    expect(await urls(['flags', 'list'], { RINGFLAG_PROJECT: 'ops' })).toEqual([
      '/api/v1/projects/ops/flags',
    ]);
    expect(await urls(['flags', 'list', '--project', 'payments'], { RINGFLAG_PROJECT: 'ops' })).toEqual([
      '/api/v1/projects/payments/flags',
    ]);
    // A malformed key is refused before any request.
    const malformed = await run(['flags', 'list', '--project', '../users'], routes);
    expect(malformed.code).toBe(2);
    expect(malformed.calls).toEqual([]);
    expect(malformed.stderr).toContain('--project must be a project key');
  });

  it('refuses a flags file of another project before any request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringflag-cli-'));
    try {
      const file = join(dir, 'flags.json');
      writeFileSync(file, JSON.stringify({ version: 1, project: 'payments', flags: [] }));
      const refused = await run(['plan', file, '--project', 'ops'], {});
      expect(refused.code).toBe(2);
      expect(refused.calls).toEqual([]);
      expect(refused.stderr).toContain(
        `${file} is for project "payments", but this run acts in project "ops"`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the organisation routes (the project list) out of the project', async () => {
    const result = await run(
      ['projects', 'list', '--archived'],
      {
        'GET /api/v1/projects': { status: 200, body: { items: [] } },
      },
      { RINGFLAG_PROJECT: 'payments' },
    );
    expect(result).toMatchObject({ code: 0, stdout: 'no projects\n' });
    expect(result.calls.map((call) => call.url)).toEqual(['/api/v1/projects?archived=true']);
    expect(projectPath('/api/v1/audit/head', 'ops')).toBe('/api/v1/projects/ops/audit/head');
    expect(projectPath('/api/v1/flags?limit=1', 'ops')).toBe('/api/v1/projects/ops/flags?limit=1');
    expect(projectPath('/api/v1/flagsmith', 'ops')).toBe('/api/v1/flagsmith');
    expect(projectPath('/api/v1/users', 'ops')).toBe('/api/v1/users');
    expect(projectPath('/api/v1/projects/ops', 'ops')).toBe('/api/v1/projects/ops');
  });

  it('exits 7 when the server cannot be reached, and 2 on an unknown command', async () => {
    const refused = await runRemote(['flags', 'list'], {
      env: { RINGFLAG_TOKEN: 'rf_api_test' },
      fetch: (async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
        });
      }) as typeof fetch,
      stderr: () => {},
    });
    expect(refused).toBe(7);
    expect((await run(['flags', 'explode'], {})).code).toBe(2);
  });
});
