import { type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Queryable } from './client.js';
import { errorChain } from './unavailable.js';

/**
 * What stores use so that one query means the same on SQLite and PostgreSQL where the two engines
 * differ: text order, the range of integer columns, and the errors of integrity rules.
 */

/**
 * A text column to order and compare by in byte (code point) order, on both dialects: SQLite's default
 * BINARY collation, and PostgreSQL's "C" collation whatever the database's default one is (a
 * language-aware default such as en_US sorts `a_b` before `a-b` and `a0`, unlike SQLite).
 *
 * @example
 * db.select().from(t.flags).where(gt(inByteOrder(q, t.flags.key), afterKey)).orderBy(asc(inByteOrder(q, t.flags.key)));
 */
export function inByteOrder({ dialect }: Queryable, column: SQLiteColumn): SQL {
  return dialect === 'postgres' ? sql`${column} collate "C"` : sql`${column}`;
}

/** The largest value an integer column holds on both dialects (PostgreSQL's `integer` has 32 bits). */
export const MAX_INTEGER = 2_147_483_647;

/**
 * Whether `value` fits an integer column on both dialects. An id or bound outside it names no row; as a
 * query parameter PostgreSQL refuses it ("out of range for type integer") where SQLite finds nothing.
 */
export function fitsInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value >= -MAX_INTEGER - 1 && value <= MAX_INTEGER;
}

/** Which integrity rule a failed statement broke. */
export type ConstraintViolation = 'unique' | 'foreign-key';

/** SQLite's extended result codes and PostgreSQL's SQLSTATEs for the violations callers handle. */
const CODES: Record<string, ConstraintViolation> = {
  SQLITE_CONSTRAINT_UNIQUE: 'unique',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign-key',
  '23505': 'unique',
  '23503': 'foreign-key',
};

/**
 * The integrity rule a database error broke, the same on both dialects: a duplicate key is `'unique'`,
 * a missing or still-referenced row `'foreign-key'`; `undefined` for anything else. SQLite's error comes
 * as is, PostgreSQL's wrapped by drizzle (as the `cause` of a query error), so the causes are searched.
 * On PostgreSQL the failed statement also ends the transaction: a write cannot go on after it.
 *
 * @example
 * try { await insertFlag(w.tx, values); }
 * catch (error) { if (constraintViolation(error) === 'unique') throw new ConflictError(…); throw error; }
 */
export function constraintViolation(error: unknown): ConstraintViolation | undefined {
  for (const cause of errorChain(error)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(CODES, code)) return CODES[code];
  }
  return undefined;
}
