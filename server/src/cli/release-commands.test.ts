import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';
import { ANY_VERSION, createTestApp, type TestApp } from '../test-support/test-app.js';
import type { ReleasePlan } from './wire.js';

const DEV = '/api/v1/flags/new-checkout/environments/development';

describe('release commands against the admin API', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp();
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'new-checkout', kind: 'boolean' },
    });
    await t.request('POST', '/api/v1/segments', {
      token: t.adminToken,
      body: { key: 'staff', included: ['alice'] },
    });
    // A hand-made rule serving "on" to beta testers: the plan keeps it, so starting warns.
    await t.request('PUT', DEV, {
      token: t.adminToken,
      body: {
        enabled: true,
        offVariation: 'off',
        rules: [
          {
            id: 'beta',
            clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
            serve: { variation: 'on' },
          },
        ],
        fallthrough: { variation: 'off' },
      },
      headers: ANY_VERSION,
    });
  });
  afterEach(() => t.close());

  /** Runs the CLI against the test app (the real routes and database, without a socket). */
  const cli = (...argv: string[]) =>
    runCli(argv, {
      token: t.adminToken,
      fetch: (async (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
        t.app.request(new Request(input, init))) as typeof fetch,
    });
  /** `ringflag release <verb>` for new-checkout in development. */
  const release = (verb: string, ...options: string[]) =>
    cli('release', verb, 'new-checkout', '--env', 'development', ...options);
  /** `ringflag release start` releasing "on", with `options`. */
  const start = (...options: string[]) => release('start', '--variation', 'on', ...options);
  const plan = async () =>
    (await t.request<ReleasePlan>('GET', `${DEV}/release`, { token: t.adminToken })).body;

  it('previews without writing: the warnings and what each stage serves, numbered from 1', async () => {
    const before = await t.dump();
    const preview = await release('preview', '--variation', 'on');
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain(
      'warning: Rule 1 "beta" serves "on" to its audience, ahead of the plan\'s rings: that stays so at every stage.',
    );
    expect(preview.stdout).toMatch(
      /^2 of 5\s+canary\s+1%\s+-\s+on; rule 1 "beta" → "on"; rule 2 "ring 1: staff"/m,
    );
    expect(preview.stdout).toContain('nothing was written');
    expect(await t.dump()).toEqual(before);
  });

  it('starts with the default guard in percent of exposures, prints warnings, and rolls back', async () => {
    const started = await start('--guard-event', 'checkout-error', '--on-trip', 'revert');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('started: started stage 1 of 5: staff (0%)');
    expect(started.stdout).toContain('releasing "on", running, stage 1 of 5: staff');
    expect(started.stdout).toContain(
      'guard: "checkout-error" above 5% of exposures, after 100 exposures; a trip will restore the config from before the plan',
    );
    expect(started.stderr).toContain('warning: Rule 1 "beta" serves "on" to its audience');
    expect(await plan()).toMatchObject({
      guard: { event: 'checkout-error', maxRate: 0.05, minExposures: 100 },
      onTrip: 'revert',
    });

    const rolled = await release('rollback');
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(
      /^rolled back: restored the config from before the plan started \(version \d+\)$/m,
    );
    expect(rolled.stderr).toBe(
      'warning: The restored config still serves "on": rule 1 "beta" serves "on" to its audience.\n',
    );
  });

  it('takes the guard rate in percent and refuses the old rate option and an unknown onTrip', async () => {
    const started = await start(
      '--stages',
      'canary:percent=1,100',
      '--guard-event',
      'checkout-error',
      '--guard-max-percent',
      '2.5%',
      '--guard-min-exposures',
      '400',
      '--json',
    );
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({
      guard: { maxRate: 0.025, minExposures: 400 },
      onTrip: 'off',
      warnings: [expect.stringContaining('Rule 1 "beta"')],
    });
    const status = await release('status');
    expect(status.stdout).toContain(
      'above 2.5% of exposures, after 400 exposures; a trip will switch the flag off',
    );
    await release('rollback');

    const old = await start('--guard-event', 'e', '--guard-max-rate', '0.05');
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('--guard-max-percent');
    const trip = await start('--on-trip', 'panic');
    expect(trip.code).toBe(2);
    expect(trip.stderr).toContain('--on-trip is off');
    const over = await start('--guard-event', 'e', '--guard-max-percent', '150');
    expect(over.code).toBe(2);
  });
});
