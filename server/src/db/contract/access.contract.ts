import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import {
  findApiTokenById,
  findApiTokenWithCreator,
  findTokenCreator,
  insertApiToken,
  listApiTokens,
  listLiveTokensOf,
  markApiTokenRevoked,
} from '../../features/api-tokens/api-tokens.store.js';
import {
  findActiveSessionWithUser,
  insertSession,
  revokeSession,
  revokeUserSessions,
} from '../../features/auth/auth.store.js';
import { findSetting, insertSettingIfAbsent } from '../../features/demo/settings.store.js';
import { DEFAULT_PROJECT } from '../../features/projects/project-scope.js';
import { setMembership } from '../../features/projects/projects.store.js';
import {
  findSdkKeyByHash,
  findSdkKeyIn,
  insertSdkKey,
  listSdkKeys,
  markSdkKeyRevoked,
} from '../../features/sdk-keys/sdk-keys.store.js';
import {
  countActiveAdmins,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  updateUser,
} from '../../features/users/users.store.js';
import { resolveSecret } from '../secret.js';
import {
  type CurrentRun,
  expectViolation,
  it,
  makeEnvironment,
  makeUser,
  rejection,
  T0,
  T1,
  T2,
  T3,
  UNICODE,
  write,
} from './support.js';

function token(name: string, createdBy: number | null, environments: string[] | null = null) {
  return {
    name,
    tokenHash: `hash-${name}`,
    prefix: 'rf_',
    role: 'editor' as const,
    environments,
    createdBy,
    createdAt: T0,
  };
}

/** users.store.ts, auth.store.ts (sessions), api-tokens.store.ts, sdk-keys.store.ts, settings and the secret. */
export function accessContract(run: CurrentRun): void {
  describe('users', () => {
    it('round-trips every column, finds by exact email and id, lists oldest first', async () => {
      const { database } = run();
      const values = {
        email: 'Ada@Example.com',
        name: UNICODE,
        orgAdmin: true,
        passwordHash: '$scrypt$…',
        disabled: true,
        ssoIssuer: 'https://idp.example.com',
        ssoSubject: UNICODE,
        createdAt: T0,
        updatedAt: T1,
      };
      const ada = await write(database, (tx) => insertUser(tx, values));
      expect(ada).toEqual({ id: expect.any(Number), ...values });
      const bob = await makeUser(database, 'bob@example.com');
      expect(bob.disabled).toBe(false);
      expect(await findUserByEmail(database, 'Ada@Example.com')).toEqual(ada);
      expect(await findUserByEmail(database, 'ada@example.com')).toBeUndefined();
      expect(await findUserById(database, bob.id)).toEqual(bob);
      expect(await findUserById(database, bob.id + 1000)).toBeUndefined();
      expect(await findUserById(database, 2 ** 31)).toBeUndefined();
      expect((await listUsers(database)).map((u) => u.email)).toEqual(['Ada@Example.com', 'bob@example.com']);
    });

    it('updates the given columns and returns the row after; an unknown id throws', async () => {
      const { database } = run();
      const user = await makeUser(database, 'ada@example.com');
      const after = await write(database, (tx) => updateUser(tx, user.id, { disabled: true, updatedAt: T2 }));
      expect(after).toEqual({ ...user, disabled: true, updatedAt: T2 });
      await rejection(write(database, (tx) => updateUser(tx, user.id + 1000, { name: 'x' })));
    });

    it('counts enabled organisation admins only', async () => {
      const { database } = run();
      expect(await countActiveAdmins(database)).toBe(0);
      await makeUser(database, 'a@example.com', { orgAdmin: true });
      await makeUser(database, 'b@example.com', { orgAdmin: true, disabled: true });
      const projectAdmin = await makeUser(database, 'c@example.com');
      await write(database, (tx) => setMembership(tx, DEFAULT_PROJECT.id, projectAdmin.id, 'admin'));
      await makeUser(database, 'd@example.com', { orgAdmin: true });
      expect(await countActiveAdmins(database)).toBe(2);
    });

    it('refuses a second user with the same email', async () => {
      const { database } = run();
      await makeUser(database, 'ada@example.com');
      await expectViolation(makeUser(database, 'ada@example.com'), 'unique');
    });
  });

  describe('sessions', () => {
    it('finds a live session with its user; revoked ones are not found', async () => {
      const { database } = run();
      const user = await makeUser(database, 'ada@example.com', { orgAdmin: true });
      await write(database, (tx) =>
        insertSession(tx, { id: 's1', userId: user.id, createdAt: T0, expiresAt: T3 }),
      );
      expect(await findActiveSessionWithUser(database, 's1')).toEqual({
        session: { id: 's1', userId: user.id, createdAt: T0, expiresAt: T3, revokedAt: null },
        user,
      });
      expect(await findActiveSessionWithUser(database, 'missing')).toBeUndefined();
      await write(database, (tx) => revokeSession(tx, 's1', T1));
      expect(await findActiveSessionWithUser(database, 's1')).toBeUndefined();
    });

    it('revokes every live session of one user, keeping when earlier ones were revoked', async () => {
      const { database, replica } = run();
      const ada = await makeUser(database, 'ada@example.com');
      const bob = await makeUser(database, 'bob@example.com');
      await write(database, async (tx) => {
        for (const [id, userId] of [
          ['a1', ada.id],
          ['a2', ada.id],
          ['a3', ada.id],
          ['b1', bob.id],
        ] as const) {
          await insertSession(tx, { id, userId, createdAt: T0, expiresAt: T3 });
        }
        await revokeSession(tx, 'a3', T1);
      });
      await write(database, (tx) => revokeUserSessions(tx, ada.id, T2));
      const revokedAt = async (id: string) => {
        const [row] = await replica.db.select().from(replica.t.sessions).where(eq(replica.t.sessions.id, id));
        return row?.revokedAt;
      };
      expect([
        await revokedAt('a1'),
        await revokedAt('a2'),
        await revokedAt('a3'),
        await revokedAt('b1'),
      ]).toEqual([T2, T2, T1, null]);
      expect(await findActiveSessionWithUser(database, 'b1')).toBeDefined();
    });

    it('refuses a duplicate session id and a session of an unknown user; deleting the user ends its sessions', async () => {
      const { database } = run();
      const user = await makeUser(database, 'ada@example.com');
      const session = { id: 's1', userId: user.id, createdAt: T0, expiresAt: T3 };
      await write(database, (tx) => insertSession(tx, session));
      await expectViolation(
        write(database, (tx) => insertSession(tx, session)),
        'unique',
      );
      await expectViolation(
        write(database, (tx) => insertSession(tx, { ...session, id: 's2', userId: user.id + 1000 })),
        'foreign-key',
      );
      await write(database, ({ db, t }) => db.delete(t.users).where(eq(t.users.id, user.id)));
      const left = await database.db.select().from(database.t.sessions);
      expect(left).toEqual([]);
    });
  });

  describe('API tokens', () => {
    it('round-trips, lists oldest first, finds by id and by hash with the creator', async () => {
      const { database } = run();
      const ada = await makeUser(database, 'ada@example.com');
      const scoped = await write(database, (tx) =>
        insertApiToken(tx, token('ci', ada.id, ['production', UNICODE])),
      );
      expect(scoped).toEqual({
        id: expect.any(Number),
        projectId: DEFAULT_PROJECT.id,
        ...token('ci', ada.id, ['production', UNICODE]),
        revokedAt: null,
      });
      const global = await write(database, (tx) => insertApiToken(tx, token('ops', null)));
      expect(global.environments).toBeNull();
      expect(global.createdBy).toBeNull();

      expect((await listApiTokens(database)).map((t) => t.name)).toEqual(['ci', 'ops']);
      expect(await findApiTokenById(database, scoped.id)).toEqual(scoped);
      expect(await findApiTokenById(database, global.id + 1000)).toBeUndefined();
      expect(await findApiTokenWithCreator(database, 'hash-ci')).toEqual({ token: scoped, creator: ada });
      expect(await findApiTokenWithCreator(database, 'hash-ops')).toEqual({ token: global, creator: null });
      expect(await findApiTokenWithCreator(database, 'hash-missing')).toBeUndefined();
      expect(await findTokenCreator(database, scoped.id)).toBe(ada.id);
      expect(await findTokenCreator(database, global.id)).toBeNull();
      expect(await findTokenCreator(database, global.id + 1000)).toBeNull();
      expect(await findApiTokenById(database, 2 ** 31)).toBeUndefined();
      expect(await findTokenCreator(database, 2 ** 31)).toBeNull();
    });

    it('revokes a token and lists the live tokens a user created', async () => {
      const { database } = run();
      const ada = await makeUser(database, 'ada@example.com');
      const bob = await makeUser(database, 'bob@example.com');
      const first = await write(database, (tx) => insertApiToken(tx, token('one', ada.id)));
      await write(database, (tx) => insertApiToken(tx, token('two', ada.id)));
      await write(database, (tx) => insertApiToken(tx, token('three', bob.id)));
      await write(database, (tx) => insertApiToken(tx, token('four', ada.id)));
      const revoked = await write(database, (tx) => markApiTokenRevoked(tx, first.id, T1));
      expect(revoked).toEqual({ ...first, revokedAt: T1 });
      expect((await listLiveTokensOf(database, ada.id)).map((t) => t.name)).toEqual(['two', 'four']);
      await rejection(write(database, (tx) => markApiTokenRevoked(tx, first.id + 1000, T1)));
    });

    it('refuses a duplicate hash and an unknown creator', async () => {
      const { database } = run();
      const ada = await makeUser(database, 'ada@example.com');
      await write(database, (tx) => insertApiToken(tx, token('ci', ada.id)));
      await expectViolation(
        write(database, (tx) => insertApiToken(tx, token('ci', null))),
        'unique',
      );
      await expectViolation(
        write(database, (tx) => insertApiToken(tx, token('other', ada.id + 1000))),
        'foreign-key',
      );
    });
  });

  describe('SDK keys', () => {
    it('round-trips, finds by hash with the environment key, lists per environment oldest first, revokes', async () => {
      const { database } = run();
      const production = await makeEnvironment(database, 'production');
      const staging = await makeEnvironment(database, 'staging');
      const key = (environmentId: number, hash: string, type: 'server' | 'client' = 'server') =>
        write(database, (tx) =>
          insertSdkKey(tx, { environmentId, type, keyHash: hash, prefix: 'srv', createdAt: T0 }),
        );
      const first = await key(production.id, 'h1');
      expect(first).toEqual({
        id: expect.any(Number),
        environmentId: production.id,
        type: 'server',
        keyHash: 'h1',
        prefix: 'srv',
        createdAt: T0,
        revokedAt: null,
      });
      const second = await key(production.id, 'h2', 'client');
      await key(staging.id, 'h3');
      expect(await findSdkKeyByHash(database, 'h2')).toEqual({
        id: second.id,
        type: 'client',
        environmentId: production.id,
        keyHash: 'h2',
        revokedAt: null,
        environment: 'production',
      });
      expect(await findSdkKeyByHash(database, 'missing')).toBeUndefined();
      expect((await listSdkKeys(database, production.id)).map((k) => k.keyHash)).toEqual(['h1', 'h2']);
      expect(await findSdkKeyIn(database, production.id, first.id)).toEqual(first);
      expect(await findSdkKeyIn(database, staging.id, first.id)).toBeUndefined();
      expect(await findSdkKeyIn(database, production.id, 2 ** 31)).toBeUndefined();

      expect(await write(database, (tx) => markSdkKeyRevoked(tx, first.id, T2))).toEqual({
        ...first,
        revokedAt: T2,
      });
      expect((await findSdkKeyByHash(database, 'h1'))?.revokedAt).toBe(T2);
      await rejection(write(database, (tx) => markSdkKeyRevoked(tx, first.id + 1000, T2)));
    });

    it('refuses a duplicate hash and an unknown environment', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const values = {
        environmentId: env.id,
        type: 'server' as const,
        keyHash: 'h1',
        prefix: 'srv',
        createdAt: T0,
      };
      await write(database, (tx) => insertSdkKey(tx, values));
      await expectViolation(
        write(database, (tx) => insertSdkKey(tx, values)),
        'unique',
      );
      await expectViolation(
        write(database, (tx) => insertSdkKey(tx, { ...values, keyHash: 'h2', environmentId: env.id + 1000 })),
        'foreign-key',
      );
    });
  });

  describe('settings and the shared secret', () => {
    it('keeps the first value of a setting', async () => {
      const { database } = run();
      expect(await findSetting(database, 'demo')).toBeUndefined();
      await write(database, (tx) => insertSettingIfAbsent(tx, 'demo', UNICODE));
      await write(database, (tx) => insertSettingIfAbsent(tx, 'demo', 'second'));
      expect(await findSetting(database, 'demo')).toBe(UNICODE);
    });

    it('uses the configured secret as is, and stores nothing', async () => {
      const { database } = run();
      expect(Buffer.from(await resolveSecret(database, 'configured ✓')).toString()).toBe('configured ✓');
      expect(await findSetting(database, 'jwt_secret')).toBeUndefined();
    });

    it('generates one secret that every replica of the database shares', async () => {
      const { dialect, database, replica } = run();
      // Replicas start together on PostgreSQL. Two SQLite handles in one process cannot overlap their
      // transactions (the second would wait on a lock the first, on the same thread, cannot release);
      // SQLite has one process per file, so there the two handles take turns.
      const secrets =
        dialect === 'postgres'
          ? await Promise.all(
              [database, replica, database, replica].map((handle) => resolveSecret(handle, undefined)),
            )
          : [await resolveSecret(database, undefined), await resolveSecret(replica, undefined)];
      const encoded = secrets.map((secret) => Buffer.from(secret).toString('base64url'));
      expect(new Set(encoded).size).toBe(1);
      expect(secrets[0]!.length).toBe(48);
      expect(await findSetting(database, 'jwt_secret')).toBe(encoded[0]);
      expect(Buffer.from(await resolveSecret(replica, undefined)).toString('base64url')).toBe(encoded[0]);
    });
  });
}
