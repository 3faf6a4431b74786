import { sql } from 'drizzle-orm';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { execute, type Queryable } from '../../db/client.js';
import type { ClusterSignal } from '../../write/cluster-signal.js';
import type { AuditEntry, Write } from '../../write/unit-of-work.js';

/** Runs a statement that returns no rows (SQLite refuses to read rows from one). */
async function statement(q: Queryable, text: string): Promise<void> {
  if (q.dialect === 'postgres') await execute(q, sql.raw(text));
  else (q.db as unknown as BaseSQLiteDatabase<'sync', unknown>).run(sql.raw(text));
}

/**
 * Runs part of a write tentatively, inside a savepoint of its transaction: when `body` throws,
 * everything it wrote is undone — its rows, and the audit events, payload changes and signals it
 * noted — and the error rethrown, while the write goes on. `name` must be a plain identifier.
 *
 * @example
 * await tentatively(w, `change_request_${id}`, (inner) => writeConfig(inner, located, next, entry));
 */
export async function tentatively<T>(w: Write, name: string, body: (inner: Write) => Promise<T>): Promise<T> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a savepoint name: ${name}`);
  const audits: AuditEntry[] = [];
  const changes: Parameters<Write['changed']>[] = [];
  const signals: ClusterSignal[] = [];
  const inner: Write = {
    ...w,
    audit: (entry) => {
      audits.push(entry);
    },
    changed: (...change) => {
      changes.push(change);
    },
    signal: (signal) => {
      signals.push(signal);
    },
  };
  await statement(w.tx, `savepoint ${name}`);
  let result: T;
  try {
    result = await body(inner);
  } catch (error) {
    await statement(w.tx, `rollback to savepoint ${name}`);
    await statement(w.tx, `release savepoint ${name}`);
    throw error;
  }
  await statement(w.tx, `release savepoint ${name}`);
  for (const entry of audits) w.audit(entry);
  for (const change of changes) w.changed(...change);
  for (const signal of signals) w.signal(signal);
  return result;
}
