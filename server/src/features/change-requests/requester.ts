import type { Queryable } from '../../db/client.js';
import type { Actor } from '../audit/audit-event.js';
import { actorOf, type Principal } from '../auth/principal.js';
import type { Role } from '../auth/roles.js';
import { findTokenOwner } from './change-requests.store.js';

/**
 * Who asks for a change or reviews one: the audit actor, and the person behind it. An API token
 * stands for the user who created it, so that nobody approves their own change through a token.
 */
export interface Requester {
  actor: Actor;
  /** The user behind the actor; null for a token whose creator is unknown, and for the system. */
  userId: number | null;
  role: Role;
  /** Environment keys an API token is limited to; null means all. */
  environments: string[] | null;
}

/**
 * The requester of an authenticated call.
 *
 * @example
 * const requester = requesterOf(deps.db, principalOf(c));
 */
export function requesterOf(db: Queryable, principal: Principal): Requester {
  return {
    actor: actorOf(principal),
    userId: principal.kind === 'user' ? principal.id : findTokenOwner(db, principal.id),
    role: principal.role,
    environments: principal.environments,
  };
}

/** Whether two actors are the same person: the same actor, or actors of the same user. */
export function samePerson(
  a: { actor: Actor; userId: number | null },
  b: { actor: Actor; userId: number | null },
): boolean {
  if (a.actor.id === b.actor.id) return true;
  return a.userId !== null && a.userId === b.userId;
}
