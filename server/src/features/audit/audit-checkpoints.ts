import type { Db } from '../../db/client.js';
import type { Logger } from '../../logger.js';
import { walkAuditChain } from './audit.service.js';
import {
  type AuditCheckpoint,
  auditEventHash,
  insertAuditCheckpoint,
  lastAuditCheckpoint,
  lastAuditLink,
} from './audit.store.js';
import { GENESIS_HASH } from './audit-event.js';
import { type AuditSigner, checkpointMessage } from './audit-signing.js';

/** When the server signs the head of the chain on its own. */
export interface CheckpointPolicy {
  /** Sign once this many events have been appended since the last checkpoint (default 1,000). */
  everyEvents: number;
  /** Sign new events at the latest this long after the last checkpoint (default 60 s). */
  everyMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyEvents: 1_000, everyMs: 60_000 };

/** How often the checkpointer looks at the head (it signs only when the policy says so). */
const CHECKPOINT_TICK_MS = 5_000;

/**
 * Events the checkpointer walks in one go before it lets other work run (measured: 0.1–0.4 ms an event
 * with 2 KB configs in `before` and `after`, so tens of milliseconds).
 */
const WALK_PER_TICK = 200;

/** What {@link checkpointAuditHead} did. */
export type CheckpointOutcome =
  | { kind: 'signed'; checkpoint: AuditCheckpoint; created: boolean }
  | { kind: 'empty' }
  /** The events since the last checkpoint do not chain from it: nothing is signed. */
  | { kind: 'broken'; firstBadId: number };

/** An event of the chain and its hash. */
export interface ChainLink {
  id: number;
  hash: string;
}

/**
 * Signs the head of the chain and appends it as a checkpoint, or returns the newest checkpoint when it
 * already covers the head. It first checks that the events since the last checkpoint chain from it, so
 * a chain broken behind the server's back is never signed; `verified` (a link the caller has already
 * walked to from that checkpoint) shortens the walk. One immediate transaction: no event can slip in
 * between the check and the signature.
 *
 * @example
 * const outcome = checkpointAuditHead(deps.db, deps.auditSigner, new Date());
 */
export function checkpointAuditHead(
  db: Db,
  signer: AuditSigner,
  now: Date,
  verified?: ChainLink,
): CheckpointOutcome {
  return db.transaction(
    (): CheckpointOutcome => {
      const head = lastAuditLink(db);
      if (!head) return { kind: 'empty' };
      const last = lastAuditCheckpoint(db);
      if (last && last.eventId === head.id && last.hash === head.hash && last.keyId === signer.keyId) {
        return { kind: 'signed', checkpoint: last, created: false };
      }
      if (last && auditEventHash(db, last.eventId) !== last.hash)
        return { kind: 'broken', firstBadId: last.eventId };
      let from: ChainLink = last ? { id: last.eventId, hash: last.hash } : { id: 0, hash: GENESIS_HASH };
      if (verified && verified.id > from.id && auditEventHash(db, verified.id) === verified.hash)
        from = verified;
      const walk = walkAuditChain(db, from.id, from.hash);
      if (walk.firstBadId !== undefined) return { kind: 'broken', firstBadId: walk.firstBadId };
      if (walk.lastId !== head.id) return { kind: 'broken', firstBadId: from.id + 1 };
      const signed = { eventId: head.id, hash: head.hash, at: now.toISOString() };
      const checkpoint = insertAuditCheckpoint(db, {
        ...signed,
        signature: signer.sign(checkpointMessage(signed)),
        keyId: signer.keyId,
      });
      return { kind: 'signed', checkpoint, created: true };
    },
    { behavior: 'immediate' },
  );
}

/** Whether the policy asks for a checkpoint now. */
function due(db: Db, policy: CheckpointPolicy, now: Date): boolean {
  const head = lastAuditLink(db);
  if (!head) return false;
  const last = lastAuditCheckpoint(db);
  if (!last) return true;
  if (head.id <= last.eventId) return false;
  return (
    head.id - last.eventId >= policy.everyEvents || now.getTime() - Date.parse(last.at) >= policy.everyMs
  );
}

/** A running checkpointer. */
export interface AuditCheckpointer {
  /** Signs the head now if the policy says so. */
  tick(): void;
  /** Stops the timer and signs the head one last time (a clean shutdown leaves no unsigned events). */
  stop(): void;
}

/**
 * Starts signing the head of the chain in the background, per `policy`: a timer (unref'ed) looks every
 * few seconds, so the write path never waits for a signature. The chain since the last checkpoint is
 * walked in short slices that yield to other work in between (a long chain without checkpoints, as after
 * an upgrade, never blocks the server for long) and signed once the walk reaches the head. A chain that no longer
 * extends the last checkpoint is logged as an error and left unsigned.
 *
 * @example
 * const checkpointer = startAuditCheckpointer({ db, auditSigner, clock, logger });
 * checkpointer.stop();
 */
export function startAuditCheckpointer(
  deps: { db: Db; auditSigner: AuditSigner; clock: () => Date; logger: Logger },
  policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY,
): AuditCheckpointer {
  let reportedBadId: number | undefined;
  let stopped = false;
  /** How far this process has walked the chain from the last checkpoint. */
  let verified: ChainLink | undefined;
  const report = (firstBadId: number) => {
    if (firstBadId === reportedBadId) return;
    reportedBadId = firstBadId;
    deps.logger.error('audit chain does not extend its last signed checkpoint; not signing it', {
      firstBadId,
    });
  };
  const sign = () => {
    const outcome = checkpointAuditHead(deps.db, deps.auditSigner, deps.clock(), verified);
    if (outcome.kind === 'broken') report(outcome.firstBadId);
    if (outcome.kind === 'signed') verified = undefined;
  };
  const tick = () => {
    try {
      if (stopped || !due(deps.db, policy, deps.clock())) return;
      const last = lastAuditCheckpoint(deps.db);
      const from: ChainLink =
        verified && verified.id > (last?.eventId ?? 0)
          ? verified
          : last
            ? { id: last.eventId, hash: last.hash }
            : { id: 0, hash: GENESIS_HASH };
      const walk = walkAuditChain(deps.db, from.id, from.hash, WALK_PER_TICK);
      if (walk.firstBadId !== undefined) {
        report(walk.firstBadId);
        return;
      }
      verified = { id: walk.lastId, hash: walk.lastHash };
      if (walk.count < WALK_PER_TICK) sign();
      // More to walk: go on as soon as the event loop is free, rather than at the next look.
      else setTimeout(tick, 0).unref();
    } catch (error) {
      deps.logger.error('audit checkpoint failed', { error: String(error) });
    }
  };
  const timer = setInterval(tick, Math.min(CHECKPOINT_TICK_MS, policy.everyMs));
  timer.unref();
  tick();
  return {
    tick,
    stop() {
      stopped = true;
      clearInterval(timer);
      try {
        sign();
      } catch (error) {
        deps.logger.error('audit checkpoint failed', { error: String(error) });
      }
    },
  };
}
