import { describe, expect } from 'vitest';
import {
  appendChange,
  bumpRevision,
  changesSince,
  currentRevisions,
  findEnvironment,
  findEnvironmentById,
  insertEnvironment,
  listAllEnvironments,
  listEnvironments,
  pruneChangeLog,
  updateEnvironment,
} from '../../features/environments/environments.store.js';
import { DEFAULT_PROJECT, environmentRef, inProject } from '../../features/projects/project-scope.js';
import { insertProject } from '../../features/projects/projects.store.js';
import {
  type CurrentRun,
  expectViolation,
  it,
  makeEnvironment,
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

/** The ref of an environment of the default project. */
const ref = (key: string) => environmentRef(DEFAULT_PROJECT.key, key);

/** environments.store.ts: environments, their revisions and the change log. */
export function environmentsContract(run: CurrentRun): void {
  describe('environments', () => {
    it('round-trips every column, with the defaults of the optional ones', async () => {
      const { database } = run();
      const created = await write(database, (tx) =>
        insertEnvironment(tx, {
          key: 'staging',
          name: UNICODE,
          sortOrder: 2,
          requireApproval: true,
          corsOrigins: ['https://app.example.com', '*'],
          createdAt: T0,
          updatedAt: T1,
        }),
      );
      expect(created).toEqual({
        id: expect.any(Number),
        projectId: DEFAULT_PROJECT.id,
        key: 'staging',
        ref: 'staging',
        name: UNICODE,
        sortOrder: 2,
        requireApproval: true,
        corsOrigins: ['https://app.example.com', '*'],
        revision: 0,
        createdAt: T0,
        updatedAt: T1,
      });
      expect(await findEnvironment(database, 'staging')).toEqual(created);
      expect(await findEnvironmentById(database, created.id)).toEqual(created);

      const plain = await makeEnvironment(database, 'plain');
      expect(plain.requireApproval).toBe(false);
      expect(plain.corsOrigins).toEqual([]);
      expect(plain.revision).toBe(0);
      expect(await findEnvironment(database, 'missing')).toBeUndefined();
      expect(await findEnvironmentById(database, plain.id + 1000)).toBeUndefined();
      expect(await findEnvironmentById(database, 2 ** 31)).toBeUndefined();
    });

    it('lists by sort order, then by id', async () => {
      const { database } = run();
      await makeEnvironment(database, 'c', 1);
      await makeEnvironment(database, 'a', 0);
      await makeEnvironment(database, 'b', 1);
      expect((await listEnvironments(database)).map((e) => e.key)).toEqual(['a', 'c', 'b']);
    });

    it('updates the given columns and returns the row after; an unknown id throws', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const after = await write(database, (tx) =>
        updateEnvironment(tx, env.id, { requireApproval: true, corsOrigins: [UNICODE], updatedAt: T2 }),
      );
      expect(after).toEqual({ ...env, requireApproval: true, corsOrigins: [UNICODE], updatedAt: T2 });
      expect(await findEnvironment(database, 'production')).toEqual(after);
      await rejection(write(database, (tx) => updateEnvironment(tx, env.id + 1000, { name: 'x' })));
    });

    it('refuses a second environment with the same key', async () => {
      const { database } = run();
      await makeEnvironment(database, 'production');
      await expectViolation(makeEnvironment(database, 'production'), 'unique');
      expect(await listEnvironments(database)).toHaveLength(1);
    });

    it('keeps the same key apart in two projects, each with its own ref', async () => {
      const { database } = run();
      const p2 = await write(database, (tx) =>
        insertProject(tx, { key: 'p2', name: 'P2', createdAt: T0, updatedAt: T0 }),
      );
      expect(p2.id).not.toBe(DEFAULT_PROJECT.id);
      const own = await makeEnvironment(database, 'production');
      const other = await inProject(p2, () => makeEnvironment(database, 'production'));
      expect(own).toMatchObject({ projectId: DEFAULT_PROJECT.id, key: 'production', ref: 'production' });
      expect(other).toMatchObject({ projectId: p2.id, key: 'production', ref: 'p2/production' });
      expect(await findEnvironment(database, 'production')).toEqual(own);
      expect(await inProject(p2, () => findEnvironment(database, 'production'))).toEqual(other);
      expect(await listEnvironments(database)).toEqual([own]);
      expect(await listAllEnvironments(database)).toEqual([own, other]);
    });
  });

  describe('revisions and the change log', () => {
    it('bumps one environment’s revision by one and returns it; unknown environments throw', async () => {
      const { database } = run();
      await makeEnvironment(database, 'production');
      await makeEnvironment(database, 'staging');
      const bumped = [];
      for (let i = 0; i < 3; i++)
        bumped.push(await write(database, (tx) => bumpRevision(tx, ref('production'))));
      expect(bumped).toEqual([1, 2, 3]);
      expect(await write(database, (tx) => bumpRevision(tx, ref('staging')))).toBe(1);
      expect(new Map((await currentRevisions(database)).map((r) => [r.ref, r.revision]))).toEqual(
        new Map([
          ['production', 3],
          ['staging', 1],
        ]),
      );
      expect((await findEnvironment(database, 'production'))?.revision).toBe(3);
      await rejection(write(database, (tx) => bumpRevision(tx, ref('missing'))));
    });

    it('serves the changes after one revision up to another, oldest first, bounded, with patches intact', async () => {
      const { database } = run();
      const patch = (n: number) => ({
        flags: { [`f${n}`]: { n, nested: NESTED }, removed: null },
        segments: {},
      });
      await write(database, async (tx) => {
        for (const revision of [3, 1, 5, 2, 4]) {
          await appendChange(tx, {
            environment: ref('production'),
            revision,
            patch: patch(revision),
            createdAt: T0,
          });
        }
        await appendChange(tx, { environment: ref('staging'), revision: 2, patch: patch(99), createdAt: T0 });
      });
      const rows = await changesSince(database, ref('production'), 1, 4, 100);
      expect(rows).toEqual(
        [2, 3, 4].map((revision) => ({
          environment: ref('production'),
          revision,
          patch: patch(revision),
          createdAt: T0,
        })),
      );
      expect(JSON.stringify(rows[0]!.patch)).toBe(JSON.stringify(patch(2)));
      expect((await changesSince(database, ref('production'), 0, 5, 2)).map((r) => r.revision)).toEqual([
        1, 2,
      ]);
      expect(await changesSince(database, ref('production'), 5, 9, 100)).toEqual([]);
      // No upper bound: past any revision (what a replica catching up asks for).
      expect(
        (await changesSince(database, ref('production'), 3, Number.MAX_SAFE_INTEGER, 100)).map(
          (r) => r.revision,
        ),
      ).toEqual([4, 5]);
      expect(await changesSince(database, ref('production'), 2 ** 31, Number.MAX_SAFE_INTEGER, 100)).toEqual(
        [],
      );
      expect((await changesSince(database, ref('staging'), 0, 9, 100)).map((r) => r.revision)).toEqual([2]);
    });

    it('refuses a second change for the same environment and revision', async () => {
      const { database } = run();
      const row = {
        environment: ref('production'),
        revision: 1,
        patch: { flags: {}, segments: {} },
        createdAt: T0,
      };
      await write(database, (tx) => appendChange(tx, row));
      await expectViolation(
        write(database, (tx) => appendChange(tx, row)),
        'unique',
      );
      await write(database, (tx) => appendChange(tx, { ...row, environment: ref('staging') }));
    });

    it('prunes the changes written strictly before a time and says how many', async () => {
      const { database } = run();
      const times = [T0, T1, T2, T3];
      await write(database, async (tx) => {
        for (const [i, createdAt] of times.entries()) {
          await appendChange(tx, {
            environment: ref('production'),
            revision: i + 1,
            patch: { flags: {}, segments: {} },
            createdAt,
          });
        }
      });
      expect(await write(database, (tx) => pruneChangeLog(tx, T2))).toBe(2);
      expect((await changesSince(database, ref('production'), 0, 10, 10)).map((r) => r.revision)).toEqual(
        range(3, 4),
      );
      expect(await write(database, (tx) => pruneChangeLog(tx, T0))).toBe(0);
    });
  });
}
