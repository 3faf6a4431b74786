import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import {
  appendAuditEvents,
  type NewAuditEvent,
  pageAuditEvents,
} from '../../features/audit/audit.service.js';
import {
  type AuditFilter,
  auditEventHash,
  insertAuditCheckpoint,
  iterateAuditCheckpoints,
  iterateAuditEvents,
  lastAuditCheckpoint,
  lastAuditLink,
  listAuditEvents,
} from '../../features/audit/audit.store.js';
import { type Actor, type AuditEvent, GENESIS_HASH, hashEvent } from '../../features/audit/audit-event.js';
import { walkAuditChain } from '../../features/audit/audit-verify.js';
import type { Database } from '../client.js';
import {
  ACTOR,
  type CurrentRun,
  it,
  NESTED,
  range,
  rejection,
  T0,
  T1,
  T2,
  T3,
  UNICODE,
  write,
} from './support.js';

const SYSTEM: Actor = { type: 'system', id: 'scheduler', name: 'ringflag' };

/** Six events over four instants, two actors, two resource types and environments. */
const EVENTS: NewAuditEvent[] = [
  {
    at: T0,
    actor: ACTOR,
    action: 'flag.create',
    resource: { type: 'flag', key: 'checkout' },
    before: null,
    after: NESTED,
  },
  {
    at: T1,
    actor: ACTOR,
    action: 'flag.config.update',
    resource: { type: 'flag', key: 'checkout', environment: 'production' },
    before: { enabled: false },
    after: { enabled: true, note: UNICODE },
    comment: UNICODE,
  },
  {
    at: T1,
    actor: SYSTEM,
    action: 'flag.config.update',
    resource: { type: 'flag', key: 'checkout', environment: 'staging' },
    before: { enabled: true },
    after: { enabled: false },
    changeRequestId: '12',
    onBehalfOf: ACTOR,
  },
  {
    at: T2,
    actor: ACTOR,
    action: 'segment.create',
    resource: { type: 'segment', key: 'beta' },
    before: null,
    after: { included: [] },
  },
  {
    at: T2,
    actor: SYSTEM,
    action: 'flag.config.update',
    resource: { type: 'flag', key: 'search', environment: 'production' },
    before: 0,
    after: 'string after',
  },
  {
    at: T3,
    actor: ACTOR,
    action: 'flag.archive',
    resource: { type: 'flag', key: 'search' },
    before: [1, 2],
    after: null,
  },
];

const append = (database: Database, events: NewAuditEvent[] = EVENTS) =>
  write(database, (tx) => appendAuditEvents(tx, events));

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

/** audit.store.ts through appendAuditEvents (its only writer), the pages of the API, and the chain's walk. */
export function auditContract(run: CurrentRun): void {
  describe('audit events', () => {
    it('appends a chain in a transaction and reads back exactly what was hashed', async () => {
      const { database } = run();
      expect(await lastAuditLink(database)).toBeUndefined();
      const stored = await append(database);
      expect(stored.map((e) => e.id)).toEqual(range(1, 6));
      expect(stored[0]!.prevHash).toBe(GENESIS_HASH);
      for (let i = 1; i < stored.length; i++) expect(stored[i]!.prevHash).toBe(stored[i - 1]!.hash);
      expect(await lastAuditLink(database)).toEqual({ id: 6, hash: stored[5]!.hash });

      const read = await collect(iterateAuditEvents(database));
      expect(read).toEqual(stored);
      for (const event of read) expect(hashEvent(event)).toBe(event.hash);
      // Optional members are absent, not null, when not given: the hash depends on it.
      expect(Object.keys(read[0]!).sort()).toEqual(
        ['action', 'actor', 'after', 'at', 'before', 'hash', 'id', 'prevHash', 'resource'].sort(),
      );
      expect(JSON.stringify(read[0]!.after)).toBe(JSON.stringify(NESTED));
      expect(await walkAuditChain(database)).toEqual({ count: 6, lastId: 6, lastHash: stored[5]!.hash });

      // The next append continues the chain.
      const [next] = await append(database, [EVENTS[0]!]);
      expect(next).toMatchObject({ id: 7, prevHash: stored[5]!.hash });
    });

    it('stores text that UTF-8 cannot hold (a lone surrogate, U+0000) as the hash saw it', async () => {
      const { database } = run();
      const odd = 'x\ud800y\u0000z';
      const [event] = await append(database, [
        { ...EVENTS[1]!, actor: { ...ACTOR, name: odd }, comment: odd, after: { [odd]: odd } },
      ]);
      const [read] = await collect(iterateAuditEvents(database));
      expect(read).toEqual(event);
      expect(read!.comment).toBe('x\ufffdy\ufffdz');
      expect((await walkAuditChain(database)).firstBadId).toBeUndefined();
    });

    it('appends nothing when the write fails', async () => {
      const { database } = run();
      await append(database, EVENTS.slice(0, 2));
      const failure = new Error('the write failed');
      const error = await rejection(
        write(database, async (tx) => {
          await appendAuditEvents(tx, EVENTS.slice(2));
          throw failure;
        }),
      );
      expect(error).toBe(failure);
      expect((await lastAuditLink(database))?.id).toBe(2);
      expect(await collect(iterateAuditEvents(database))).toHaveLength(2);
    });

    it('finds a rewritten event when walking the chain', async () => {
      const { database } = run();
      await append(database);
      await write(database, ({ db, t }) =>
        db.update(t.auditEvents).set({ after: '{"enabled":false}' }).where(eq(t.auditEvents.id, 4)),
      );
      expect(await walkAuditChain(database)).toMatchObject({ count: 4, firstBadId: 4, lastId: 3 });
    });

    it('lists newest first, filtered by each field, before an id, up to a limit', async () => {
      const { database } = run();
      await append(database);
      const ids = async (filter: AuditFilter, limit = 100, beforeId?: number) =>
        (await listAuditEvents(database, filter, limit, beforeId)).map((e: AuditEvent) => e.id);
      expect(await ids({})).toEqual([6, 5, 4, 3, 2, 1]);
      expect(await ids({}, 2)).toEqual([6, 5]);
      expect(await ids({}, 2, 5)).toEqual([4, 3]);
      expect(await ids({}, 2, 2 ** 31)).toEqual([6, 5]);
      expect(await ids({ resourceType: 'flag' })).toEqual([6, 5, 3, 2, 1]);
      expect(await ids({ resourceType: 'flag', resourceKey: 'search' })).toEqual([6, 5]);
      expect(await ids({ environment: 'production' })).toEqual([5, 2]);
      expect(await ids({ actor: 'scheduler' })).toEqual([5, 3]);
      expect(await ids({ action: 'flag.config.update' })).toEqual([5, 3, 2]);
      expect(await ids({ since: T1, until: T2 })).toEqual([5, 4, 3, 2]);
      expect(await ids({ since: '2024-05-01T10:00:01Z' })).toEqual([6, 5, 4]);
      expect(await ids({ until: '2024-05-01' })).toEqual([]);
      expect(await ids({ since: '2024-05-01', action: 'flag.config.update', actor: '1' })).toEqual([2]);
      expect(await listAuditEvents(database, { resourceKey: 'missing' }, 10)).toEqual([]);
    });

    it('pages with cursors that cover every event once', async () => {
      const { database } = run();
      const stored = await append(database);
      const seen: AuditEvent[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await pageAuditEvents(database, {}, 4, cursor);
        seen.push(...page.items);
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual([...stored].reverse());
      // A cursor past any id (a client may send any number) starts at the newest event.
      const far = Buffer.from('a:99999999999').toString('base64url');
      expect((await pageAuditEvents(database, {}, 2, far)).items.map((e) => e.id)).toEqual([6, 5]);
      expect((await pageAuditEvents(database, { actor: 'scheduler' }, 1)).items.map((e) => e.id)).toEqual([
        5,
      ]);
    });

    it('iterates oldest first in batches, filtered, after an id; finds an event’s hash', async () => {
      const { database } = run();
      const stored = await append(database);
      expect((await collect(iterateAuditEvents(database, {}, 2))).map((e) => e.id)).toEqual(range(1, 6));
      expect(
        (await collect(iterateAuditEvents(database, { resourceType: 'flag' }, 2))).map((e) => e.id),
      ).toEqual([1, 2, 3, 5, 6]);
      expect((await collect(iterateAuditEvents(database, {}, 4, 3))).map((e) => e.id)).toEqual([4, 5, 6]);
      expect(await auditEventHash(database, 3)).toBe(stored[2]!.hash);
      expect(await auditEventHash(database, 99)).toBeUndefined();
      expect(await auditEventHash(database, 2 ** 31)).toBeUndefined();
      expect(await collect(iterateAuditEvents(database, {}, 4, 2 ** 31))).toEqual([]);
    });
  });

  describe('audit checkpoints', () => {
    it('appends checkpoints and reads the newest and all of them oldest first', async () => {
      const { database } = run();
      expect(await lastAuditCheckpoint(database)).toBeUndefined();
      const stored = await append(database);
      const checkpoints = [];
      for (const event of [stored[1]!, stored[3]!, stored[5]!]) {
        checkpoints.push(
          await write(database, (tx) =>
            insertAuditCheckpoint(tx, {
              eventId: event.id,
              hash: event.hash,
              at: event.at,
              signature: `sig-${UNICODE}`,
              keyId: '0123456789abcdef',
            }),
          ),
        );
      }
      expect(checkpoints[0]).toEqual({
        id: expect.any(Number),
        eventId: 2,
        hash: stored[1]!.hash,
        at: T1,
        signature: `sig-${UNICODE}`,
        keyId: '0123456789abcdef',
      });
      expect(checkpoints[0]!.id).toBeLessThan(checkpoints[1]!.id);
      expect(checkpoints[1]!.id).toBeLessThan(checkpoints[2]!.id);
      expect(await lastAuditCheckpoint(database)).toEqual(checkpoints[2]);
      expect(await collect(iterateAuditCheckpoints(database, 1))).toEqual(checkpoints);
      expect(await collect(iterateAuditCheckpoints(database))).toEqual(checkpoints);
    });
  });
}
