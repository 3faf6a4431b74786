import { z } from '@hono/zod-openapi';
import type { Database, Queryable } from '../../db/client.js';
import { pageOf, timestampSchema } from '../../http/openapi-app.js';
import {
  type AuditFilter,
  insertAuditEvent,
  iterateAuditEvents,
  lastAuditLink,
  listAuditEvents,
} from './audit.store.js';
import { type CheckpointOutcome, checkpointAuditHead } from './audit-checkpoints.js';
import {
  type Actor,
  type AuditEvent,
  type AuditResource,
  auditEventSchema,
  GENESIS_HASH,
  hashEvent,
} from './audit-event.js';
import { type AuditSigner, checkpointMessage } from './audit-signing.js';
import { type RememberedHead, type VerifyResult, verifyAuditTrail } from './audit-verify.js';
import { toStoredJson } from './well-formed.js';

/** What a caller supplies for a new event; id, hashes and chaining are added here. */
export interface NewAuditEvent {
  at: string;
  actor: Actor;
  action: string;
  resource: AuditResource;
  before: unknown;
  after: unknown;
  comment?: string;
  changeRequestId?: string;
  onBehalfOf?: Actor;
  /** The project's key; the unit of work fills in the project in scope. */
  project?: string;
}

/**
 * Appends events to the hash chain, in order. Call it inside the write's transaction, so the events
 * commit with the change; the unit of work takes the chain's lock first, so the chain cannot fork
 * (SQLite: one writer at a time; PostgreSQL: an advisory lock).
 */
export async function appendAuditEvents(tx: Queryable, inputs: NewAuditEvent[]): Promise<AuditEvent[]> {
  if (inputs.length === 0) return [];
  let last = await lastAuditLink(tx);
  const stored: AuditEvent[] = [];
  for (const input of inputs) {
    const event = chainedEvent(input, last);
    await insertAuditEvent(tx, event);
    stored.push(event);
    last = { id: event.id, hash: event.hash };
  }
  return stored;
}

function chainedEvent(input: NewAuditEvent, last: { id: number; hash: string } | undefined): AuditEvent {
  const unhashed: Omit<AuditEvent, 'hash'> = {
    id: (last?.id ?? 0) + 1,
    at: input.at,
    actor: input.actor,
    action: input.action,
    resource: stripUndefined(input.resource),
    before: input.before ?? null,
    after: input.after ?? null,
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  if (input.comment !== undefined) unhashed.comment = input.comment;
  if (input.changeRequestId !== undefined) unhashed.changeRequestId = input.changeRequestId;
  // Optional members are left out when absent, so events written before they existed keep their hash.
  if (input.onBehalfOf !== undefined) unhashed.onBehalfOf = input.onBehalfOf;
  if (input.project !== undefined) unhashed.project = input.project;
  // Hash exactly what is stored and read back: the JSON round trip drops what JSON cannot carry, and
  // every string (in any member, keys too) is made well-formed as the database's UTF-8 would store it.
  const event = toStoredJson(unhashed);
  return { ...event, hash: hashEvent(event) };
}

function stripUndefined(resource: AuditResource): AuditResource {
  return resource.environment === undefined ? { type: resource.type, key: resource.key } : resource;
}

/** A page of events with the cursor of the next page. */
export const auditPageSchema = pageOf(auditEventSchema, 'AuditEventPage');
export type AuditPage = z.infer<typeof auditPageSchema>;

/** Lists events newest first; the cursor is opaque to clients (a foreign one throws a `RangeError`). */
export async function pageAuditEvents(
  q: Queryable,
  filter: AuditFilter,
  limit: number,
  cursor?: string,
): Promise<AuditPage> {
  const beforeId = cursor === undefined ? undefined : decodeCursor(cursor);
  const items = await listAuditEvents(q, filter, limit + 1, beforeId);
  const more = items.length > limit;
  const page = more ? items.slice(0, limit) : items;
  return { items: page, nextCursor: more ? encodeCursor(page[page.length - 1]!.id) : null };
}

function encodeCursor(id: number): string {
  return Buffer.from(`a:${id}`).toString('base64url');
}

/** Returns the id a cursor points before, or throws on a cursor this server did not make. */
export function decodeCursor(cursor: string): number {
  const match = /^a:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new RangeError('bad cursor');
  return Number(match[1]);
}

/** The key that signs audit checkpoints (`GET /api/v1/audit/public-key`). */
export const auditPublicKeySchema = z
  .object({
    keyId: z.string(),
    algorithm: z.literal('Ed25519'),
    publicKey: z.string().openapi({ description: 'SPKI PEM.' }),
  })
  .openapi('AuditPublicKey');
export type AuditPublicKey = z.infer<typeof auditPublicKeySchema>;

/** The head of the chain as signed for an outside verifier (`GET /api/v1/audit/head`). */
export const signedAuditHeadSchema = auditPublicKeySchema
  .extend({
    eventId: z.number().int(),
    hash: z.string(),
    at: timestampSchema,
    signature: z.string(),
    message: z.string().openapi({ description: 'The exact text the signature covers.' }),
  })
  .openapi('SignedAuditHead');
export type SignedAuditHead = z.infer<typeof signedAuditHeadSchema>;

/** What {@link createAuditService} needs. */
export interface AuditServiceDeps {
  database: Database;
  auditSigner: AuditSigner;
  clock: () => Date;
}

/**
 * The audit trail as the API serves it: pages, export, verification, the signed head and the key.
 *
 * @example
 * const audit = createAuditService({ database, auditSigner, clock });
 * await audit.verify(); // { ok: true, count: 120, checkpoints: 2, signedThrough: 118, keyId: '…' }
 */
export function createAuditService(deps: AuditServiceDeps) {
  const { database, auditSigner } = deps;
  return {
    /** Events newest first; `cursor` comes from the previous page (a foreign one throws a `RangeError`). */
    page(filter: AuditFilter, limit: number, cursor?: string): Promise<AuditPage> {
      return pageAuditEvents(database, filter, limit, cursor);
    },

    /** Events matching the filter, oldest first, read in bounded batches as the caller consumes them. */
    export(filter: AuditFilter): AsyncGenerator<AuditEvent> {
      return iterateAuditEvents(database, filter);
    },

    /** Checks the chain, every checkpoint and optionally a head remembered outside. */
    verify(remembered?: RememberedHead): Promise<VerifyResult> {
      return verifyAuditTrail(database, auditSigner, remembered);
    },

    /**
     * Signs the head (a new checkpoint when it moved since the last one). `empty` when there are no
     * events, `broken` when the chain no longer extends the last checkpoint.
     */
    async signHead(): Promise<
      { kind: 'signed'; head: SignedAuditHead } | Exclude<CheckpointOutcome, { kind: 'signed' }>
    > {
      const outcome = await checkpointAuditHead(database, auditSigner, deps.clock());
      if (outcome.kind !== 'signed') return outcome;
      const { eventId, hash, at, signature, keyId } = outcome.checkpoint;
      return {
        kind: 'signed',
        head: {
          eventId,
          hash,
          at,
          signature,
          keyId,
          algorithm: 'Ed25519',
          publicKey: auditSigner.publicKeyPem,
          message: checkpointMessage({ eventId, hash, at }),
        },
      };
    },

    /** The key that signs checkpoints. */
    publicKey(): AuditPublicKey {
      return { keyId: auditSigner.keyId, algorithm: 'Ed25519', publicKey: auditSigner.publicKeyPem };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
