import { appendAuditEvent } from '../features/audit/audit.service.js';
import type { Actor, AuditResource } from '../features/audit/audit-event.js';
import { bumpRevision } from '../features/environments/environments.store.js';
import type { Logger } from '../logger.js';
import type { ChangeHub, SdkPatch } from '../stream/change-hub.js';
import type { Db, Queryable } from './client.js';

/** What a write records in the audit trail. */
export interface AuditEntry {
  action: string;
  resource: AuditResource;
  before: unknown;
  after: unknown;
  comment?: string;
  /** The change request this step belongs to (DESIGN §5). */
  changeRequestId?: string;
  /** Whom a system actor acted for (the author of a scheduled change). */
  onBehalfOf?: Actor;
  /** Who the event records, when not the write's actor: a system actor acting for the write's one. */
  actor?: Actor;
}

/** The handle a write's body receives: the transaction, and what to record and publish. */
export interface Write {
  readonly tx: Queryable;
  readonly actor: Actor;
  /** The time of the write, ISO 8601. */
  readonly now: string;
  audit(entry: AuditEntry): void;
  /** Notes that an environment's SDK payload changed: its revision is bumped and the patch published. */
  changed(
    environment: string,
    change: { flags?: Record<string, unknown>; segments?: Record<string, unknown> },
  ): void;
}

/** What {@link runWrite} needs. */
export interface WriteDeps {
  db: Db;
  hub: ChangeHub;
  clock: () => Date;
  logger: Logger;
}

/**
 * Runs one write as one SQLite transaction: the change, its audit events and the revision bump of
 * every environment it affects commit together or not at all. After the commit the patches go to the
 * change hub. The body is synchronous (better-sqlite3), so nothing interleaves with it.
 *
 * @example
 * runWrite(deps, actor, (w) => {
 *   updateConfig(w.tx, …);
 *   w.audit({ action: 'flag.config.update', resource, before, after });
 *   w.changed('production', { flags: { [key]: config } });
 * });
 */
export function runWrite<T>(deps: WriteDeps, actor: Actor, body: (write: Write) => T): T {
  const patches: { environment: string; patch: SdkPatch }[] = [];
  const db = deps.db;
  const result = db.transaction(
    () => {
      // The root handle, not drizzle's tx object: one synchronous connection, so every query below
      // runs inside this transaction, and prepared queries cached per handle can be reused.
      const tx = db;
      const now = deps.clock().toISOString();
      const pending = new Map<
        string,
        { flags: Record<string, unknown>; segments: Record<string, unknown> }
      >();
      const write: Write = {
        tx,
        actor,
        now,
        audit: (entry) => appendAuditEvent(tx, { ...entry, actor: entry.actor ?? actor, at: now }),
        changed: (environment, change) => {
          const entry = pending.get(environment) ?? { flags: {}, segments: {} };
          Object.assign(entry.flags, change.flags);
          Object.assign(entry.segments, change.segments);
          pending.set(environment, entry);
        },
      };
      const value = body(write);
      for (const [environment, change] of pending) {
        const revision = bumpRevision(tx, environment);
        patches.push({ environment, patch: { revision, ...change } });
      }
      return value;
    },
    { behavior: 'immediate' },
  );
  for (const { environment, patch } of patches) {
    try {
      deps.hub.publish(environment, patch);
    } catch (error) {
      // The change is committed; a stream that missed it catches up on reconnect.
      deps.logger.error('publishing a change failed', { environment, error: String(error) });
    }
  }
  return result;
}
