import { afterEach, describe, expect, it } from 'vitest';
import { RELAY_BATCH_LIMITS, type RelayEventsBatch } from '../features/relay/relay-wire.js';
import { createLogger } from '../logger.js';
import { EventForwarder, type SendOutcome } from './event-forwarder.js';

const ENV = 2;
const body = (flag: string, count = 1) => ({ exposures: [{ flag, variant: 'on', count }], events: [] });

/** A forwarder whose upstream answers `outcome()` and keeps what it took, per environment. */
function forwarder(options: { outcome?: () => SendOutcome; maxPending?: number } = {}) {
  const sent: { environmentId: number; batch: RelayEventsBatch }[] = [];
  const instance = new EventForwarder({
    logger: createLogger('silent'),
    // Flushes are the tests' own.
    flushMs: 60_000,
    maxPending: options.maxPending,
    send: async (environmentId, batch) => {
      const outcome = options.outcome?.() ?? 'sent';
      if (outcome === 'sent') sent.push({ environmentId, batch });
      return outcome;
    },
  });
  opened.push(instance);
  return { instance, sent };
}

let opened: EventForwarder[] = [];
afterEach(async () => {
  await Promise.all(opened.map((instance) => instance.close()));
  opened = [];
});

describe('EventForwarder', () => {
  it('sends what SDKs reported, per environment, in batches within the upstream bounds', async () => {
    const { instance, sent } = forwarder();
    const reports = RELAY_BATCH_LIMITS.reports + 3;
    for (let i = 0; i < reports; i++) {
      expect(
        await instance.ingest({ source: 'server', environmentId: ENV, body: body(`flag-${i}`, 2) }),
      ).toEqual({
        exposures: 1,
        events: 0,
      });
    }
    await instance.ingest({ source: 'server', environmentId: 3, body: body('elsewhere') });
    expect(instance.stats()).toEqual({ pending: reports + 1, forwarded: 0, dropped: 0 });

    await instance.flush();
    expect(sent.map(({ environmentId, batch }) => [environmentId, batch.reports.length])).toEqual([
      [ENV, RELAY_BATCH_LIMITS.reports],
      [ENV, 3],
      [3, 1],
    ]);
    // Oldest first, nothing twice.
    const flags = sent
      .filter(({ environmentId }) => environmentId === ENV)
      .flatMap(({ batch }) => batch.reports.map((report) => report.body.exposures[0]?.flag));
    expect(flags).toEqual(Array.from({ length: reports }, (_, i) => `flag-${i}`));
    expect(instance.stats()).toEqual({ pending: 0, forwarded: reports + 1, dropped: 0 });
  });

  it('counts a browser context once per address until it went upstream', async () => {
    const { instance, sent } = forwarder();
    instance.exposeBrowserContext(ENV, '203.0.113.7', { key: 'user-1' }, 'hash-1');
    instance.exposeBrowserContext(ENV, '203.0.113.7', { key: 'user-1' }, 'hash-1');
    instance.exposeBrowserContext(ENV, '198.51.100.1', { key: 'user-1' }, 'hash-1');
    await instance.flush();
    expect(sent[0]?.batch.contexts).toEqual([
      { address: '203.0.113.7', context: { key: 'user-1' } },
      { address: '198.51.100.1', context: { key: 'user-1' } },
    ]);
    // Sent: the next flush counts it again.
    instance.exposeBrowserContext(ENV, '203.0.113.7', { key: 'user-1' }, 'hash-1');
    await instance.flush();
    expect(sent[1]?.batch.contexts).toEqual([{ address: '203.0.113.7', context: { key: 'user-1' } }]);
  });

  it('keeps what the upstream did not take, drops what it refused as invalid', async () => {
    let outcome: SendOutcome = 'retry';
    const { instance, sent } = forwarder({ outcome: () => outcome });
    await instance.ingest({ source: 'server', environmentId: ENV, body: body('a') });
    await instance.flush();
    await instance.flush();
    expect(instance.stats()).toEqual({ pending: 1, forwarded: 0, dropped: 0 });

    outcome = 'rejected';
    await instance.flush();
    expect(instance.stats()).toEqual({ pending: 0, forwarded: 0, dropped: 1 });

    outcome = 'sent';
    await instance.ingest({ source: 'server', environmentId: ENV, body: body('b') });
    await instance.flush();
    expect(sent.map(({ batch }) => batch.reports[0]?.body.exposures[0]?.flag)).toEqual(['b']);
  });

  it('holds at most maxPending per environment while the upstream is away, dropping the oldest', async () => {
    let outcome: SendOutcome = 'retry';
    const { instance, sent } = forwarder({ outcome: () => outcome, maxPending: 3 });
    for (const flag of ['a', 'b', 'c', 'd', 'e']) {
      await instance.ingest({ source: 'server', environmentId: ENV, body: body(flag) });
    }
    await instance.flush();
    expect(instance.stats()).toEqual({ pending: 3, forwarded: 0, dropped: 2 });

    outcome = 'sent';
    await instance.flush();
    expect(sent[0]?.batch.reports.map((report) => report.body.exposures[0]?.flag)).toEqual(['c', 'd', 'e']);
  });

  it('passes on what a relay below reported, as it came', async () => {
    const { instance, sent } = forwarder();
    const batch: RelayEventsBatch = {
      reports: [{ source: 'browser', address: '203.0.113.7', body: body('banner') }],
      contexts: [{ address: '203.0.113.7', context: { key: 'user-1' } }],
    };
    expect(instance.relayed(ENV, batch)).toEqual({ exposures: 1, events: 0, contexts: 1 });
    // close() makes a last attempt.
    await instance.close();
    expect(sent).toEqual([{ environmentId: ENV, batch }]);
  });
});
