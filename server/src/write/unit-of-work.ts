import type { Database, Queryable } from '../db/client.js';
import type { EnvironmentRef } from '../db/schema.js';
import { appendAuditEvents } from '../features/audit/audit.service.js';
import { lockAuditChain } from '../features/audit/audit.store.js';
import type { Actor, AuditResource } from '../features/audit/audit-event.js';
import { appendChange, bumpRevision } from '../features/environments/environments.store.js';
import { projectInScopeOrNone } from '../features/projects/project-scope.js';
import type { Logger } from '../logger.js';
import type { SdkPatch } from '../stream/change-hub.js';
import type { ClusterSignal } from './cluster-signal.js';

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
  /**
   * The key of the project the event happened in: the project in scope when absent; null for an
   * organisation event (users, projects) recorded inside a project.
   */
  project?: string | null;
}

/** The handle a write's body receives: the transaction, and what to record and publish. */
export interface Write {
  readonly tx: Queryable;
  readonly actor: Actor;
  /** The time of the write, ISO 8601. */
  readonly now: string;
  /** Records an audit event; events are chained in the order recorded, when the body is done. */
  audit(entry: AuditEntry): void;
  /** Notes that an environment's SDK payload changed: its revision is bumped and the patch published. */
  changed(
    environment: EnvironmentRef,
    change: { flags?: Record<string, unknown>; segments?: Record<string, unknown> },
  ): void;
  /** Tells every replica, after the commit, to drop what it caches about a key, token or user. */
  signal(signal: ClusterSignal): void;
}

/** Where committed changes go: the change feed, which publishes them to this replica's streams and tells the others. */
export interface CommittedChanges {
  /** Inside the transaction: makes the other replicas look at the log once it commits (NOTIFY on PostgreSQL). */
  announce(
    tx: Queryable,
    environments: { environment: EnvironmentRef; revision: number }[],
    signals: ClusterSignal[],
  ): Promise<void>;
  /** After the commit: the patches, in revision order per environment, and the signals. */
  committed(patches: { environment: EnvironmentRef; patch: SdkPatch }[], signals: ClusterSignal[]): void;
}

/** What {@link runWrite} needs. */
export interface WriteDeps {
  database: Database;
  changes: CommittedChanges;
  clock: () => Date;
  logger: Logger;
}

/**
 * Runs one write as one transaction: the change, its audit events, the revision bump and change-log
 * row of every environment it affects commit together or not at all. Audit events are appended when
 * the body is done, under the chain's lock (PostgreSQL: an advisory lock taken first, so two replicas
 * writing at once cannot fork the chain). After the commit the patches go to the change feed.
 *
 * @example
 * await runWrite(deps, actor, async (w) => {
 *   await updateConfig(w.tx, …);
 *   w.audit({ action: 'flag.config.update', resource, before, after });
 *   w.changed('production', { flags: { [key]: config } });
 * });
 */
export async function runWrite<T>(
  deps: WriteDeps,
  actor: Actor,
  body: (write: Write) => Promise<T> | T,
): Promise<T> {
  const patches: { environment: EnvironmentRef; patch: SdkPatch }[] = [];
  const signals: ClusterSignal[] = [];
  const result = await deps.database.transaction(async (tx) => {
    // Any write may append to the audit chain: on PostgreSQL writes take turns on it from their start,
    // so two replicas cannot fork it and no lock is taken in a different order.
    await lockAuditChain(tx);
    const now = deps.clock().toISOString();
    const audits: (AuditEntry & { project: string | undefined })[] = [];
    const pending = new Map<
      EnvironmentRef,
      { flags: Record<string, unknown>; segments: Record<string, unknown> }
    >();
    const write: Write = {
      tx,
      actor,
      now,
      audit: (entry) => {
        const project =
          entry.project === undefined ? projectInScopeOrNone()?.key : (entry.project ?? undefined);
        audits.push({ ...entry, project });
      },
      changed: (environment, change) => {
        const entry = pending.get(environment) ?? { flags: {}, segments: {} };
        Object.assign(entry.flags, change.flags);
        Object.assign(entry.segments, change.segments);
        pending.set(environment, entry);
      },
      signal: (signal) => {
        signals.push(signal);
      },
    };
    const value = await body(write);
    await appendAuditEvents(
      tx,
      audits.map((entry) => ({ ...entry, actor: entry.actor ?? actor, at: now })),
    );
    const revisions: { environment: EnvironmentRef; revision: number }[] = [];
    for (const [environment, change] of pending) {
      const revision = await bumpRevision(tx, environment);
      const patch = { revision, ...change };
      await appendChange(tx, { environment, revision, patch: change, createdAt: now });
      patches.push({ environment, patch });
      revisions.push({ environment, revision });
    }
    if (revisions.length > 0 || signals.length > 0) await deps.changes.announce(tx, revisions, signals);
    return value;
  });
  try {
    deps.changes.committed(patches, signals);
  } catch (error) {
    // The change is committed; a stream that missed it catches up from the change log.
    deps.logger.error('publishing a change failed', { error: String(error) });
  }
  return result;
}
