import { evaluate, type FlagConfig } from '@ringflag/sdk-node/engine';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { contextHash } from '../client/client-context.js';
import { findEnvironment } from '../environments/environments.store.js';
import { DEFAULT_PROJECT, inProject } from '../projects/project-scope.js';
import { createGuardChecker } from './guard-figures.js';
import { createGuardIntake } from './guard-ingest.js';
import type { ReleasePlan, ReleasePlanResult } from './release-plan.js';
import { createReleaseTicker, type ReleaseTicker } from './release-ticker.js';
import { findPlanById, updatePlanFrom } from './releases.store.js';

const START = Date.parse('2030-01-01T00:00:00.000Z');
const MINUTE = 60_000;
const DEV = '/api/v1/flags/new-checkout/environments/development';
const PROD = '/api/v1/flags/new-checkout/environments/production';

const TEMPLATE = [
  { name: 'staff', segments: ['staff'], percentage: 0, holdMinutes: 60 },
  { name: 'canary', percentage: 1, holdMinutes: 60 },
  { name: 'early', percentage: 10, holdMinutes: 60 },
  { name: 'half', percentage: 50, holdMinutes: 60 },
  { name: 'everyone', percentage: 100, holdMinutes: 60 },
];

type Problem = { status: number; detail: string; errors: { path: string; message: string }[] };

/** A release ticker over the test app's database, as the leading replica runs it. */
const tickerOf = (t: TestApp) =>
  createReleaseTicker({ ...t.deps, guards: createGuardChecker(t.deps), isLeader: () => true });

/** The engine's view of an environment's payload now. */
async function storeOf(t: TestApp, env: string) {
  const row = await inProject(DEFAULT_PROJECT, () => findEnvironment(t.database, env));
  if (!row) throw new Error(`no ${env}`);
  return (await t.deps.payloads.get(t.database, row)).store();
}

describe('release plans', () => {
  let t: TestApp;
  let now: number;
  let ticker: ReleaseTicker;

  beforeEach(async () => {
    now = START;
    t = await createTestApp({ clock: () => new Date(now) });
    ticker = tickerOf(t);
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'new-checkout', kind: 'boolean' },
    });
    await t.request('POST', '/api/v1/segments', {
      token: t.adminToken,
      body: { key: 'staff', included: ['alice', 'bob'] },
    });
  });
  afterEach(() => t.close());

  const pass = (minutes: number) => {
    now += minutes * MINUTE;
  };
  const start = (body: unknown, token = t.adminToken, path = DEV) =>
    t.request<ReleasePlanResult & Problem>('POST', `${path}/release`, { token, body });
  const act = (name: string, token = t.adminToken, body?: unknown, path = DEV) =>
    t.request<ReleasePlanResult & Problem>('POST', `${path}/release/${name}`, { token, body });
  const plan = async (path = DEV) =>
    (await t.request<ReleasePlan>('GET', `${path}/release`, { token: t.adminToken })).body;
  const config = async (path = DEV) =>
    (await t.request<FlagConfig>('GET', path, { token: t.adminToken })).body;
  const store = (env = 'development') => storeOf(t, env);
  const keys = Array.from({ length: 4000 }, (_, i) => `user-${i}`);
  const servedOn = async (env = 'development') => {
    const s = await store(env);
    return new Set(keys.filter((key) => evaluate('new-checkout', { key }, s, false).variant === 'on'));
  };
  const audit = async (query: string) =>
    (await t.request<{ items: AuditEvent[] }>('GET', `/api/v1/audit?${query}`, { token: t.adminToken })).body
      .items;

  it('runs staff → 1% → 10% → 50% → 100% on its own as the clock passes each hold, keeping cohorts', async () => {
    const created = await start({ variation: 'on', stages: TEMPLATE });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      state: 'running',
      currentStage: 0,
      flag: 'new-checkout',
      environment: 'development',
    });
    expect(created.body.nextAdvanceAt).toBe(new Date(START + 60 * MINUTE).toISOString());

    // Staff only: the ring's rule serves them, and the reason names the ring.
    const staff = evaluate('new-checkout', { key: 'alice' }, await store(), false);
    expect(staff).toMatchObject({ value: true, reason: { kind: 'RULE_MATCH', ruleId: 'release-0' } });
    const compiled = await config();
    expect(compiled.enabled).toBe(true);
    expect(compiled.rules).toEqual([
      {
        id: 'release-0',
        name: 'ring 1: staff',
        clauses: [{ op: 'inSegment', values: ['staff'] }],
        serve: { variation: 'on' },
      },
    ]);
    expect((await servedOn()).size).toBe(0);

    pass(59);
    expect((await ticker.tick()).advanced).toEqual([]);
    expect((await plan()).currentStage).toBe(0);

    let previous = new Set<string>();
    for (const [stage, percentage] of [
      [1, 1],
      [2, 10],
      [3, 50],
      [4, 100],
    ] as const) {
      pass(stage === 1 ? 1 : 60);
      expect((await ticker.tick()).advanced).toHaveLength(1);
      const current = await plan();
      expect(current.currentStage).toBe(stage);
      expect((await config()).fallthrough).toEqual({
        rollout: {
          salt: 'new-checkout',
          variations: [
            { variation: 'on', weight: percentage * 1000 },
            { variation: 'off', weight: 100_000 - percentage * 1000 },
          ],
        },
      });
      const on = await servedOn();
      // Cohorts are kept: everyone served before is still served.
      for (const key of previous) expect(on.has(key)).toBe(true);
      expect(on.size / keys.length).toBeGreaterThan((percentage / 100) * 0.6);
      expect(on.size / keys.length).toBeLessThanOrEqual(Math.min(1, (percentage / 100) * 1.4));
      // Staff keep the ring's rule at every stage.
      expect(evaluate('new-checkout', { key: 'bob' }, await store(), false)).toMatchObject({
        reason: { ruleId: 'release-0' },
      });
      previous = on;
    }
    expect(previous.size).toBe(keys.length);

    pass(60);
    expect((await ticker.tick()).completed).toHaveLength(1);
    const done = await plan();
    expect(done).toMatchObject({ state: 'completed', currentStage: 4, nextAdvanceAt: null });
    expect(done.stageHistory.map((entry) => entry.stage)).toEqual([0, 1, 2, 3, 4]);

    const advances = await audit('action=release.advance&resource=new-checkout');
    expect(advances).toHaveLength(5);
    // The creation's first stage was the creator's; the four after it were the system's.
    expect(advances.filter((event) => event.actor.type === 'system')).toHaveLength(4);
    const configWrites = await audit('action=flag.config.update&resource=new-checkout');
    expect(configWrites.every((event) => event.actor.type === 'system')).toBe(true);
  });

  it('waits for a gated stage until someone other than the creator approves it', async () => {
    const approver = await t.tokenFor('approver');
    const stages = [
      { name: 'canary', percentage: 1, holdMinutes: 10 },
      { name: 'everyone', percentage: 100, holdMinutes: 10, approval: true },
    ];
    expect((await start({ variation: 'on', stages }, approver)).status).toBe(201);
    pass(30);
    expect((await ticker.tick()).advanced).toEqual([]);
    expect(await plan()).toMatchObject({ currentStage: 0, nextAdvanceAt: null });

    const early = await act('advance');
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(/approval/);

    const editor = await t.tokenFor('editor');
    expect((await act('approve', editor, { comment: 'ok' })).status).toBe(403);
    const own = await act('approve', approver, { comment: 'looks good to me' });
    expect(own.status).toBe(403);
    expect(own.body.detail).toMatch(/creator/);

    const approved = await act('approve', t.adminToken, { comment: 'error rate flat' });
    expect(approved.status).toBe(200);
    // The hold had passed, so the approval lets it move on at once.
    expect(approved.body.currentStage).toBe(1);
    expect(approved.body.approvals).toEqual([
      {
        stage: 1,
        by: expect.objectContaining({ type: 'user', name: 'admin@example.com' }),
        at: expect.any(String),
        comment: 'error rate flat',
      },
    ]);
    expect((await act('approve', t.adminToken)).status).toBe(409);
    const approvals = await audit('action=release.approve');
    expect(approvals[0]?.comment).toBe('error rate flat');
  });

  it('refuses an approval through an API token of the creator', async () => {
    const stages = [
      { name: 'canary', percentage: 1 },
      { name: 'everyone', percentage: 100, approval: true },
    ];
    await start({ variation: 'on', stages });
    const minted = await t.request<{ token: string }>('POST', '/api/v1/api-tokens', {
      token: t.adminToken,
      body: { name: 'pipeline', role: 'approver' },
    });
    expect(minted.status).toBe(201);
    expect((await act('approve', minted.body.token)).status).toBe(403);
    expect((await act('approve', await t.tokenFor('approver'))).status).toBe(200);
  });

  it('gates the first stage where the environment requires approval', async () => {
    const editor = await t.tokenFor('editor');
    const created = await start({ variation: 'on', stages: TEMPLATE.slice(1) }, editor, PROD);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ currentStage: -1, nextAdvanceAt: null });
    expect(created.body.stages[0]?.approval).toBe(true);
    expect((await servedOn('production')).size).toBe(0);
    expect((await act('advance', editor, undefined, PROD)).status).toBe(409);
    const approved = await act('approve', t.adminToken, { comment: 'go' }, PROD);
    expect(approved.body.currentStage).toBe(0);
    expect((await config(PROD)).enabled).toBe(true);
    expect((await servedOn('production')).size).toBeGreaterThan(0);
  });

  it('stops advancing while paused, and resumes', async () => {
    await start({ variation: 'on', stages: TEMPLATE });
    expect((await act('pause')).body.state).toBe('paused');
    expect((await act('pause')).status).toBe(409);
    pass(120);
    expect((await ticker.tick()).advanced).toEqual([]);
    expect(await plan()).toMatchObject({ currentStage: 0, nextAdvanceAt: null });
    expect((await act('resume')).body.state).toBe('running');
    expect((await ticker.tick()).advanced).toHaveLength(1);
    expect((await plan()).currentStage).toBe(1);
  });

  it('advances and rolls back by hand; a rollback restores the config from before the plan', async () => {
    const pre = await config();
    await start({ variation: 'on', stages: TEMPLATE });
    const advanced = await act('advance');
    expect(advanced.body).toMatchObject({ currentStage: 1, stageStartedAt: new Date(START).toISOString() });
    await act('advance');
    await act('advance');
    expect((await servedOn()).size).toBeGreaterThan(0);
    const rolledBack = await act('rollback');
    expect(rolledBack.body).toMatchObject({
      state: 'rolled_back',
      incident: null,
      nextAdvanceAt: null,
      warnings: [],
      summary: `restored the config from before the plan started (version ${pre.version})`,
    });
    const after = await config();
    expect(after).toEqual({ ...pre, version: after.version });
    expect(after.enabled).toBe(false);
    expect((await servedOn()).size).toBe(0);
    expect(evaluate('new-checkout', { key: 'alice' }, await store(), false).variant).toBe('off');
    const [event] = await audit('action=release.rollback');
    expect(event?.comment).toMatch(/^rolled back by hand; restored the config from before the plan started/);
    expect((await act('advance')).status).toBe(409);
    // A finished plan makes room for a new one.
    expect((await start({ variation: 'on', stages: TEMPLATE })).status).toBe(201);
  });

  it('rolls back to a pre-plan config that serves the variation with a warning, keeping later changes', async () => {
    const beta = {
      id: 'beta',
      name: 'beta testers',
      clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
      serve: { variation: 'on' },
    };
    await t.request('PUT', DEV, {
      token: t.adminToken,
      body: { enabled: true, offVariation: 'off', rules: [beta], fallthrough: { variation: 'off' } },
      headers: ANY_VERSION,
    });
    const pre = await config();
    const created = await start({ variation: 'on', stages: TEMPLATE });
    expect(created.body.before).toEqual(pre);
    expect(created.body.warnings).toEqual([
      'Rule 1 "beta testers" serves "on" to its audience, ahead of the plan\'s rings: that stays so at every stage.',
    ]);
    await act('advance');
    // Someone adds a rule while the plan runs: the rollback keeps it.
    const during = await config();
    const qa = {
      id: 'qa',
      clauses: [{ attribute: 'groups', op: 'in', values: ['qa'] }],
      serve: { variation: 'off' },
    };
    await t.request('PUT', DEV, {
      token: t.adminToken,
      body: { ...during, rules: [...during.rules, qa] },
      headers: ANY_VERSION,
    });
    const rolledBack = await act('rollback');
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.warnings).toEqual([
      'The restored config still serves "on": rule 1 "beta testers" serves "on" to its audience.',
    ]);
    expect(rolledBack.body.summary).toBe(
      `restored the config from before the plan started (version ${pre.version}); kept the changes others made since then`,
    );
    const after = await config();
    expect(after).toEqual({ ...pre, version: after.version, rules: [beta, qa] });
    expect(evaluate('new-checkout', { key: 'z', groups: ['beta'] }, await store(), false).variant).toBe('on');
    expect((await servedOn()).size).toBe(0);
    const [event] = await audit('action=release.rollback');
    expect(event?.comment).toContain('The restored config still serves "on"');
  });

  it('keeps a flag switched off during the plan off when rolling back', async () => {
    await t.request('PUT', DEV, {
      token: t.adminToken,
      body: { enabled: true, offVariation: 'off', fallthrough: { variation: 'off' } },
      headers: ANY_VERSION,
    });
    await start({ variation: 'on', stages: TEMPLATE });
    expect(
      (await t.request('POST', `${DEV}/toggle`, { token: t.adminToken, body: { enabled: false } })).status,
    ).toBe(200);
    const rolledBack = await act('rollback');
    expect(rolledBack.body.summary).toContain('the flag stays off: it was switched off meanwhile');
    expect(await config()).toMatchObject({ enabled: false, rules: [], fallthrough: { variation: 'off' } });
  });

  it('rolls a plan without a kept config back as before: its rules go, everyone else gets off', async () => {
    const created = await start({ variation: 'on', stages: TEMPLATE });
    await t.query('update release_plans set pre_plan_config = null where id = $1', [created.body.id]);
    expect((await plan()).before).toBeNull();
    await act('advance');
    const rolledBack = await act('rollback');
    expect(rolledBack.body.summary).toBe("removed the plan's rules; everyone else gets the off variation");
    expect(await config()).toMatchObject({ enabled: true, rules: [], fallthrough: { variation: 'off' } });
  });

  it('previews a plan on top of existing rules and a rollout, writing nothing', async () => {
    const qa = {
      id: 'qa',
      clauses: [{ attribute: 'groups', op: 'in', values: ['qa'] }],
      serve: { variation: 'off' },
    };
    const rollout = {
      rollout: {
        variations: [
          { variation: 'on', weight: 30_000 },
          { variation: 'off', weight: 70_000 },
        ],
      },
    };
    await t.request('PUT', DEV, {
      token: t.adminToken,
      body: { enabled: true, offVariation: 'off', rules: [qa], fallthrough: rollout },
      headers: ANY_VERSION,
    });
    const viewer = await t.tokenFor('viewer');
    const pre = await config();
    const dump = await t.dump();
    const preview = await t.request<{
      warnings: string[];
      before: FlagConfig;
      stages: {
        index: number;
        name: string;
        percentage: number;
        approval: boolean;
        summary: string;
        config: FlagConfig;
      }[];
    }>('POST', `${DEV}/release/preview`, { token: viewer, body: { variation: 'on', stages: TEMPLATE } });
    expect(preview.status).toBe(200);
    expect(preview.body.warnings).toEqual([
      'Rule 1 "qa" serves "off" to its audience, ahead of the plan\'s rings: that stays so at every stage.',
      'Everyone else gets 30% "on", 70% "off" now; stage 1 of 5: staff (0%) changes that to 100% "off", so some who get "on" now lose it.',
    ]);
    expect(preview.body.before).toEqual(pre);
    expect(preview.body.stages.map((stage) => [stage.index, stage.name, stage.percentage])).toEqual([
      [0, 'staff', 0],
      [1, 'canary', 1],
      [2, 'early', 10],
      [3, 'half', 50],
      [4, 'everyone', 100],
    ]);
    expect(preview.body.stages[1]?.summary).toBe(
      'on; rule 1 "qa" → "off"; rule 2 "ring 1: staff" → "on"; everyone else → 1% "on", 99% "off"',
    );
    expect(preview.body.stages[4]?.config.rules.map((rule) => rule.id)).toEqual(['qa', 'release-0']);
    expect(await t.dump()).toEqual(dump);
    expect(await config()).toEqual(pre);

    // The same checks as starting one; where changes need approval the first stage is gated.
    const bad = await t.request<Problem>('POST', `${DEV}/release/preview`, {
      token: viewer,
      body: { variation: 'on', stages: [{ name: 'a', segments: ['nobody'], percentage: 1 }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]?.path).toBe('stages[0].segments[0]');
    const gated = await t.request<{ warnings: string[]; stages: { approval: boolean }[] }>(
      'POST',
      `${PROD}/release/preview`,
      { token: viewer, body: { variation: 'on', stages: TEMPLATE.slice(1) } },
    );
    expect(gated.body.stages[0]?.approval).toBe(true);
    expect(gated.body.warnings).toEqual([]);

    // Starting answers the same warnings.
    const created = await start({ variation: 'on', stages: TEMPLATE });
    expect(created.body.warnings).toEqual(preview.body.warnings);
  });

  it('lists the stages awaiting an approval, readable by viewers, until an approver approves', async () => {
    const editor = await t.tokenFor('editor');
    const viewer = await t.tokenFor('viewer');
    type Approvals = {
      items: {
        flag: string;
        environment: string;
        stage: number;
        stageName: string;
        plan: ReleasePlan;
        waitingSince: string;
      }[];
    };
    const approvals = async () =>
      (await t.request<Approvals>('GET', '/api/v1/release-approvals', { token: viewer })).body.items;
    expect(await approvals()).toEqual([]);
    const stages = [
      { name: 'canary', percentage: 1, holdMinutes: 10 },
      { name: 'everyone', percentage: 100, approval: true },
    ];
    const created = await start({ variation: 'on', stages }, editor, PROD);
    await start({ variation: 'on', stages: TEMPLATE }); // development: nothing gated
    expect(await approvals()).toEqual([
      {
        flag: 'new-checkout',
        environment: 'production',
        stage: 0,
        stageName: 'canary',
        plan:
          created.body.id === undefined
            ? expect.anything()
            : expect.objectContaining({ id: created.body.id }),
        waitingSince: new Date(START).toISOString(),
      },
    ]);
    expect((await act('approve', editor, { comment: 'mine' }, PROD)).status).toBe(403);
    pass(5);
    expect((await act('approve', t.adminToken, { comment: 'go' }, PROD)).body.currentStage).toBe(0);
    // The next gate shows up as stage 1, waiting since the canary started.
    expect(await approvals()).toEqual([
      expect.objectContaining({
        stage: 1,
        stageName: 'everyone',
        waitingSince: new Date(START + 5 * MINUTE).toISOString(),
      }),
    ]);
    const approver = await t.tokenFor('approver');
    expect((await act('approve', approver, { comment: 'fine' }, PROD)).status).toBe(200);
    expect(await approvals()).toEqual([]);
  });

  it('keeps rules that are not the plan’s, ahead of the rings', async () => {
    const own = {
      id: 'qa',
      clauses: [{ attribute: 'groups', op: 'in', values: ['qa'] }],
      serve: { variation: 'off' },
    };
    await t.request('PUT', DEV, {
      token: t.adminToken,
      body: { enabled: true, offVariation: 'off', rules: [own], fallthrough: { variation: 'off' } },
      headers: ANY_VERSION,
    });
    await start({ variation: 'on', stages: TEMPLATE });
    expect((await config()).rules.map((rule) => rule.id)).toEqual(['qa', 'release-0']);
    await act('rollback');
    expect((await config()).rules.map((rule) => rule.id)).toEqual(['qa']);
  });

  it('refuses decreasing or over-precise percentages, a second active plan and the off variation', async () => {
    const before = await t.dump();
    const decreasing = await start({
      variation: 'on',
      stages: [
        { name: 'a', percentage: 10 },
        { name: 'b', percentage: 5 },
      ],
    });
    expect(decreasing.status).toBe(400);
    expect(decreasing.body.errors[0]?.path).toBe('stages[1].percentage');
    expect((await start({ variation: 'on', stages: [{ name: 'a', percentage: 0.0001 }] })).status).toBe(400);
    expect((await start({ variation: 'on', stages: [{ name: 'a', percentage: 101 }] })).status).toBe(400);
    expect((await start({ variation: 'off', stages: [{ name: 'a', percentage: 1 }] })).status).toBe(400);
    expect(
      (await start({ variation: 'on', stages: [{ name: 'a', segments: ['nobody'], percentage: 1 }] })).status,
    ).toBe(400);
    expect((await start({ variation: 'on', stages: [{ name: 'a', percentage: 12.345 }] })).status).toBe(201);
    expect((await t.dump()).release_plans).toHaveLength(1);
    expect(before.release_plans).toHaveLength(0);
    const second = await start({ variation: 'on', stages: TEMPLATE });
    expect(second.status).toBe(409);
    expect((await config()).fallthrough).toMatchObject({
      rollout: {
        variations: [
          { variation: 'on', weight: 12_345 },
          { variation: 'off', weight: 87_655 },
        ],
      },
    });
  });

  it('advances a due plan once when two replicas pass at the same time', async () => {
    await start({ variation: 'on', stages: TEMPLATE });
    pass(60);
    const passes = await Promise.all([tickerOf(t).tick(), tickerOf(t).tick(), ticker.tick()]);
    expect(passes.flatMap((result) => result.advanced)).toHaveLength(1);
    expect((await plan()).currentStage).toBe(1);
    const advances = await audit('action=release.advance&resource=new-checkout');
    expect(advances.map((event) => event.actor.type)).toEqual(['system', 'user']);
  });

  it('moves a plan once: a second move from the same row changes nothing', async () => {
    const created = await start({ variation: 'on', stages: TEMPLATE });
    const located = await findPlanById(t.database, created.body.id);
    if (!located) throw new Error('no plan');
    const move = () =>
      t.database.transaction((tx) =>
        updatePlanFrom(tx, located.plan, {
          state: 'paused',
          updatedAt: new Date(now + MINUTE).toISOString(),
        }),
      );
    expect(await move()).toMatchObject({ id: created.body.id, state: 'paused' });
    expect(await move()).toBeUndefined();
    expect((await plan()).state).toBe('paused');
  });

  it('runs the ticker on start only where this replica leads', async () => {
    await start({ variation: 'on', stages: TEMPLATE });
    pass(60);
    const follower = createReleaseTicker({
      ...t.deps,
      guards: createGuardChecker(t.deps),
      isLeader: () => false,
    });
    await follower.start();
    expect((await plan()).currentStage).toBe(0);
    await follower.stop();
    const leader = createReleaseTicker({
      ...t.deps,
      guards: createGuardChecker(t.deps),
      isLeader: () => true,
    });
    await leader.start();
    expect((await plan()).currentStage).toBe(1);
    await leader.stop();
  });

  it('needs the editor role to start and the viewer role to read; 404 without a plan', async () => {
    const viewer = await t.tokenFor('viewer');
    expect((await start({ variation: 'on', stages: TEMPLATE }, viewer)).status).toBe(403);
    expect((await t.request('GET', `${DEV}/release`, { token: viewer })).status).toBe(404);
    await start({ variation: 'on', stages: TEMPLATE });
    expect((await t.request('GET', `${DEV}/release`, { token: viewer })).status).toBe(200);
    expect((await act('rollback', viewer)).status).toBe(403);
  });
});

describe('guarded rollouts', () => {
  let t: TestApp;
  let now: number;
  let sdkKey: string;

  beforeEach(async () => {
    now = START;
    t = await createTestApp({ clock: () => new Date(now) });
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'new-checkout', kind: 'boolean' },
    });
    const key = await t.request<{ key: string }>('POST', '/api/v1/environments/development/sdk-keys', {
      token: t.adminToken,
      body: { type: 'server' },
    });
    sdkKey = key.body.key;
  });
  afterEach(() => t.close());

  const guard = { event: 'checkout-error', maxRate: 0.05, minExposures: 100 };
  const send = (body: unknown) =>
    t.request('POST', '/sdk/v1/events', { body, headers: { authorization: sdkKey } });
  const errors = (count: number, from = 0) =>
    Array.from({ length: count }, (_, i) => ({
      event: 'checkout-error',
      context: { key: `user-${from + i}` },
    }));
  const plan = async () =>
    (await t.request<ReleasePlan>('GET', `${DEV}/release`, { token: t.adminToken })).body;

  it('rolls back at once when the released variation’s error rate passes maxRate after minExposures', async () => {
    await t.request('POST', `${DEV}/release`, {
      token: t.adminToken,
      body: { variation: 'on', stages: [{ name: 'everyone', percentage: 100, holdMinutes: 60 }], guard },
    });
    // 20 errors over 50 exposures is a bad rate, but below minExposures: no trip.
    expect(
      (await send({ exposures: [{ flag: 'new-checkout', variant: 'on', count: 50 }], events: errors(20) }))
        .status,
    ).toBe(202);
    expect((await plan()).state).toBe('running');
    // Events that are not the guard's, or without a context, do not count.
    await send({ events: [{ event: 'page-view', context: { key: 'u' } }, { event: 'checkout-error' }] });
    // Raw rows: PostgreSQL hands a bigint count back as text.
    const counted = (await t.dump()).guard_event_counts as Record<string, unknown>[];
    expect(counted.map((row) => ({ ...row, count: Number(row.count) }))).toEqual([
      expect.objectContaining({
        flag_key: 'new-checkout',
        variant: 'on',
        event: 'checkout-error',
        count: 20,
      }),
    ]);

    // 50 more exposures: 20 / 100 = 0.2 > 0.05 with enough exposures.
    const running = (await t.request<FlagConfig>('GET', DEV, { token: t.adminToken })).body;
    await send({ exposures: [{ flag: 'new-checkout', variant: 'on', count: 50 }] });
    const tripped = await plan();
    expect(tripped.state).toBe('rolled_back');
    expect(tripped.incident).toEqual({
      at: new Date(START).toISOString(),
      event: 'checkout-error',
      rate: 0.2,
      exposures: 100,
      events: 20,
      maxRate: 0.05,
    });
    // An incident: the flag is off in development at once, its targeting kept for diagnosis.
    const config = (await t.request<FlagConfig>('GET', DEV, { token: t.adminToken })).body;
    expect(config).toEqual({ ...running, enabled: false, version: running.version + 1 });
    expect(evaluate('new-checkout', { key: 'user-1' }, await storeOf(t, 'development'), false)).toMatchObject(
      {
        variant: 'off',
        reason: { kind: 'OFF' },
      },
    );
    expect(tripped.onTrip).toBe('off');

    const events = (
      await t.request<{ items: AuditEvent[] }>('GET', '/api/v1/audit?action=release.rollback', {
        token: t.adminToken,
      })
    ).body.items;
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toEqual({ type: 'system', id: 'releases', name: 'release plans' });
    expect(events[0]?.comment).toBe(
      'guard tripped: 20 "checkout-error" events over 100 exposures of "on" = 20% > max 5%; switched the flag off ' +
        'in "development": everyone gets "off"; its rules, rollout and targets stay as they were, for diagnosis',
    );
    const [write] = (
      await t.request<{ items: AuditEvent[] }>('GET', '/api/v1/audit?action=flag.config.update', {
        token: t.adminToken,
      })
    ).body.items;
    expect(write?.actor).toEqual({ type: 'system', id: 'releases', name: 'release plans' });
    expect(write?.comment).toContain('20 "checkout-error" events over 100 exposures');
    expect((events[0]?.after as ReleasePlan | undefined)?.incident).toMatchObject({
      exposures: 100,
      events: 20,
      rate: 0.2,
    });
  });

  /** Records bad figures for the released variation now: 50 errors over 100 exposures. */
  const badFigures = async (variant = 'on') => {
    const minute = Math.floor(now / MINUTE);
    await t.query(
      "insert into guard_exposure_counts (environment_id, flag_key, variant, minute, count) values ((select id from environments where key = 'development'), 'new-checkout', $1, $2, 100)",
      [variant, minute],
    );
    await t.query(
      "insert into guard_event_counts (environment_id, flag_key, variant, event, minute, count) values ((select id from environments where key = 'development'), 'new-checkout', $1, 'checkout-error', $2, 50)",
      [variant, minute],
    );
  };
  const configOf = async (path = DEV) =>
    (await t.request<FlagConfig>('GET', path, { token: t.adminToken })).body;
  const beta = {
    id: 'beta',
    clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
    serve: { variation: 'on' },
  };

  it('switches the flag off on a trip: a hand-made rule serving the variation serves nobody, other environments stay', async () => {
    await t.request('PUT', DEV, {
      token: t.adminToken,
      body: { enabled: true, offVariation: 'off', rules: [beta], fallthrough: { variation: 'off' } },
      headers: ANY_VERSION,
    });
    const staging = await configOf('/api/v1/flags/new-checkout/environments/staging');
    const started = await t.request<ReleasePlan>('POST', `${DEV}/release`, {
      token: t.adminToken,
      body: { variation: 'on', stages: [{ name: 'canary', percentage: 5 }], guard },
    });
    const running = await configOf();
    const member = { key: 'someone', groups: ['beta'] };
    expect(evaluate('new-checkout', member, await storeOf(t, 'development'), false).variant).toBe('on');
    await badFigures();
    expect(await createGuardChecker(t.deps).checkGuard(started.body.id)).toMatchObject({
      state: 'rolled_back',
      incident: { rate: 0.5, exposures: 100, events: 50, maxRate: 0.05 },
    });
    const after = await configOf();
    expect(after).toEqual({ ...running, enabled: false, version: running.version + 1 });
    expect(after.rules.map((rule) => rule.id)).toEqual(['beta']);
    expect(evaluate('new-checkout', member, await storeOf(t, 'development'), false)).toMatchObject({
      variant: 'off',
      reason: { kind: 'OFF' },
    });
    expect(await configOf('/api/v1/flags/new-checkout/environments/staging')).toEqual(staging);
  });

  it("restores the config from before the plan on a trip with onTrip 'revert'", async () => {
    await t.request('PUT', DEV, {
      token: t.adminToken,
      body: { enabled: true, offVariation: 'off', rules: [beta], fallthrough: { variation: 'off' } },
      headers: ANY_VERSION,
    });
    const pre = await configOf();
    const started = await t.request<ReleasePlan>('POST', `${DEV}/release`, {
      token: t.adminToken,
      body: { variation: 'on', stages: [{ name: 'canary', percentage: 5 }], guard, onTrip: 'revert' },
    });
    expect(started.body).toMatchObject({ onTrip: 'revert', before: pre });
    await badFigures();
    expect(await createGuardChecker(t.deps).checkGuard(started.body.id)).toMatchObject({
      state: 'rolled_back',
    });
    const after = await configOf();
    expect(after).toEqual({ ...pre, version: after.version });
    const [event] = (
      await t.request<{ items: AuditEvent[] }>('GET', '/api/v1/audit?action=release.rollback', {
        token: t.adminToken,
      })
    ).body.items;
    expect(event?.actor.type).toBe('system');
    expect(event?.comment).toContain('= 50% > max 5%; restored the config from before the plan started');
    expect(event?.comment).toContain('The restored config still serves "on"');
  });

  it('refuses an unknown onTrip', async () => {
    const refused = await t.request<{ errors: { path: string }[] }>('POST', `${DEV}/release`, {
      token: t.adminToken,
      body: { variation: 'on', stages: [{ name: 'canary', percentage: 5 }], onTrip: 'explode' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]?.path).toBe('onTrip');
  });

  it('reroutes a blue/green flag to blue when the guard trips on green', async () => {
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: {
        key: 'checkout-backend',
        kind: 'string',
        variations: [
          { id: 'blue', value: 'blue' },
          { id: 'green', value: 'green' },
        ],
      },
    });
    const path = '/api/v1/flags/checkout-backend/environments/development';
    const started = await t.request<ReleasePlan>('POST', `${path}/release`, {
      token: t.adminToken,
      body: { variation: 'green', stages: [{ name: 'half', percentage: 50, holdMinutes: 60 }], guard },
    });
    expect(started.status).toBe(201);
    const backends = async () => {
      const store = await storeOf(t, 'development');
      return new Set(
        Array.from(
          { length: 200 },
          (_, i) => evaluate('checkout-backend', { key: `user-${i}` }, store, null).value,
        ),
      );
    };
    expect(await backends()).toEqual(new Set(['blue', 'green']));

    await send({
      exposures: [{ flag: 'checkout-backend', variant: 'green', count: 200 }],
      events: Array.from({ length: 400 }, (_, i) => ({
        event: 'checkout-error',
        context: { key: `user-${i}` },
      })),
    });
    const plan = (await t.request<ReleasePlan>('GET', `${path}/release`, { token: t.adminToken })).body;
    expect(plan.state).toBe('rolled_back');
    expect(plan.incident?.exposures).toBe(200);
    // The trip switched the flag off: everyone is on blue, the off (baseline) side.
    const config = (await t.request<FlagConfig>('GET', path, { token: t.adminToken })).body;
    expect(config).toMatchObject({ enabled: false, offVariation: 'blue' });
    expect(await backends()).toEqual(new Set(['blue']));
  });

  it('rolls a tripped plan back once when two replicas check its guard at once', async () => {
    const started = await t.request<ReleasePlan>('POST', `${DEV}/release`, {
      token: t.adminToken,
      body: { variation: 'on', stages: [{ name: 'everyone', percentage: 100 }], guard },
    });
    const minute = Math.floor(now / MINUTE);
    await t.query(
      "insert into guard_exposure_counts (environment_id, flag_key, variant, minute, count) values ((select id from environments where key = 'development'), 'new-checkout', 'on', $1, 100)",
      [minute],
    );
    await t.query(
      "insert into guard_event_counts (environment_id, flag_key, variant, event, minute, count) values ((select id from environments where key = 'development'), 'new-checkout', 'on', 'checkout-error', $1, 50)",
      [minute],
    );
    const checks = await Promise.all([
      createGuardChecker(t.deps).checkGuard(started.body.id),
      createGuardChecker(t.deps).checkGuard(started.body.id),
    ]);
    expect(checks.filter((result) => result !== null)).toHaveLength(1);
    expect((await plan()).state).toBe('rolled_back');
    const rollbacks = await t.request<{ items: AuditEvent[] }>(
      'GET',
      '/api/v1/audit?action=release.rollback',
      {
        token: t.adminToken,
      },
    );
    expect(rollbacks.body.items).toHaveLength(1);
  });

  it('writes buffered browser exposures within a second, with no other request to flush them', async () => {
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'banner', kind: 'boolean', clientSide: true },
    });
    const started = await t.request('POST', '/api/v1/flags/banner/environments/development/release', {
      token: t.adminToken,
      body: { variation: 'on', stages: [{ name: 'everyone', percentage: 100 }], guard },
    });
    expect(started.status).toBe(201);
    const environment = await inProject(DEFAULT_PROJECT, () => findEnvironment(t.database, 'development'));
    if (!environment) throw new Error('no development');
    const guards = createGuardChecker(t.deps);
    const intake = createGuardIntake({
      ...t.deps,
      payloads: { get: (env) => t.deps.payloads.get(t.database, env) },
      guards,
    });
    try {
      const contexts = [{ key: 'user-1' }, { key: 'user-2' }];
      for (const context of contexts) {
        await intake.exposeBrowserContext(environment.id, '203.0.113.7', context, contextHash(context));
      }
      // The first exposure was written at once; the second waits in this replica's buffer.
      expect(guards.exposures.size).toBe(1);
      await vi.waitFor(
        async () => {
          const rows = await t.query<{ count: number | string }>('select count from guard_exposure_counts');
          expect(rows.reduce((sum, row) => sum + Number(row.count), 0)).toBe(2);
        },
        { timeout: 3000 },
      );
      expect(guards.exposures.size).toBe(0);
    } finally {
      await intake.close();
    }
  });

  it('counts only the released variant and lets a healthy plan advance; the ticker also trips', async () => {
    const ticker = tickerOf(t);
    await t.request('POST', `${DEV}/release`, {
      token: t.adminToken,
      body: {
        variation: 'on',
        stages: [
          { name: 'half', percentage: 50, holdMinutes: 10 },
          { name: 'everyone', percentage: 100, holdMinutes: 10 },
        ],
        guard,
      },
    });
    // Many errors, but from the users that got "off": the released variation is healthy.
    const store = await storeOf(t, 'development');
    const offUsers = Array.from({ length: 400 }, (_, i) => `user-${i}`).filter(
      (key) => evaluate('new-checkout', { key }, store, false).variant === 'off',
    );
    await send({
      exposures: [
        { flag: 'new-checkout', variant: 'on', count: 200 },
        { flag: 'new-checkout', variant: 'off', count: 200 },
      ],
      events: offUsers.map((key) => ({ event: 'checkout-error', context: { key } })),
    });
    expect((await plan()).state).toBe('running');
    now += 10 * MINUTE;
    expect((await ticker.tick()).advanced).toHaveLength(1);

    // In the new stage the figures start again; counts recorded directly reach the ticker's check.
    await send({ exposures: [{ flag: 'new-checkout', variant: 'on', count: 100 }] });
    await t.query(
      "insert into guard_event_counts (environment_id, flag_key, variant, event, minute, count) values ((select id from environments where key = 'development'), 'new-checkout', 'on', 'checkout-error', $1, 6)",
      [Math.floor(now / MINUTE)],
    );
    expect((await ticker.tick()).rolledBack).toHaveLength(1);
    expect((await plan()).incident).toMatchObject({ exposures: 100, events: 6, rate: 0.06 });
  });
});
