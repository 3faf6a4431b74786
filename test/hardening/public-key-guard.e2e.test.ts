/**
 * The public client key cannot force or suppress a guarded rollback. The key ships in web pages, so
 * anyone can send `/client/v1/events` with made-up counts, far-future minutes and as many contexts as
 * they like; the guard must weigh one address like a handful of browsers, and never trust a browser's
 * numbers. Runs the real server (a child process) and sends from distinct loopback addresses.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AdminClient, type RingflagProcess, startRingflagProcess } from '../support/ringflag-process.js';
import { closeAgents, inBatches, queryNumber, requestFrom } from './public-key-support.js';

const FLAG = 'new-checkout';
const PLAN = `/api/v1/flags/${FLAG}/environments/development/release`;
const ATTACKER = '127.0.0.2';
const FAR_FUTURE = 99_999_999;

interface Plan {
  state: string;
  incident: { exposures: number; events: number; rate: number } | null;
}

const servers: RingflagProcess[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.kill();
});
afterAll(closeAgents);

/** A server with a guarded release of a browser-visible flag at 100%, and its keys. */
async function guardedRelease() {
  const server = await startRingflagProcess();
  servers.push(server);
  const admin = await AdminClient.login(server.base);
  await admin.request('POST', '/api/v1/flags', { key: FLAG, kind: 'boolean', clientSide: true });
  const clientKey = await admin.createSdkKey('development', 'client');
  const serverKey = await admin.createSdkKey('development', 'server');
  await admin.request('POST', PLAN, {
    variation: 'on',
    stages: [{ name: 'everyone', percentage: 100, holdMinutes: 60 }],
    guard: { event: 'checkout-error', maxRate: 0.1, minExposures: 100 },
  });
  const plan = () => admin.request<Plan>('GET', PLAN);
  expect((await plan()).state).toBe('running');
  const fromServer = async (body: unknown) => {
    const res = await fetch(`${server.base}/sdk/v1/events`, {
      method: 'POST',
      headers: { authorization: serverKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
  };
  const fromBrowser = (address: string, path: string, body: unknown) =>
    requestFrom(address, `${server.base}${path}`, { headers: { authorization: clientKey }, body });
  return { server, plan, fromServer, fromBrowser };
}

const errors = (count: number, prefix: string, extra: Record<string, number> = {}) =>
  Array.from({ length: count }, (_, i) => ({
    event: 'checkout-error',
    context: { key: `${prefix}-${i}` },
    ...extra,
  }));

describe('a public client key and a guarded rollout', () => {
  it('cannot force a rollback with fake error events, huge counts or future minutes', {
    timeout: 90_000,
  }, async () => {
    const { server, plan, fromServer, fromBrowser } = await guardedRelease();
    // Real traffic keeps the guard healthy: 1,000 exposures, 10 errors (1%).
    await fromServer({ exposures: [{ flag: FLAG, variant: 'on', count: 1000 }], events: errors(10, 'real') });

    // One request: 1,000 made-up contexts, each "a billion errors" in a far-future minute.
    const huge = { count: 1_000_000_000, minute: FAR_FUTURE };
    const attack = await fromBrowser(ATTACKER, '/client/v1/events', {
      exposures: [{ flag: FLAG, variant: 'off', ...huge }],
      events: errors(1000, 'fake', huge),
    });
    expect(attack.status).toBe(202);
    // Then a burst of them from the same address (each request checks the guard before answering).
    const burst = await inBatches(20, 5, (r) =>
      fromBrowser(ATTACKER, '/client/v1/events', { events: errors(100, `burst-${r}`, huge) }),
    );
    expect(burst.every((res) => res.status === 202 || res.status === 429)).toBe(true);
    expect((await plan()).state).toBe('running');

    // Whatever it sent, the address weighed like a handful of browsers, in the current minute.
    const nowMinute = Math.floor(Date.now() / 60_000);
    expect(queryNumber(server.dbPath, 'select max(minute) from guard_event_counts')).toBeLessThanOrEqual(
      nowMinute,
    );
    expect(
      queryNumber(server.dbPath, 'select coalesce(sum(count), 0) from guard_event_counts'),
    ).toBeLessThanOrEqual(10 + 2 * 20);

    // The guard is alive: a real error burst (300 errors over 1,000 more exposures) trips it.
    await fromServer({
      exposures: [{ flag: FLAG, variant: 'on', count: 1000 }],
      events: errors(300, 'real-burst'),
    });
    const tripped = await plan();
    expect(tripped.state).toBe('rolled_back');
    expect(tripped.incident?.exposures).toBeLessThanOrEqual(2000 + 2 * 20);
  });

  it('cannot suppress a rollback by inflating exposures or flooding distinct contexts', {
    timeout: 90_000,
  }, async () => {
    const { plan, fromBrowser } = await guardedRelease();
    // The attack: "a billion exposures" of the released variant, and 300 evaluations of made-up
    // contexts, all from one address.
    const attack = await fromBrowser(ATTACKER, '/client/v1/events', {
      exposures: [{ flag: FLAG, variant: 'on', count: 1_000_000_000, minute: FAR_FUTURE }],
    });
    expect(attack.status).toBe(202);
    const evaluations = await inBatches(300, 10, (i) =>
      fromBrowser(ATTACKER, '/client/v1/evaluate', { context: { key: `fake-${i}` } }),
    );
    expect(evaluations.every((res) => res.status === 200)).toBe(true);
    expect((await plan()).state).toBe('running');

    // Real browsers on ten other addresses: 15 users each see the new checkout, and one in two hits
    // an error (75 / 150), reported as the browser SDK does.
    for (let a = 0; a < 10; a++) {
      const address = `127.0.0.${10 + a}`;
      const users = Array.from({ length: 15 }, (_, i) => ({ key: `real-${a}-${i}` }));
      for (const context of users) {
        expect((await fromBrowser(address, '/client/v1/evaluate', { context })).status).toBe(200);
      }
      const minute = Math.floor(Date.now() / 60_000);
      const res = await fromBrowser(address, '/client/v1/events', {
        exposures: [{ flag: FLAG, variant: 'on', count: users.length, minute }],
        events: users
          .filter((_, i) => i % 2 === 0)
          .map((context) => ({ event: 'checkout-error', context, minute })),
      });
      expect(res.status).toBe(202);
    }
    await expect.poll(async () => (await plan()).state, { timeout: 10_000 }).toBe('rolled_back');
    const { incident } = await plan();
    // It tripped as soon as the real figures were enough: the attacker's address counted as at most
    // 20 browsers, and its billion reported exposures not at all.
    expect(incident?.rate).toBeGreaterThan(0.1);
    expect(incident?.exposures).toBeGreaterThanOrEqual(100);
    expect(incident?.exposures).toBeLessThanOrEqual(150 + 20);
  });
});
