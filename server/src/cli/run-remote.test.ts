import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';
import { REMOTE_GROUPS } from './groups.js';
import { REMOTE_COMMANDS, runRemote } from './index.js';

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

async function run(argv: string[], routes: Parameters<typeof fakeFetch>[0]) {
  const fake = fakeFetch(routes);
  return { ...(await runCli(argv, { fetch: fake.fetch })), calls: fake.calls };
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
      'POST /api/v1/flags/checkout/environments/production/toggle': { status: 202, body: CHANGE_REQUEST },
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
      'POST /api/v1/change-requests/9/approve': {
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
      'GET /api/v1/change-requests/9': { status: 200, body: { ...CHANGE_REQUEST, revision: 4 } },
      'POST /api/v1/change-requests/9/approve': {
        status: 200,
        body: { ...CHANGE_REQUEST, state: 'applied', revision: 4 },
      },
    };
    const result = await run(['changes', 'reject', '9'], {
      ...routes,
      'POST /api/v1/change-requests/9/reject': { status: 200, body: { ...CHANGE_REQUEST, revision: 4 } },
    });
    expect(result.code).toBe(0);
    expect(result.calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'GET /api/v1/change-requests/9',
      'POST /api/v1/change-requests/9/reject',
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
      { 'POST /api/v1/flags/checkout/environments/production/release': { status: 201, body: plan } },
    );
    expect(result.code).toBe(0);
    expect(result.calls[0]!.body).toEqual({ variation: 'on', stages: plan.stages });
    expect(result.stdout).toContain('next advance: 2026-01-01T01:00:00.000Z');
    expect(result.stdout).toMatch(/>\s+1\s+staff\s+segments staff\s+60m/);
  });

  it('lists change requests with the filters the API takes, as JSON', async () => {
    const result = await run(['changes', 'list', '--state', 'pending', '--env', 'production', '--json'], {
      'GET /api/v1/change-requests': { status: 200, body: { items: [CHANGE_REQUEST] } },
    });
    expect(result.code).toBe(0);
    expect(result.calls[0]!.url).toBe('/api/v1/change-requests?state=pending&environment=production');
    expect(JSON.parse(result.stdout)).toEqual({ items: [CHANGE_REQUEST] });
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
