import type { Actor } from '../audit/audit-event.js';
import type { Role } from './roles.js';

/** Who is calling the admin API, after authentication. */
export interface Principal {
  kind: 'user' | 'token';
  id: number;
  /** The user's email or the token's name. */
  name: string;
  /** For an API token: the lower of its own role and its creator's current role. */
  role: Role;
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
