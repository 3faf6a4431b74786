import type { Queryable } from '../../db/client.js';
import {
  type AuditFilter,
  insertAuditEvent,
  iterateAuditEvents,
  lastAuditLink,
  listAuditEvents,
} from './audit.store.js';
import { type Actor, type AuditEvent, type AuditResource, GENESIS_HASH, hashEvent } from './audit-event.js';
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
}

/**
 * Appends an event to the hash chain. Call it inside the write's transaction, so the event commits
 * with the change (and the chain cannot fork: writes take SQLite's write lock up front).
 */
export function appendAuditEvent(tx: Queryable, input: NewAuditEvent): AuditEvent {
  const last = lastAuditLink(tx);
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
  // Hash exactly what is stored and read back: the JSON round trip drops what JSON cannot carry, and
  // every string (in any member, keys too) is made well-formed as SQLite's UTF-8 would store it.
  const event = toStoredJson(unhashed);
  const stored: AuditEvent = { ...event, hash: hashEvent(event) };
  insertAuditEvent(tx, stored);
  return stored;
}

function stripUndefined(resource: AuditResource): AuditResource {
  return resource.environment === undefined ? { type: resource.type, key: resource.key } : resource;
}

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
 * match its content. Stops after `limit` events.
 */
export function walkAuditChain(
  db: Queryable,
  startId = 0,
  startHash = GENESIS_HASH,
  limit = Number.POSITIVE_INFINITY,
): ChainWalk {
  let lastHash = startHash;
  let lastId = startId;
  let count = 0;
  for (const event of iterateAuditEvents(db, {}, Math.min(1000, limit), startId)) {
    if (count === limit) break;
    count++;
    if (event.prevHash !== lastHash || hashEvent(event) !== event.hash) {
      return { count, firstBadId: event.id, lastId, lastHash };
    }
    lastHash = event.hash;
    lastId = event.id;
  }
  return { count, lastId, lastHash };
}

/** A page of events with the cursor of the next page. */
export interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

/** Lists events newest first; the cursor is opaque to clients. */
export function pageAuditEvents(
  db: Queryable,
  filter: AuditFilter,
  limit: number,
  cursor?: string,
): AuditPage {
  const beforeId = cursor === undefined ? undefined : decodeCursor(cursor);
  const items = listAuditEvents(db, filter, limit + 1, beforeId);
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
