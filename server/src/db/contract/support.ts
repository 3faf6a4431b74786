import { ne, type sql } from 'drizzle-orm';
import { expect, it as vitestIt } from 'vitest';
import type { Actor } from '../../features/audit/audit-event.js';
import { insertEnvironment } from '../../features/environments/environments.store.js';
import { insertFlag } from '../../features/flags/flags.store.js';
import { DEFAULT_PROJECT, inProject } from '../../features/projects/project-scope.js';
import { insertSegment } from '../../features/segments/segments.store.js';
import { insertUser } from '../../features/users/users.store.js';
import { type Database, type Dialect, execute, type Queryable } from '../client.js';
import { constraintViolation } from '../portable.js';

/** One dialect's run of the contract: a fresh, migrated database and a second handle on it. */
export interface ContractRun {
  readonly dialect: Dialect;
  /** The database under test. */
  readonly database: Database;
  /** Another handle on the same database, as a second replica holds one (its own connections). */
  readonly replica: Database;
}

/** The run of the dialect being tested; valid inside tests and hooks. */
export type CurrentRun = () => ContractRun;

/** Fixed instants, ISO 8601, in order. */
export const T0 = '2024-05-01T10:00:00.000Z';
export const T1 = '2024-05-01T10:00:01.000Z';
export const T2 = '2024-05-01T10:00:02.000Z';
export const T3 = '2024-05-01T10:00:03.000Z';

/** A count no 32-bit integer holds. */
export const BIG = 3_000_000_000;

/** Strings that must come back exactly: astral emoji, CJK, combining marks, RTL, escapes, line separators. */
export const UNICODE = 'Ünïcödé 🚀👩🏽‍💻 日本語 é (e\u0301) עברית "quotes" \\ back\tslash\nnew\u2028line';

/** Keys whose order differs between byte order and language-aware collations ('_' and '-', digits). */
export const ODD_KEYS = ['b', 'a_b', 'ab', 'a0', 'a.b', 'a-b', '0a'];
/** The same keys in byte (code point) order: what both dialects return. */
export const ODD_KEYS_SORTED = ['0a', 'a-b', 'a.b', 'a0', 'a_b', 'ab', 'b'];

export const ACTOR: Actor = { type: 'user', id: '1', name: 'Ada Lovelace' };

/** A JSON value with every shape a JSON column holds: nesting, nulls, numbers, unicode keys, key order. */
export const NESTED = {
  zeta: 1,
  alpha: [1, -2.5, 1e21, 0, null, true, false, 'x'],
  [UNICODE]: { deeper: [{ empty: {} }, [], [[]]], text: UNICODE },
  big: 9_007_199_254_740_991,
};

/**
 * A contract case: vitest's `it`, with `body` run in the default project, where the stores' lookups by
 * key and their inserts act. A case about another project enters it with `inProject`.
 */
export function it(name: string, body: () => Promise<void>): void {
  vitestIt(name, () => inProject(DEFAULT_PROJECT, body));
}

/** Runs `body` in a transaction of `database` (every write does). */
export function write<T>(database: Database, body: (tx: Queryable) => Promise<T>): Promise<T> {
  return database.transaction(body);
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('expected the promise to reject');
}

/** Asserts that `promise` rejects with a violation of the given kind. */
export async function expectViolation(promise: Promise<unknown>, kind: 'unique' | 'foreign-key') {
  const error = await rejection(promise);
  expect(constraintViolation(error), String(error)).toBe(kind);
}

/** Runs SQL on either dialect (`$1` placeholders are not used: pass values through `sql`). */
export function query<Row = Record<string, unknown>>(q: Queryable, text: ReturnType<typeof sql>) {
  return execute<Row>(q, text);
}

/**
 * Empties every table, children first, so each test starts from a migrated, empty database: one with
 * only the default project, as migrating creates it.
 */
export async function emptyDatabase(database: Database): Promise<void> {
  await database.transaction(async ({ db, t }) => {
    await db.delete(t.projects).where(ne(t.projects.id, DEFAULT_PROJECT.id));
    for (const table of [
      t.projectMembers,
      t.flagConfigs,
      t.sessions,
      t.apiTokens,
      t.sdkKeys,
      t.exposureCounts,
      t.eventCounts,
      t.guardEventCounts,
      t.guardExposureCounts,
      t.changeRequests,
      t.releasePlans,
      t.changeLog,
      t.auditEvents,
      t.auditCheckpoints,
      t.settings,
      t.flags,
      t.segments,
      t.users,
      t.environments,
    ]) {
      await db.delete(table);
    }
  });
}

/** An environment's row as the contract cases insert it (`at`: its creation and update time). */
export function environmentRow(key: string, sortOrder = 0, at = T0) {
  return { key, name: key, sortOrder, createdAt: at, updatedAt: at };
}

/** A boolean flag's row as the contract cases insert it. */
export function flagRow(key: string, values: { archived?: boolean; tags?: string[]; at?: string } = {}) {
  const { at = T0, ...rest } = values;
  return {
    key,
    name: key,
    kind: 'boolean' as const,
    variations: [
      { id: 'on', value: true },
      { id: 'off', value: false },
    ],
    createdAt: at,
    updatedAt: at,
    ...rest,
  };
}

export function makeEnvironment(database: Database, key: string, sortOrder = 0) {
  return write(database, (tx) => insertEnvironment(tx, environmentRow(key, sortOrder)));
}

export function makeFlag(
  database: Database,
  key: string,
  values: { archived?: boolean; tags?: string[] } = {},
) {
  return write(database, (tx) => insertFlag(tx, flagRow(key, values)));
}

export function makeSegment(database: Database, key: string) {
  return write(database, (tx) =>
    insertSegment(tx, {
      key,
      name: key,
      version: 1,
      included: [],
      excluded: [],
      rules: [],
      createdAt: T0,
      updatedAt: T0,
    }),
  );
}

export function makeUser(
  database: Database,
  email: string,
  values: { orgAdmin?: boolean; disabled?: boolean } = {},
) {
  return write(database, (tx) =>
    insertUser(tx, {
      email,
      name: email,
      passwordHash: 'hash',
      createdAt: T0,
      updatedAt: T0,
      ...values,
    }),
  );
}

/** The integers from `from` to `to`, inclusive. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
