import type { Queryable } from '../../db/client.js';
import { walkAuditChain } from './audit.service.js';
import { auditEventHash, iterateAuditCheckpoints } from './audit.store.js';
import { type AuditSigner, checkpointMessage } from './audit-signing.js';

/** A head remembered outside Ringflag (`<eventId>:<hash>`), to confirm it is still in the chain. */
export interface RememberedHead {
  eventId: number;
  hash: string;
}

/** The result of checking the audit trail. */
export interface VerifyResult {
  ok: boolean;
  /** Events checked. */
  count: number;
  /** The first event that does not follow its predecessor or does not match its hash. */
  firstBadId?: number;
  /** Signed checkpoints checked. */
  checkpoints: number;
  /** The first checkpoint whose signature or event does not hold. */
  firstBadCheckpointId?: number;
  /** The newest event covered by a valid checkpoint (0 when none). */
  signedThrough: number;
  /** The key checkpoints must be signed with. */
  keyId: string;
  /** Why the trail does not verify, in one sentence. */
  reason?: string;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * Checks the audit trail: the hash chain from the first event to the last; every checkpoint's signature
 * under this server's key and that the event it signed still has the signed hash (so a chain rewritten
 * with recomputed hashes fails); and, when given, that a head remembered outside is still in the chain.
 *
 * @example
 * const result = verifyAuditTrail(deps.db, deps.auditSigner, { eventId: 120, hash: '3f…' });
 */
export function verifyAuditTrail(
  db: Queryable,
  signer: AuditSigner,
  remembered?: RememberedHead,
): VerifyResult {
  const walk = walkAuditChain(db);
  const result: VerifyResult = {
    ok: true,
    count: walk.count,
    checkpoints: 0,
    signedThrough: 0,
    keyId: signer.keyId,
  };
  if (walk.firstBadId !== undefined) {
    result.ok = false;
    result.firstBadId = walk.firstBadId;
    result.reason = `Event #${walk.firstBadId} does not match its hash or does not follow event #${walk.lastId}.`;
  }
  for (const checkpoint of iterateAuditCheckpoints(db)) {
    result.checkpoints++;
    const problem = checkpointProblem(db, signer, checkpoint, result.signedThrough);
    if (problem !== undefined) {
      result.ok = false;
      result.firstBadCheckpointId = checkpoint.id;
      result.reason ??= `Checkpoint #${checkpoint.id}: ${problem}`;
      break;
    }
    result.signedThrough = Math.max(result.signedThrough, checkpoint.eventId);
  }
  if (remembered) {
    const stored = auditEventHash(db, remembered.eventId);
    if (stored !== remembered.hash) {
      result.ok = false;
      result.reason ??=
        stored === undefined
          ? `The remembered head #${remembered.eventId} is no longer in the chain: the event is gone.`
          : `The remembered head #${remembered.eventId} (${short(remembered.hash)}) is no longer in the chain: ` +
            `that event now has hash ${short(stored)}, so the log was rewritten.`;
    }
  }
  return result;
}

function checkpointProblem(
  db: Queryable,
  signer: AuditSigner,
  checkpoint: { eventId: number; hash: string; at: string; signature: string; keyId: string },
  previousGood: number,
): string | undefined {
  if (checkpoint.keyId !== signer.keyId) {
    return `signed with key ${checkpoint.keyId}, not this server's audit key ${signer.keyId}.`;
  }
  if (!signer.verify(checkpointMessage(checkpoint), checkpoint.signature)) {
    return 'the signature does not match: the checkpoint was forged or altered.';
  }
  const stored = auditEventHash(db, checkpoint.eventId);
  if (stored === undefined) return `it signs event #${checkpoint.eventId}, which is gone.`;
  if (stored !== checkpoint.hash) {
    return (
      `it signs event #${checkpoint.eventId} with hash ${short(checkpoint.hash)}, but that event now has ` +
      `${short(stored)}: events after #${previousGood} up to #${checkpoint.eventId} were rewritten.`
    );
  }
  return undefined;
}
