import { describe, expect } from 'vitest';
import { iterateAuditEvents, lastAuditLink } from '../../features/audit/audit.store.js';
import { walkAuditChain } from '../../features/audit/audit-verify.js';
import {
  changesSince,
  currentRevisions,
  findEnvironment,
  insertEnvironment,
} from '../../features/environments/environments.store.js';
import { findFlag, insertFlag, listFlags } from '../../features/flags/flags.store.js';
import { DEFAULT_PROJECT, environmentRef } from '../../features/projects/project-scope.js';
import { findUserByEmail } from '../../features/users/users.store.js';
import { createLogger } from '../../logger.js';
import { ChangeFeed } from '../../stream/change-feed.js';
import { ChangeHub, type SdkPatch } from '../../stream/change-hub.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Database, Queryable } from '../client.js';
import {
  ACTOR,
  type CurrentRun,
  environmentRow,
  expectViolation,
  flagRow,
  it,
  makeEnvironment,
  makeFlag,
  makeUser,
  range,
  rejection,
  T0,
  write,
} from './support.js';

const logger = createLogger('silent');

/** The ref of an environment of the default project. */
const ref = (key: string) => environmentRef(DEFAULT_PROJECT.key, key);

/** A replica's write path: its database handle, a real change feed and hub, and what the hub published. */
interface Replica {
  deps: WriteDeps;
  published: Map<string, number[]>;
  stop(): Promise<void>;
}

async function startReplica(database: Database): Promise<Replica> {
  const hub = new ChangeHub({ logger });
  const feed = new ChangeFeed({ database, hub, logger, pollMs: 60_000 });
  const published = new Map<string, number[]>();
  hub.onPublish((environment: string, patch: SdkPatch) => {
    published.set(environment, [...(published.get(environment) ?? []), patch.revision]);
  });
  await feed.start();
  return {
    deps: { database, changes: feed, clock: () => new Date(T0), logger },
    published,
    async stop() {
      await feed.stop();
      hub.close();
    },
  };
}

/** A flag's config as a patch carries it. */
const patched = (key: string, writer: number) => ({ key, writer, enabled: true });

/** Database.transaction (db/client.ts) and runWrite (write/unit-of-work.ts) over the stores. */
export function transactionsContract(run: CurrentRun): void {
  describe('transactions', () => {
    it('commits what the body wrote and returns its value', async () => {
      const { database, replica } = run();
      const value = await write(database, async (tx) => {
        await insertEnvironment(tx, environmentRow('production'));
        await insertFlag(tx, flagRow('checkout'));
        return 42;
      });
      expect(value).toBe(42);
      expect(await findEnvironment(replica, 'production')).toBeDefined();
      expect(await findFlag(replica, 'checkout')).toBeDefined();
    });

    it('leaves nothing when the body throws, and rethrows its error', async () => {
      const { database } = run();
      const failure = new Error('the body failed');
      const error = await rejection(
        write(database, async (tx) => {
          await insertEnvironment(tx, environmentRow('production'));
          await insertFlag(tx, flagRow('checkout'));
          throw failure;
        }),
      );
      expect(error).toBe(failure);
      expect(await findEnvironment(database, 'production')).toBeUndefined();
      expect(await findFlag(database, 'checkout')).toBeUndefined();
    });

    it('leaves nothing when a statement fails, and the database stays usable', async () => {
      const { database } = run();
      await makeFlag(database, 'taken');
      await expectViolation(
        write(database, async (tx) => {
          await insertEnvironment(tx, environmentRow('production'));
          await insertFlag(tx, flagRow('taken'));
        }),
        'unique',
      );
      expect(await findEnvironment(database, 'production')).toBeUndefined();
      await makeEnvironment(database, 'production');
      expect(await findEnvironment(database, 'production')).toBeDefined();
    });

    it('hides uncommitted rows from another replica until the commit', async () => {
      const { database, replica } = run();
      let seenInside: unknown = 'not read';
      await write(database, async (tx) => {
        await insertEnvironment(tx, environmentRow('production'));
        expect(await findEnvironment(tx, 'production')).toBeDefined();
        seenInside = await findEnvironment(replica, 'production');
      });
      expect(seenInside).toBeUndefined();
      expect(await findEnvironment(replica, 'production')).toBeDefined();
    });

    it('a callback set inside a transaction that runs after it ended starts a transaction of its own', async () => {
      const { database, replica } = run();
      let fire!: () => void;
      const fired = new Promise<void>((resolve) => {
        fire = resolve;
      });
      let later: Promise<unknown> | undefined;
      await write(database, async (tx) => {
        await insertEnvironment(tx, environmentRow('first'));
        // A continuation registered here keeps this transaction's async context after it has ended.
        later = fired.then(() =>
          database.transaction((own) => insertEnvironment(own, environmentRow('later', 1))),
        );
      });
      // Another transaction now holds the connection the first one had; it rolls back. Had the
      // callback joined the ended transaction, its row would have gone into this one, and gone with it.
      await rejection(
        write(database, async (tx) => {
          await insertEnvironment(tx, environmentRow('doomed', 2));
          fire();
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error('this one rolls back');
        }),
      );
      await later;
      expect(await findEnvironment(replica, 'doomed')).toBeUndefined();
      expect(await findEnvironment(replica, 'later')).toBeDefined();
    });

    it('joins a nested transaction to the outer one: it sees the outer rows and commits or rolls back with them', async () => {
      const { database } = run();
      // The inner body sees the outer's uncommitted row; the outer failing later undoes the inner's rows.
      await rejection(
        write(database, async (outer) => {
          await insertEnvironment(outer, environmentRow('outer'));
          await database.transaction(async (inner: Queryable) => {
            expect(await findEnvironment(inner, 'outer')).toBeDefined();
            await insertEnvironment(inner, environmentRow('inner'));
          });
          throw new Error('the outer body failed');
        }),
      );
      expect(await findEnvironment(database, 'outer')).toBeUndefined();
      expect(await findEnvironment(database, 'inner')).toBeUndefined();

      // Joining is not a savepoint: an inner body that throws, caught by the outer, keeps its rows.
      await write(database, async (outer) => {
        await insertEnvironment(outer, environmentRow('outer'));
        const error = await rejection(
          database.transaction(async (inner) => {
            await insertEnvironment(inner, environmentRow('inner'));
            throw new Error('the inner body failed');
          }),
        );
        expect(String(error)).toContain('the inner body failed');
      });
      expect(await findEnvironment(database, 'outer')).toBeDefined();
      expect(await findEnvironment(database, 'inner')).toBeDefined();
    });

    it('commits every one of many concurrent transactions on one handle', async () => {
      const { database } = run();
      await Promise.all(range(1, 20).map((i) => makeFlag(database, `f${String(i).padStart(2, '0')}`)));
      expect((await listFlags(database, { limit: 100 })).map((f) => f.key)).toEqual(
        range(1, 20).map((i) => `f${String(i).padStart(2, '0')}`),
      );
    });
  });

  describe('writes (runWrite)', () => {
    it('commits the change, its audit events, the revision and the change log together, then publishes', async () => {
      const { database } = run();
      await makeEnvironment(database, 'production');
      const replica = await startReplica(database);
      try {
        const result = await runWrite(replica.deps, ACTOR, async (w) => {
          await insertFlag(w.tx, flagRow('checkout', { at: w.now }));
          w.audit({
            action: 'flag.create',
            resource: { type: 'flag', key: 'checkout' },
            before: null,
            after: { key: 'checkout' },
          });
          w.changed(ref('production'), { flags: { checkout: patched('checkout', 0) } });
          w.changed(ref('production'), { segments: { beta: null } });
          return 'done';
        });
        expect(result).toBe('done');
        expect(await currentRevisions(database)).toEqual([{ ref: 'production', revision: 1 }]);
        expect(await changesSince(database, ref('production'), 0, 10, 10)).toEqual([
          {
            environment: 'production',
            revision: 1,
            patch: { flags: { checkout: patched('checkout', 0) }, segments: { beta: null } },
            createdAt: T0,
          },
        ]);
        const [event] = await collect(iterateAuditEvents(database));
        expect(event).toMatchObject({ id: 1, at: T0, actor: ACTOR, action: 'flag.create' });
        expect(replica.published.get('production')).toEqual([1]);
      } finally {
        await replica.stop();
      }
    });

    it('leaves nothing — row, audit event, revision, change, publication — when the body throws', async () => {
      const { database } = run();
      await makeEnvironment(database, 'production');
      await makeUser(database, 'ada@example.com');
      const replica = await startReplica(database);
      try {
        const failure = new Error('the write failed');
        const error = await rejection(
          runWrite(replica.deps, ACTOR, async (w) => {
            await insertFlag(w.tx, flagRow('checkout', { at: w.now }));
            w.audit({
              action: 'flag.create',
              resource: { type: 'flag', key: 'checkout' },
              before: null,
              after: null,
            });
            w.changed(ref('production'), { flags: { checkout: patched('checkout', 0) } });
            w.signal({ type: 'sdk-keys-changed' });
            throw failure;
          }),
        );
        expect(error).toBe(failure);
        expect(await findFlag(database, 'checkout')).toBeUndefined();
        expect(await lastAuditLink(database)).toBeUndefined();
        expect(await currentRevisions(database)).toEqual([{ ref: 'production', revision: 0 }]);
        expect(await changesSince(database, ref('production'), 0, 10, 10)).toEqual([]);
        expect(replica.published.size).toBe(0);
        expect(await findUserByEmail(database, 'ada@example.com')).toBeDefined();
      } finally {
        await replica.stop();
      }
    });

    it('gives concurrent writes from two replicas gap-free revisions per environment, one log row each, and one audit chain', async () => {
      const { dialect, database, replica: other } = run();
      const environments = ['alpha', 'beta'];
      for (const key of environments) await makeEnvironment(database, key);
      // Two replicas on PostgreSQL; on SQLite one process owns the file, so both writers share it.
      const replicas =
        dialect === 'postgres'
          ? [await startReplica(database), await startReplica(other)]
          : [await startReplica(database)];
      const writers = [0, 1].map((writer) => replicas[writer % replicas.length]!);
      const perWriter = 12;
      try {
        await Promise.all(
          writers.flatMap((replica, writer) =>
            range(0, perWriter - 1).map((i) =>
              runWrite(replica.deps, ACTOR, async (w) => {
                const key = `f-${writer}-${i}`;
                const environment = environments[i % environments.length]!;
                await insertFlag(w.tx, flagRow(key, { at: w.now }));
                w.audit({
                  action: 'flag.create',
                  resource: { type: 'flag', key, environment },
                  before: null,
                  after: { key },
                });
                w.changed(ref(environment), { flags: { [key]: patched(key, writer) } });
              }),
            ),
          ),
        );
        const writes = writers.length * perWriter;
        const perEnvironment = writes / environments.length;
        expect(new Map((await currentRevisions(database)).map((r) => [r.ref, r.revision]))).toEqual(
          new Map(environments.map((key) => [key, perEnvironment])),
        );
        for (const environment of environments) {
          const log = await changesSince(database, ref(environment), 0, 1_000, 1_000);
          expect(log.map((row) => row.revision)).toEqual(range(1, perEnvironment));
          const keys = log.flatMap((row) => Object.keys(row.patch.flags));
          const written = writers.flatMap((_, writer) =>
            range(0, perWriter - 1)
              .filter((i) => environments[i % environments.length] === environment)
              .map((i) => `f-${writer}-${i}`),
          );
          expect(keys.sort()).toEqual(written.sort());
        }
        const walk = await walkAuditChain(database);
        expect(walk.firstBadId).toBeUndefined();
        expect(walk.count).toBe(writes);
        expect((await collect(iterateAuditEvents(database))).map((e) => e.id)).toEqual(range(1, writes));
        // Every replica's streams get every revision of every environment, in order, once.
        for (const replica of replicas) {
          await expect
            .poll(() => environments.map((environment) => replica.published.get(environment)), {
              timeout: 10_000,
            })
            .toEqual(environments.map(() => range(1, perEnvironment)));
        }
      } finally {
        for (const replica of replicas) await replica.stop();
      }
    });
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
