import type { Database, Queryable } from '../../db/client.js';
import { createLeaderJob } from '../../jobs/leader-job.js';
import type { Logger } from '../../logger.js';
import {
  type AuditCheckpoint,
  auditEventHash,
  insertAuditCheckpoint,
  lastAuditCheckpoint,
  lastAuditLink,
  lockAuditChain,
} from './audit.store.js';
import { GENESIS_HASH } from './audit-event.js';
import { type AuditSigner, checkpointMessage } from './audit-signing.js';
import { walkAuditChain } from './audit-verify.js';

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
export const WALK_PER_SLICE = 200;

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
 * walked to from that checkpoint) shortens the walk. One transaction holding the chain's lock: no
 * event can slip in between the check and the signature, and two replicas never sign at once.
 *
 * @example
 * const outcome = await checkpointAuditHead(database, auditSigner, new Date());
 */
export function checkpointAuditHead(
  database: Database,
  signer: AuditSigner,
  now: Date,
  verified?: ChainLink,
): Promise<CheckpointOutcome> {
  return database.transaction(async (tx): Promise<CheckpointOutcome> => {
    await lockAuditChain(tx);
    const head = await lastAuditLink(tx);
    if (!head) return { kind: 'empty' };
    const last = await lastAuditCheckpoint(tx);
    if (last && last.eventId === head.id && last.hash === head.hash && last.keyId === signer.keyId) {
      return { kind: 'signed', checkpoint: last, created: false };
    }
    if (last && (await auditEventHash(tx, last.eventId)) !== last.hash) {
      return { kind: 'broken', firstBadId: last.eventId };
    }
    let from: ChainLink = last ? { id: last.eventId, hash: last.hash } : { id: 0, hash: GENESIS_HASH };
    if (verified && verified.id > from.id && (await auditEventHash(tx, verified.id)) === verified.hash) {
      from = verified;
    }
    const walk = await walkAuditChain(tx, from.id, from.hash);
    if (walk.firstBadId !== undefined) return { kind: 'broken', firstBadId: walk.firstBadId };
    if (walk.lastId !== head.id) return { kind: 'broken', firstBadId: from.id + 1 };
    const signed = { eventId: head.id, hash: head.hash, at: now.toISOString() };
    const checkpoint = await insertAuditCheckpoint(tx, {
      ...signed,
      signature: signer.sign(checkpointMessage(signed)),
      keyId: signer.keyId,
    });
    return { kind: 'signed', checkpoint, created: true };
  });
}

/** Whether the policy asks for a checkpoint now. */
async function due(q: Queryable, policy: CheckpointPolicy, now: Date): Promise<boolean> {
  const head = await lastAuditLink(q);
  if (!head) return false;
  const last = await lastAuditCheckpoint(q);
  if (!last) return true;
  if (head.id <= last.eventId) return false;
  return (
    head.id - last.eventId >= policy.everyEvents || now.getTime() - Date.parse(last.at) >= policy.everyMs
  );
}

/** What one pass of the checkpointer did. */
export type CheckpointPass =
  /** The policy does not ask for a checkpoint yet. */
  | { kind: 'idle' }
  /** The checkpointer was stopped during the walk, which holds up to `through`; nothing was signed. */
  | { kind: 'walked'; through: number }
  | CheckpointOutcome;

/** What {@link createAuditCheckpointer} needs. */
export interface AuditCheckpointerDeps {
  database: Database;
  auditSigner: AuditSigner;
  clock: () => Date;
  logger: Logger;
  /** Whether this replica leads now; only the leader signs on its own. */
  isLeader: () => boolean;
}

/** The periodic job that signs the chain's head. */
export interface AuditCheckpointer {
  /**
   * One pass, whoever leads: when the policy asks for a checkpoint, walks the chain from where the
   * last walk stopped to the head and signs it. Passes never overlap: one asked for while another runs
   * starts after it. Rejects when the database fails.
   */
  tick(): Promise<CheckpointPass>;
  /**
   * Runs a pass now and then every few seconds, each only while `isLeader()` says this replica leads.
   * Resolves when the first pass is done.
   */
  start(): Promise<void>;
  /**
   * Stops the passes (a walk in progress ends at its next slice), waits for the running one and, when
   * this replica leads, signs the head one last time (a clean shutdown leaves no unsigned events).
   * Never rejects: failures are logged.
   */
  stop(): Promise<void>;
}

/** Resolves after the event loop has run what was waiting (timers, I/O, other requests). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The audit checkpointer: signs the head of the chain in the background, per `policy`, so the write
 * path never waits for a signature. A pass walks the chain since the last checkpoint in slices of
 * {@link WALK_PER_SLICE} events and lets other work run between slices (a long chain without
 * checkpoints, as after an upgrade, never blocks the server for long); once the walk reaches the head
 * it is signed, in a transaction that checks the walk still holds. A chain that no longer extends the
 * last checkpoint is logged as an error and left unsigned. Timers are unref'ed.
 *
 * @example
 * const checkpointer = createAuditCheckpointer({ database, auditSigner, clock, logger, isLeader });
 * await checkpointer.start();
 * await checkpointer.stop();
 */
export function createAuditCheckpointer(
  deps: AuditCheckpointerDeps,
  policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY,
): AuditCheckpointer {
  let reportedBadId: number | undefined;
  /** How far this process has walked the chain from the last checkpoint. */
  let verified: ChainLink | undefined;
  let started = false;
  let stopping = false;

  const report = (firstBadId: number) => {
    if (firstBadId === reportedBadId) return;
    reportedBadId = firstBadId;
    deps.logger.error('audit chain does not extend its last signed checkpoint; not signing it', {
      firstBadId,
    });
  };

  const sign = async (): Promise<CheckpointOutcome> => {
    const outcome = await checkpointAuditHead(deps.database, deps.auditSigner, deps.clock(), verified);
    if (outcome.kind === 'broken') report(outcome.firstBadId);
    if (outcome.kind === 'signed') verified = undefined;
    return outcome;
  };

  const pass = async (): Promise<CheckpointPass> => {
    if (!(await due(deps.database, policy, deps.clock()))) return { kind: 'idle' };
    const last = await lastAuditCheckpoint(deps.database);
    if (last && (await auditEventHash(deps.database, last.eventId)) !== last.hash) {
      report(last.eventId);
      return { kind: 'broken', firstBadId: last.eventId };
    }
    const signed: ChainLink = last ? { id: last.eventId, hash: last.hash } : { id: 0, hash: GENESIS_HASH };
    let from = verified && verified.id > signed.id ? verified : signed;
    for (;;) {
      const walk = await walkAuditChain(deps.database, from.id, from.hash, WALK_PER_SLICE);
      if (
        walk.firstBadId !== undefined &&
        from !== signed &&
        (await auditEventHash(deps.database, from.id)) !== from.hash
      ) {
        // The event the walk went on from is gone or changed since it was read (a write it saw rolled
        // back): the break may be no break; start over from the checkpoint.
        from = signed;
        continue;
      }
      if (walk.firstBadId !== undefined) {
        verified = undefined;
        report(walk.firstBadId);
        return { kind: 'broken', firstBadId: walk.firstBadId };
      }
      verified = { id: walk.lastId, hash: walk.lastHash };
      if (walk.count < WALK_PER_SLICE) return sign();
      from = verified;
      await yieldToEventLoop();
      if (stopping) return { kind: 'walked', through: walk.lastId };
    }
  };

  const job = createLeaderJob({
    pass,
    intervalMs: Math.min(CHECKPOINT_TICK_MS, policy.everyMs),
    isLeader: deps.isLeader,
    onError: (error) => deps.logger.error('audit checkpoint failed', { error: String(error) }),
  });

  return {
    tick: job.tick,
    async start() {
      started = true;
      await job.start();
    },
    async stop() {
      stopping = true;
      try {
        await job.stop();
        if (started && deps.isLeader()) await sign();
      } catch (error) {
        deps.logger.error('audit checkpoint failed', { error: String(error) });
      } finally {
        stopping = false;
        started = false;
      }
    },
  };
}
