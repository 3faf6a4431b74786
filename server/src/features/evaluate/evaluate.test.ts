import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';

interface Result {
  value: unknown;
  variant: string | null;
  reason: Record<string, unknown>;
  ruleName?: string;
}

describe('POST /api/v1/environments/{env}/evaluate', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
    await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'f', kind: 'boolean' } });
    const put = await t.request('PUT', '/api/v1/flags/f/environments/staging', {
      token: t.adminToken,
      headers: ANY_VERSION,
      body: {
        enabled: true,
        offVariation: 'off',
        rules: [
          {
            id: 'staff',
            clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
            serve: { variation: 'on' },
          },
          {
            id: 'beta',
            name: 'Beta testers',
            clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
            serve: { variation: 'on' },
          },
        ],
        fallthrough: { variation: 'off' },
      },
    });
    expect(put.status).toBe(200);
  });
  afterEach(() => t.close());

  const evaluate = async (context: Record<string, unknown>) => {
    const res = await t.request<{ results: Record<string, Result> }>(
      'POST',
      '/api/v1/environments/staging/evaluate',
      { token: await t.tokenFor('viewer'), body: { context, flags: ['f'] } },
    );
    expect(res.status).toBe(200);
    return res.body.results.f;
  };

  it('names the matched rule beside the reason, which stays exactly what an SDK reports', async () => {
    const beta = await evaluate({ key: 'u1', groups: ['beta'] });
    expect(beta).toEqual({
      value: true,
      variant: 'on',
      reason: { kind: 'RULE_MATCH', ruleId: 'beta', ruleIndex: 1 },
      ruleName: 'Beta testers',
    });
    // A rule without a name, and other reasons, get no ruleName.
    const staff = await evaluate({ key: 'u2', groups: ['staff'] });
    expect(staff?.reason).toEqual({ kind: 'RULE_MATCH', ruleId: 'staff', ruleIndex: 0 });
    expect(staff).not.toHaveProperty('ruleName');
    const everyone = await evaluate({ key: 'u3' });
    expect(everyone?.reason).toEqual({ kind: 'FALLTHROUGH' });
    expect(everyone).not.toHaveProperty('ruleName');
  });
});
