/**
 * End to end: a guarded release on the real server (a child process) with the real Node SDK. The SDK
 * reports exposures and tracked error events; when the released variation's error rate passes the
 * guard, the server switches the flag off at once (an incident: the kill switch, targeting kept for
 * diagnosis), rolls the plan back, and the SDK hears it over its stream.
 */
import { Ringflag } from '@ringflag/sdk-node';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient, startRingflagProcess } from './support/ringflag-process.js';

interface Incident {
  event: string;
  rate: number;
  exposures: number;
  events: number;
  maxRate: number;
}
interface Plan {
  state: string;
  onTrip: string;
  incident: Incident | null;
}
interface Config {
  enabled: boolean;
  rules: unknown[];
  fallthrough: unknown;
}
interface AuditItem {
  action: string;
  actor: { type: string; id: string };
  comment?: string;
  after: Plan;
}

const quiet = { warn: () => {}, error: () => {} };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves at the first `change` of `key` after which `until()` holds. */
function changeUntil(client: Ringflag, key: string, until: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (until()) return resolve();
    const off = client.on('change', (change) => {
      if (change.key === key && until()) {
        off();
        resolve();
      }
    });
  });
}

describe('guarded rollout', () => {
  it('switches the flag off by itself when the SDK reports a bad error rate, and the SDK sees it', async () => {
    const server = await startRingflagProcess();
    cleanups.push(() => server.kill());
    const admin = await AdminClient.login(server.base);
    await admin.request('POST', '/api/v1/flags', { key: 'new-checkout', kind: 'boolean' });
    const sdkKey = await admin.createSdkKey('development', 'server');
    const flags = new Ringflag({ sdkKey, baseUrl: server.base, flushIntervalMs: 100, logger: quiet });
    cleanups.push(() => flags.close());
    await flags.ready({ timeoutMs: 5000 });

    // allFlags is not an exposure: checking with it leaves the counts to the loop below.
    const served = () => flags.allFlags({ key: 'user-0' })['new-checkout'];
    const released = changeUntil(flags, 'new-checkout', () => served() === true);
    const path = '/api/v1/flags/new-checkout/environments/development/release';
    await admin.request('POST', path, {
      variation: 'on',
      stages: [{ name: 'everyone', percentage: 100, holdMinutes: 60 }],
      guard: { event: 'checkout-error', maxRate: 0.1, minExposures: 200 },
    });
    await released;
    const configPath = '/api/v1/flags/new-checkout/environments/development';
    const running = await admin.request<Config>('GET', configPath);

    const rolledBack = changeUntil(flags, 'new-checkout', () => served() === false);
    // 300 users see the new checkout; one in four of them hits an error: 75 / 300 = 0.25 > 0.1.
    for (let i = 0; i < 300; i++) {
      const context = { key: `user-${i}` };
      expect(flags.isEnabled('new-checkout', context)).toBe(true);
      if (i % 4 === 0) flags.track('checkout-error', context);
    }
    await rolledBack;
    expect(flags.isEnabled('new-checkout', { key: 'user-1' })).toBe(false);
    expect(flags.variationDetail('new-checkout', { key: 'user-2' }, true)).toMatchObject({
      variant: 'off',
      reason: { kind: 'OFF' },
    });
    // Off, with the plan's rollout kept as it was for diagnosis.
    const tripped = await admin.request<Config>('GET', configPath);
    expect(tripped).toMatchObject({ enabled: false, rules: running.rules, fallthrough: running.fallthrough });

    const figures = { event: 'checkout-error', exposures: 300, events: 75, rate: 0.25, maxRate: 0.1 };
    const plan = await admin.request<Plan>('GET', path);
    expect(plan).toMatchObject({ state: 'rolled_back', onTrip: 'off' });
    expect(plan.incident).toMatchObject(figures);

    const audit = await admin.request<{ items: AuditItem[] }>('GET', '/api/v1/audit?action=release.rollback');
    expect(audit.items).toHaveLength(1);
    const [entry] = audit.items;
    expect(entry?.actor.type).toBe('system');
    expect(entry?.after.incident).toMatchObject(figures);
    expect(entry?.comment).toContain('75 "checkout-error" events over 300 exposures of "on" = 25% > max 10%');
    expect(entry?.comment).toContain('switched the flag off in "development"');
  });
});
