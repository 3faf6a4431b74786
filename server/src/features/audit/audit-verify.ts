import { z } from '@hono/zod-openapi';
import type { Queryable } from '../../db/client.js';
import { AUDIT_BATCH, auditEventHash, iterateAuditCheckpoints, iterateAuditEvents } from './audit.store.js';
import { GENESIS_HASH, hashEvent } from './audit-event.js';
import { type AuditSigner, checkpointMessage } from './audit-signing.js';

/** Where a walk along the chain stopped. */
export interface ChainWalk {
  /** Events checked. */
  count: number;
  /** The first event whose `prevHash` is not the previous hash or whose `hash` is not its content's. */
  firstBadId?: number;
  /** The last good event (`startId`/`startHash` when none were checked). */
  lastId: number;
  lastHash: string;
}

/**
 * Walks the chain from the event after `startId`, whose predecessor must hash to `startHash` (the
 * genesis by default): each event's `prevHash` must be the previous event's hash and its `hash` must
 * match its content. Reads in bounded batches; stops after `limit` events.
 *
 * @example
 * const walk = await walkAuditChain(database); // { count: 120, lastId: 120, lastHash: '3f…' }
 */
export async function walkAuditChain(
  q: Queryable,
  startId = 0,
  startHash = GENESIS_HASH,
  limit = Number.POSITIVE_INFINITY,
): Promise<ChainWalk> {
  let lastHash = startHash;
  let lastId = startId;
  let count = 0;
  if (limit <= 0) return { count, lastId, lastHash };
  for await (const event of iterateAuditEvents(q, {}, Math.min(AUDIT_BATCH, limit), startId)) {
    count++;
    if (event.prevHash !== lastHash || hashEvent(event) !== event.hash) {
      return { count, firstBadId: event.id, lastId, lastHash };
    }
    lastHash = event.hash;
    lastId = event.id;
    if (count === limit) break;
  }
  return { count, lastId, lastHash };
}

/** A head remembered outside Ringflag (`<eventId>:<hash>`), to confirm it is still in the chain. */
export interface RememberedHead {
  eventId: number;
  hash: string;
}

/** The result of checking the audit trail. */
export const verifyResultSchema = z
  .object({
    ok: z.boolean(),
    count: z.number().int().openapi({ description: 'Events checked.' }),
    firstBadId: z.number().int().optional().openapi({
      description: 'The first event that does not follow its predecessor or does not match its hash.',
    }),
    checkpoints: z.number().int().openapi({ description: 'Signed checkpoints checked.' }),
    firstBadCheckpointId: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'The first checkpoint whose signature or event does not hold.' }),
    signedThrough: z
      .number()
      .int()
      .openapi({ description: 'The newest event covered by a valid checkpoint (0 when none).' }),
    keyId: z.string().openapi({ description: 'The key checkpoints must be signed with.' }),
    reason: z.string().optional().openapi({ description: 'Why the trail does not verify, in one sentence.' }),
  })
  .openapi('AuditVerification');
export type VerifyResult = z.infer<typeof verifyResultSchema>;

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * Checks the audit trail: the hash chain from the first event to the last; every checkpoint's signature
 * under this server's key and that the event it signed still has the signed hash (so a chain rewritten
 * with recomputed hashes fails); and, when given, that a head remembered outside is still in the chain.
 *
 * @example
 * const result = await verifyAuditTrail(database, auditSigner, { eventId: 120, hash: '3f…' });
 */
export async function verifyAuditTrail(
  q: Queryable,
  signer: AuditSigner,
  remembered?: RememberedHead,
): Promise<VerifyResult> {
  const walk = await walkAuditChain(q);
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
  for await (const checkpoint of iterateAuditCheckpoints(q)) {
    result.checkpoints++;
    const problem = await checkpointProblem(q, signer, checkpoint, result.signedThrough);
    if (problem !== undefined) {
      result.ok = false;
      result.firstBadCheckpointId = checkpoint.id;
      result.reason ??= `Checkpoint #${checkpoint.id}: ${problem}`;
      break;
    }
    result.signedThrough = Math.max(result.signedThrough, checkpoint.eventId);
  }
  if (remembered) {
    const stored = await auditEventHash(q, remembered.eventId);
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

async function checkpointProblem(
  q: Queryable,
  signer: AuditSigner,
  checkpoint: { eventId: number; hash: string; at: string; signature: string; keyId: string },
  previousGood: number,
): Promise<string | undefined> {
  if (checkpoint.keyId !== signer.keyId) {
    return `signed with key ${checkpoint.keyId}, not this server's audit key ${signer.keyId}.`;
  }
  if (!signer.verify(checkpointMessage(checkpoint), checkpoint.signature)) {
    return 'the signature does not match: the checkpoint was forged or altered.';
  }
  const stored = await auditEventHash(q, checkpoint.eventId);
  if (stored === undefined) return `it signs event #${checkpoint.eventId}, which is gone.`;
  if (stored !== checkpoint.hash) {
    return (
      `it signs event #${checkpoint.eventId} with hash ${short(checkpoint.hash)}, but that event now has ` +
      `${short(stored)}: events after #${previousGood} up to #${checkpoint.eventId} were rewritten.`
    );
  }
  return undefined;
}
