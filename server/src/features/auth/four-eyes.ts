import type { Queryable } from '../../db/client.js';
import { ForbiddenError } from '../../errors/index.js';
import { findTokenCreator } from '../api-tokens/api-tokens.store.js';
import type { Actor } from '../audit/audit-event.js';
import { hasRole, type Role } from './roles.js';

// Four eyes (DESIGN §5): a change that needs approval is reviewed by an approver who is not the
// person who asked for it, not through an API token they created either. This module owns that rule
// for change requests and release plans alike.

/** An actor and the user behind it, as four eyes compares them. */
export interface Person {
  actor: Actor;
  /** The user behind the actor; null for a token whose creator is unknown, and for the system. */
  userId: number | null;
}

/** Who reviews: an actor and the role it acts with. */
export interface Reviewer {
  actor: Actor;
  role: Role;
}

/**
 * The user behind an actor: the user itself, or the user who created an API token; null for the
 * system and for a token whose creator is unknown.
 *
 * @example
 * await humanOf(db, { type: 'token', id: 'token:7', name: 'ci' }); // the id of the user who created token 7
 */
export async function humanOf(q: Queryable, actor: Actor): Promise<number | null> {
  const [kind, id] = actor.id.split(':');
  if (id === undefined) return null;
  if (kind === 'user') return Number(id);
  if (kind === 'token') return findTokenCreator(q, Number(id));
  return null;
}

/**
 * An actor with the user behind it, resolved now.
 *
 * @example
 * samePerson(await personOf(w.tx, plan.createdBy), await personOf(w.tx, actor));
 */
export async function personOf(q: Queryable, actor: Actor): Promise<Person> {
  return { actor, userId: await humanOf(q, actor) };
}

/** Whether two actors are the same person: the same actor, or actors of the same user. */
export function samePerson(a: Person, b: Person): boolean {
  if (a.actor.id === b.actor.id) return true;
  return a.userId !== null && a.userId === b.userId;
}

/**
 * Throws {@link ForbiddenError} unless `role` may review (the approver role or above); `what` names
 * the review, as in "approve a change request".
 *
 * @example
 * requireApprover(requester.role, 'approve a change request');
 */
export function requireApprover(role: Role, what: string): void {
  if (!hasRole(role, 'approver'))
    throw new ForbiddenError(`Only the approver role or above may ${what}; you have ${role}`);
}
