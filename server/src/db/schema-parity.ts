/**
 * Compile-time check that schema.pg.ts mirrors schema.ts: both export the same tables, and every table's
 * select and insert row types are identical (property names, optionality and types). Stores are written
 * once against the SQLite tables and run on PostgreSQL too, so a difference must not compile. `tsc`
 * reports a mismatch as a `table.column` (or table name) that "does not satisfy the constraint 'never'".
 * Types only: the emitted module is empty.
 */
import type { Table } from 'drizzle-orm';
import type * as sqlite from './schema.js';
import type * as pg from './schema.pg.js';

/** The table exports of a schema module. */
type Tables<M> = { [K in keyof M as M[K] extends Table ? K : never]: M[K] };

type SqliteTables = Tables<typeof sqlite>;
type PgTables = Tables<typeof pg>;
type SharedTable = keyof SqliteTables & keyof PgTables;

/** Exact type equality: also tells apart optional from required, `readonly`, and `any`. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** The `table.column` names whose property differs between two row types, or is missing from one. */
type ColumnMismatches<Name extends string, A, B> = {
  [C in keyof A | keyof B]: C extends keyof A
    ? C extends keyof B
      ? Equal<Pick<A, C>, Pick<B, C>> extends true
        ? never
        : `${Name}.${C & string}`
      : `${Name}.${C & string}`
    : `${Name}.${C & string}`;
}[keyof A | keyof B];

type RowMismatches<Row extends '$inferSelect' | '$inferInsert'> = {
  [K in SharedTable]: ColumnMismatches<K & string, SqliteTables[K][Row], PgTables[K][Row]>;
}[SharedTable];

/** A whole-row backstop, should a difference escape the per-column comparison. */
type TableMismatches<Row extends '$inferSelect' | '$inferInsert'> = {
  [K in SharedTable]: Equal<SqliteTables[K][Row], PgTables[K][Row]> extends true ? never : K;
}[SharedTable];

type AssertNone<T extends never> = T;

/** Tables exported by only one of the two schema files. */
export type UnmatchedTables = AssertNone<
  Exclude<keyof SqliteTables, keyof PgTables> | Exclude<keyof PgTables, keyof SqliteTables>
>;
export type SelectColumnMismatches = AssertNone<RowMismatches<'$inferSelect'>>;
export type InsertColumnMismatches = AssertNone<RowMismatches<'$inferInsert'>>;
export type SelectRowMismatches = AssertNone<TableMismatches<'$inferSelect'>>;
export type InsertRowMismatches = AssertNone<TableMismatches<'$inferInsert'>>;
