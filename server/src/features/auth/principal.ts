import type { Actor } from '../audit/audit-event.js';
import type { Role } from './roles.js';

/** Who is calling the admin API, after authentication. */
export interface Principal {
  kind: 'user' | 'token';
  id: number;
  /** The user's email or the token's name. */
  name: string;
  /**
   * The role in the project the request acts in; null outside a project, and in a project the
   * principal has no role in. For an API token: the lower of its own role and its creator's current
   * role there (null in any project but its own).
   */
  role: Role | null;
  /**
   * Manages users and projects, and is an admin in every project. An API token is only when its
   * creator is, it has the admin role, and it belongs to the default project (as admin tokens from
   * before projects did).
   */
  orgAdmin: boolean;
  /** The one project an API token acts in, and its role there. */
  tokenProject?: { id: number; role: Role };
  /** Environment keys an API token is limited to; null means all (users are never limited). */
  environments: string[] | null;
  /** Set when a session cookie authenticated the request: unsafe methods need the CSRF token. */
  session?: { id: string; csrf: string; viaCookie: boolean };
}

/** The audit actor of a principal. */
export function actorOf(principal: Principal): Actor {
  return principal.kind === 'user'
    ? { type: 'user', id: `user:${principal.id}`, name: principal.name }
    : { type: 'token', id: `token:${principal.id}`, name: principal.name };
}
