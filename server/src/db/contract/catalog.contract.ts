import { eq, sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { insertChangeRequest } from '../../features/change-requests/change-requests.store.js';
import { findEnvironment } from '../../features/environments/environments.store.js';
import type { FlagRow } from '../../features/flags/flag-model.js';
import {
  findConfig,
  findFlag,
  findSegment,
  insertConfig,
  insertFlag,
  listAllConfigs,
  listConfigsOfFlag,
  listFlags,
  listFlagsWithConfigs,
  listSegments,
  updateConfig,
  updateFlag,
} from '../../features/flags/flags.store.js';
import { DEFAULT_PROJECT } from '../../features/projects/project-scope.js';
import { insertPlan } from '../../features/releases/releases.store.js';
import { addEventCounts } from '../../features/sdk/event-counts.store.js';
import { insertSdkKey, listSdkKeys } from '../../features/sdk-keys/sdk-keys.store.js';
import { deleteSegment, insertSegment, updateSegment } from '../../features/segments/segments.store.js';
import type { Queryable } from '../client.js';
import {
  ACTOR,
  type CurrentRun,
  expectViolation,
  it,
  makeEnvironment,
  makeFlag,
  makeSegment,
  NESTED,
  ODD_KEYS,
  ODD_KEYS_SORTED,
  query,
  rejection,
  T0,
  T1,
  T2,
  UNICODE,
  write,
} from './support.js';

/** A flag config of `flagId` in `environmentId`, with JSON in every JSON column. */
function config(flagId: number, environmentId: number, enabled = true) {
  return {
    flagId,
    environmentId,
    version: 1,
    enabled,
    offVariation: 'off',
    prerequisites: [{ flag: 'other', variation: 'on' }],
    targets: [{ variation: 'on', values: ['user-1', UNICODE] }],
    rules: [
      { id: 'r1', clauses: [{ attribute: 'country', op: 'in', values: ['DE', null, 3.5] }], nested: NESTED },
    ],
    fallthrough: { rollout: [{ variation: 'on', weight: 60_000 }], seed: UNICODE },
    updatedAt: T0,
  };
}

const count = async (q: Queryable, table: string) =>
  Number((await query<{ n: number | string }>(q, sql.raw(`select count(*) as n from ${table}`)))[0]!.n);

/** flags.store.ts (flags and flag configs) and segments.store.ts, and what deleting a parent takes with it. */
export function catalogContract(run: CurrentRun): void {
  describe('flags', () => {
    it('round-trips every column, with the defaults of the optional ones', async () => {
      const { database } = run();
      const full = {
        key: 'checkout',
        name: UNICODE,
        description: UNICODE,
        kind: 'json' as const,
        variations: [
          { id: 'a', value: NESTED },
          { id: 'b', value: [UNICODE, null] },
          // Text columns cannot hold these on PostgreSQL; JSON (escaped) must keep them on both dialects.
          { id: 'c', value: 'nul\u0000 lone\ud800 surrogate' },
        ],
        tags: ['team-🚀', 'beta'],
        owner: 'ada@example.com',
        temporary: false,
        clientSide: true,
        archived: true,
        version: 7,
        createdAt: T0,
        updatedAt: T1,
      };
      const created = await write(database, (tx) => insertFlag(tx, full));
      expect(created).toEqual({ id: expect.any(Number), projectId: DEFAULT_PROJECT.id, ...full });
      // JSON columns keep their members' order (what ETags and hashes are computed from).
      expect(JSON.stringify(created.variations)).toBe(JSON.stringify(full.variations));
      expect(await findFlag(database, 'checkout')).toEqual(created);

      const plain = await makeFlag(database, 'plain');
      expect(plain).toMatchObject({
        description: '',
        tags: [],
        owner: null,
        temporary: true,
        clientSide: false,
        archived: false,
        version: 1,
      });
      expect(await findFlag(database, 'missing')).toBeUndefined();
    });

    it('lists by key in byte order, after a key, by archived state and tag, up to a limit', async () => {
      const { database } = run();
      for (const key of ODD_KEYS) {
        await makeFlag(database, key, { archived: key === 'ab', tags: key.startsWith('a') ? ['a'] : [] });
      }
      const keys = async (options: Parameters<typeof listFlags>[1]) =>
        (await listFlags(database, options)).map((f) => f.key);
      expect(await keys({ limit: 100 })).toEqual(ODD_KEYS_SORTED);
      expect(await keys({ limit: 2 })).toEqual(ODD_KEYS_SORTED.slice(0, 2));
      expect(await keys({ limit: 100, afterKey: 'a.b' })).toEqual(ODD_KEYS_SORTED.slice(3));
      expect(await keys({ limit: 100, archived: true })).toEqual(['ab']);
      expect(await keys({ limit: 100, archived: false })).toEqual(ODD_KEYS_SORTED.filter((k) => k !== 'ab'));
      expect(await keys({ limit: 3, tag: 'a' })).toEqual(['a-b', 'a.b', 'a0']);
      expect(await keys({ limit: 100, tag: 'a', afterKey: 'a0' })).toEqual(['a_b', 'ab']);
    });

    it('pages through every flag with afterKey, each once', async () => {
      const { database } = run();
      for (const key of ODD_KEYS) await makeFlag(database, key);
      const seen: string[] = [];
      let afterKey: string | undefined;
      for (;;) {
        const page = await listFlags(database, { limit: 2, ...(afterKey === undefined ? {} : { afterKey }) });
        if (page.length === 0) break;
        seen.push(...page.map((f) => f.key));
        afterKey = page.at(-1)!.key;
      }
      expect(seen).toEqual(ODD_KEYS_SORTED);
    });

    it('updates the given columns and returns the row after; an unknown id throws', async () => {
      const { database } = run();
      const flag = await makeFlag(database, 'checkout');
      const after = await write(database, (tx) =>
        updateFlag(tx, flag.id, { archived: true, tags: [UNICODE], owner: null, version: 2, updatedAt: T2 }),
      );
      expect(after).toEqual({
        ...flag,
        archived: true,
        tags: [UNICODE],
        owner: null,
        version: 2,
        updatedAt: T2,
      });
      expect(await findFlag(database, 'checkout')).toEqual(after);
      await rejection(write(database, (tx) => updateFlag(tx, flag.id + 1000, { name: 'x' })));
    });

    it('refuses a second flag with the same key', async () => {
      const { database } = run();
      await makeFlag(database, 'checkout');
      await expectViolation(makeFlag(database, 'checkout'), 'unique');
    });
  });

  describe('flag configs', () => {
    it('round-trips a config and updates it, returning the row after', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const flag = await makeFlag(database, 'checkout');
      await write(database, (tx) => insertConfig(tx, config(flag.id, env.id, false)));
      const stored = await findConfig(database, flag.id, env.id);
      expect(stored).toEqual(config(flag.id, env.id, false));
      expect(JSON.stringify(stored?.rules)).toBe(JSON.stringify(config(flag.id, env.id).rules));
      const after = await write(database, (tx) =>
        updateConfig(tx, flag.id, env.id, { enabled: true, version: 2, fallthrough: 'on', updatedAt: T1 }),
      );
      expect(after).toEqual({ ...config(flag.id, env.id), version: 2, fallthrough: 'on', updatedAt: T1 });
      expect(await findConfig(database, flag.id, env.id)).toEqual(after);
      expect(await findConfig(database, flag.id, env.id + 1000)).toBeUndefined();
      await rejection(write(database, (tx) => updateConfig(tx, flag.id, env.id + 1000, { enabled: false })));
    });

    it('refuses a second config of a flag in an environment, and one of an unknown flag', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const flag = await makeFlag(database, 'checkout');
      await write(database, (tx) => insertConfig(tx, config(flag.id, env.id)));
      await expectViolation(
        write(database, (tx) => insertConfig(tx, config(flag.id, env.id))),
        'unique',
      );
      await expectViolation(
        write(database, (tx) => insertConfig(tx, config(flag.id + 1000, env.id))),
        'foreign-key',
      );
    });

    it('lists a flag’s configs by environment, and flags with their config by key', async () => {
      const { database } = run();
      const second = await makeEnvironment(database, 'b-env', 0);
      const first = await makeEnvironment(database, 'a-env', 1);
      const [low, high] = first.id < second.id ? [first, second] : [second, first];
      const flags: FlagRow[] = [];
      for (const key of ODD_KEYS) flags.push(await makeFlag(database, key, { archived: key === 'ab' }));
      await write(database, async (tx) => {
        for (const flag of flags) {
          await insertConfig(tx, config(flag.id, high.id));
          if (flag.key !== 'b') await insertConfig(tx, config(flag.id, low.id));
        }
      });
      const a0 = flags.find((f) => f.key === 'a0')!;
      expect((await listConfigsOfFlag(database, a0.id)).map((c) => c.environmentId)).toEqual([
        low.id,
        high.id,
      ]);

      const inHigh = await listFlagsWithConfigs(database, high.id);
      expect(inHigh.map((r) => r.flag.key)).toEqual(ODD_KEYS_SORTED.filter((k) => k !== 'ab'));
      expect(inHigh[0]).toEqual({
        flag: flags.find((f) => f.key === '0a'),
        config: config(flags.find((f) => f.key === '0a')!.id, high.id),
      });
      expect((await listFlagsWithConfigs(database, high.id, true)).map((r) => r.flag.key)).toEqual(
        ODD_KEYS_SORTED,
      );
      expect((await listFlagsWithConfigs(database, low.id, true)).map((r) => r.flag.key)).toEqual(
        ODD_KEYS_SORTED.filter((k) => k !== 'b'),
      );
      expect((await listAllConfigs(database)).map((r) => `${r.flag.key}@${r.config.environmentId}`)).toEqual(
        ODD_KEYS_SORTED.flatMap((key) =>
          key === 'b' ? [`b@${high.id}`] : [`${key}@${low.id}`, `${key}@${high.id}`],
        ),
      );
    });
  });

  describe('segments', () => {
    it('round-trips, lists by key in byte order, updates and deletes', async () => {
      const { database } = run();
      const values = {
        key: 'beta',
        name: UNICODE,
        description: 'd',
        version: 3,
        included: ['u1', UNICODE],
        excluded: [],
        rules: [{ clauses: [{ attribute: 'plan', op: 'in', values: ['pro'] }], nested: NESTED }],
        createdAt: T0,
        updatedAt: T0,
      };
      const created = await write(database, (tx) => insertSegment(tx, values));
      expect(created).toEqual({ id: expect.any(Number), projectId: DEFAULT_PROJECT.id, ...values });
      expect(await findSegment(database, 'beta')).toEqual(created);
      for (const key of ODD_KEYS) await makeSegment(database, key);
      expect((await listSegments(database)).map((s) => s.key)).toEqual([...ODD_KEYS_SORTED, 'beta'].sort());

      const after = await write(database, (tx) =>
        updateSegment(tx, created.id, { included: [], excluded: ['u2'], version: 4, updatedAt: T1 }),
      );
      expect(after).toEqual({ ...created, included: [], excluded: ['u2'], version: 4, updatedAt: T1 });
      await rejection(write(database, (tx) => updateSegment(tx, created.id + 1000, { name: 'x' })));

      await write(database, (tx) => deleteSegment(tx, created.id));
      expect(await findSegment(database, 'beta')).toBeUndefined();
      await write(database, (tx) => deleteSegment(tx, created.id));
      expect(await listSegments(database)).toHaveLength(ODD_KEYS.length);
    });

    it('refuses a second segment with the same key', async () => {
      const { database } = run();
      await makeSegment(database, 'beta');
      await expectViolation(makeSegment(database, 'beta'), 'unique');
    });
  });

  describe('deleting a parent row', () => {
    it('takes a flag’s configs, change requests and release plans with it', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const flag = await makeFlag(database, 'checkout');
      const kept = await makeFlag(database, 'kept');
      await write(database, async (tx) => {
        for (const f of [flag, kept]) {
          await insertConfig(tx, config(f.id, env.id));
          await insertChangeRequest(tx, {
            flagId: f.id,
            environmentId: env.id,
            kind: 'toggle',
            state: 'pending',
            proposed: {},
            baseVersion: 1,
            author: ACTOR,
            createdAt: T0,
            updatedAt: T0,
          });
          await insertPlan(tx, {
            flagId: f.id,
            environmentId: env.id,
            variation: 'on',
            state: 'running',
            stages: [],
            currentStage: 0,
            stageStartedAt: T0,
            stageHistory: [],
            approvals: [],
            createdBy: ACTOR,
            createdAt: T0,
            updatedAt: T0,
          });
        }
      });
      await write(database, ({ db, t }) => db.delete(t.flags).where(eq(t.flags.id, flag.id)));
      expect(await count(database, 'flag_configs')).toBe(1);
      expect(await count(database, 'change_requests')).toBe(1);
      expect(await count(database, 'release_plans')).toBe(1);
      expect(await findConfig(database, kept.id, env.id)).toBeDefined();
    });

    it('takes an environment’s configs, SDK keys and counts with it', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const other = await makeEnvironment(database, 'staging');
      const flag = await makeFlag(database, 'checkout');
      await write(database, async (tx) => {
        for (const e of [env, other]) {
          await insertConfig(tx, config(flag.id, e.id));
          await insertSdkKey(tx, {
            environmentId: e.id,
            type: 'server',
            keyHash: `hash-${e.key}`,
            prefix: 'srv',
            createdAt: T0,
          });
          await addEventCounts(tx, e.id, {
            exposures: [{ flagKey: 'checkout', variant: 'on', minute: 1, count: 1 }],
            events: [{ event: 'buy', minute: 1, count: 1 }],
          });
        }
      });
      await write(database, ({ db, t }) => db.delete(t.environments).where(eq(t.environments.id, env.id)));
      expect(await findEnvironment(database, 'production')).toBeUndefined();
      expect(await listConfigsOfFlag(database, flag.id)).toEqual([config(flag.id, other.id)]);
      expect(await listSdkKeys(database, env.id)).toEqual([]);
      expect(await listSdkKeys(database, other.id)).toHaveLength(1);
      expect(await count(database, 'exposure_counts')).toBe(1);
      expect(await count(database, 'event_counts')).toBe(1);
    });
  });
}
