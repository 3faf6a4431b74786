import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** Who made a change. */
export interface Actor {
  type: 'user' | 'token' | 'system';
  id: string;
  name: string;
}

/** What a change touched. */
export interface AuditResource {
  type: string;
  key: string;
  environment?: string;
}

/** One audit event as the API shows it and as it is hashed (DESIGN §5). */
export interface AuditEvent {
  id: number;
  at: string;
  actor: Actor;
  action: string;
  resource: AuditResource;
  before: unknown;
  after: unknown;
  comment?: string;
  changeRequestId?: string;
  /** Set when the system acted for someone: the author of a scheduled change. */
  onBehalfOf?: Actor;
  prevHash: string;
  hash: string;
}

/** The `prevHash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The system itself, as an actor (seeding, automatic rollbacks). */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'system', name: 'ringflag' };

/**
 * `sha256(prevHash + "\n" + canonicalJson(event without hash))`, hex.
 *
 * @example
 * const hash = hashEvent({ ...event, prevHash: previous.hash });
 */
export function hashEvent(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = event;
  return createHash('sha256')
    .update(`${event.prevHash}\n${canonicalJson(rest)}`)
    .digest('hex');
}
