import { sql } from 'drizzle-orm';
import { executeStatement } from '../db/client.js';
import type { ClusterSignal } from './cluster-signal.js';
import type { AuditEntry, Write } from './unit-of-work.js';

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
  await executeStatement(w.tx, sql.raw(`savepoint ${name}`));
  let result: T;
  try {
    result = await body(inner);
  } catch (error) {
    await executeStatement(w.tx, sql.raw(`rollback to savepoint ${name}`));
    await executeStatement(w.tx, sql.raw(`release savepoint ${name}`));
    throw error;
  }
  await executeStatement(w.tx, sql.raw(`release savepoint ${name}`));
  for (const entry of audits) w.audit(entry);
  for (const change of changes) w.changed(...change);
  for (const signal of signals) w.signal(signal);
  return result;
}
