import type { Queryable } from '../../db/client.js';
import { ForbiddenError } from '../../errors/index.js';
import { humanOf, type Person } from '../auth/four-eyes.js';
import { actorOf, type Principal } from '../auth/principal.js';
import type { Role } from '../auth/roles.js';

/**
 * Who asks for a change or reviews one: the audit actor, and the person behind it. An API token
 * stands for the user who created it, so that nobody approves their own change through a token.
 */
export interface Requester extends Person {
  role: Role;
  /** Environment keys an API token is limited to; null means all. */
  environments: string[] | null;
}

/**
 * The requester of an authenticated call. Services resolve it, inside the write that acts for it.
 *
 * @example
 * const requester = await requesterOf(w.tx, principal);
 */
export async function requesterOf(q: Queryable, principal: Principal): Promise<Requester> {
  const actor = actorOf(principal);
  return {
    actor,
    userId: await humanOf(q, actor),
    role: roleIn(principal),
    environments: principal.environments,
  };
}

/** The role a principal has in the project of the request; refused when it has none there. */
export function roleIn(principal: Principal): Role {
  if (principal.role === null) throw new ForbiddenError('You have no role in this project');
  return principal.role;
}
