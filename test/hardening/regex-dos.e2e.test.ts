/**
 * Hostile input, regular expressions: an editor stores patterns that make a backtracking engine take
 * exponential or high-polynomial time in a clientSide flag of an environment without approval; then
 * anyone holding the public client key sends values crafted against them. On the real server (a child
 * process, so a blocked event loop cannot take the test runner with it): every pattern is accepted,
 * every request answers promptly, `/healthz` keeps answering meanwhile, and a pattern RE2 cannot run
 * is refused at write with its field path.
 */
import { LIMITS } from '@ringflag/sdk-node/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminClient,
  freePort,
  type RingflagProcess,
  startRingflagProcess,
} from '../support/ringflag-process.js';

const ENV = 'development';
const FLAG = 'regex-dos';
const EDITOR = { email: 'editor@example.com', password: 'editor-password-1' };

/** Exponential or high-polynomial under backtracking; the first two passed the old heuristic check. */
const PATTERNS = [
  '((a|a))+$',
  '\\w*\\w*\\w*\\w*!',
  '(.*a){20}',
  '(a+)+$',
  '(a|aa)+$',
  '(a|a?)+$',
  '^(a?){30}a{30}$',
  '(x+x+)+y',
  '(\\d+\\s?)+$',
  '^([a-zA-Z0-9_.+-]+)+@(([a-zA-Z0-9-])+\\.)+[a-zA-Z]{2,}$',
];

/** Values crafted against the patterns: 48 characters (enough to hang the old server) and the most a context may hold. */
const HOSTILE = [48, LIMITS.stringLength].flatMap((n) => [
  `${'a'.repeat(n - 1)}!`,
  'a'.repeat(n),
  'x'.repeat(n),
  `${'1'.repeat(n - 1)}!`,
]);

/** Generous: RE2 answers in milliseconds; the backtracking engine did not answer within minutes. */
const PROMPT_MS = 5_000;

let server: RingflagProcess;
let editor: AdminClient;
let clientKey: string;

function evaluate(context: Record<string, unknown>): Promise<Response> {
  return fetch(`${server.base}/client/v1/evaluate`, {
    method: 'POST',
    headers: { authorization: clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ context }),
    signal: AbortSignal.timeout(PROMPT_MS),
  });
}

function rules(patterns: readonly string[]) {
  return patterns.map((pattern, i) => ({
    id: `r${i}`,
    clauses: [{ attribute: 'v', op: 'matches', values: [pattern] }],
    serve: { variation: 'on' },
  }));
}

beforeAll(async () => {
  server = await startRingflagProcess({ port: await freePort() });
  const admin = await AdminClient.login(server.base);
  await admin.request('POST', '/api/v1/users', { ...EDITOR, role: 'editor' });
  clientKey = await admin.createSdkKey(ENV, 'client');
  await admin.request('POST', '/api/v1/flags', { key: FLAG, kind: 'boolean', clientSide: true });
  editor = await AdminClient.login(server.base, EDITOR.email, EDITOR.password);
}, 60_000);

afterAll(async () => {
  // SIGKILL: a server stuck in a regex would not get to its SIGTERM handler.
  await server?.kill();
});

describe('regex denial of service through the public key', { timeout: 60_000 }, () => {
  it("accepts an editor's catastrophic patterns, and answers hostile values promptly", async () => {
    await editor.putConfig(FLAG, ENV, {
      enabled: true,
      offVariation: 'off',
      rules: rules(PATTERNS),
      fallthrough: { variation: 'off' },
    });

    // The rules are live: a value one of them matches is served `on`.
    const live = await evaluate({ key: 'friend', v: 'ok!' });
    expect(live.status).toBe(200);
    expect(((await live.json()) as { flags: Record<string, { value: unknown }> }).flags[FLAG]?.value).toBe(
      true,
    );

    const started = performance.now();
    const answers = HOSTILE.map(async (v, i) => {
      const response = await evaluate({ key: `attacker-${i}`, v });
      const body = (await response.json()) as {
        flags: Record<string, { variant: string; reason: { kind: string } }>;
      };
      return { status: response.status, result: body.flags[FLAG], ms: performance.now() - started };
    });
    // Meanwhile the server stays responsive.
    const health = (async () => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const response = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(PROMPT_MS) });
        expect(response.ok).toBe(true);
        times.push(performance.now() - t);
      }
      return times;
    })();

    const [results, healthTimes] = await Promise.all([Promise.all(answers), health]);
    for (const { status, result } of results) {
      expect(status).toBe(200);
      // Some values match a pattern (`aaa` ends in `a+`), some do not; none is an error.
      expect(['RULE_MATCH', 'FALLTHROUGH']).toContain(result?.reason.kind);
    }
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(PROMPT_MS);
    expect(Math.max(...healthTimes)).toBeLessThan(PROMPT_MS);
  });

  it('refuses, at write and with the field path, a pattern RE2 cannot run in linear time', async () => {
    const refused = async (pattern: string) => {
      const response = await fetch(`${server.base}/api/v1/flags/${FLAG}/environments/${ENV}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${editor.token}`,
          'content-type': 'application/json',
          'if-match': '*',
        },
        body: JSON.stringify({
          enabled: true,
          offVariation: 'off',
          rules: rules(['^ok$', pattern]),
          fallthrough: { variation: 'off' },
        }),
        signal: AbortSignal.timeout(PROMPT_MS),
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await response.json()) as { errors: { path: string; message: string }[] };
      expect(problem.errors).toHaveLength(1);
      expect(problem.errors[0]?.path).toBe('rules[1].clauses[0].values[0]');
      return problem.errors[0]?.message;
    };
    expect(await refused('(a)\\1')).toMatch(/back-references .* not supported/);
    expect(await refused('(?<=a)b')).toMatch(/lookbehind .* not supported/);
    expect(await refused('(?=a)')).toMatch(/lookahead .* not supported/);
    expect(await refused('[\\s\\S]{1000}')).toMatch(/too large once compiled/);
  });
});
