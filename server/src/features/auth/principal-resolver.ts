import { LRUCache } from 'lru-cache';
import type { Queryable } from '../../db/client.js';
import { UnauthorizedError } from '../../errors/index.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../ops/metrics.js';
import { findApiTokenWithCreator } from '../api-tokens/api-tokens.store.js';
import { DEFAULT_PROJECT, type ProjectScope } from '../projects/project-scope.js';
import { membershipRole } from '../projects/projects.store.js';
import { findActiveSessionWithUser } from './auth.store.js';
import type { Principal } from './principal.js';
import { lowerRole, type Role } from './roles.js';
import { hashSecret, safeEqual } from './secrets.js';
import { verifySessionToken } from './session-token.js';

/**
 * Turns the credential of an admin API request into the {@link Principal} making it, or refuses it
 * with {@link UnauthorizedError}.
 */
export interface PrincipalResolver {
  /**
   * The principal of a session JWT (a bearer token, or the session cookie when `viaCookie`), with
   * its role in `project` (the project the request acts in, if any).
   */
  fromSession(token: string, viaCookie: boolean, project?: ProjectScope): Promise<Principal>;
  /** The principal of an `rf_api_…` token, with its role in `project`. */
  fromApiToken(token: string, project?: ProjectScope): Promise<Principal>;
}

/** What {@link createPrincipalResolver} needs. */
export interface PrincipalResolverDeps {
  /** Where sessions, API tokens and users are read (the root database, outside any write). */
  database: Queryable;
  clock: () => Date;
  /** The JWT signing secret (the same on every replica). */
  secret: Uint8Array;
  metrics: Pick<Metrics, 'recordAuthRefusal'>;
  logger: Logger;
}

/** Why an API token was refused, as counted in `/metrics`. */
type TokenRefusal = 'unknown' | 'revoked' | 'creator_disabled' | 'no_creator';

/**
 * Creates the resolver of sessions and API tokens. Nothing about a session, a token or a user is
 * cached between requests: every request reads the session or token, with its user, from the
 * database in one query. So a session or token issued on one replica works on every other, and a
 * logout, a revoked token, a disabled user or a lowered role takes effect on every replica at its
 * next request. (Only the JWT signature check is remembered, see session-token.ts: that says who
 * signed the token, not whether its session is still live.)
 *
 * @example
 * const principals = createPrincipalResolver({ database, clock, secret, metrics, logger });
 * app.use('/api/v1/*', authenticate(principals));
 */
export function createPrincipalResolver(deps: PrincipalResolverDeps): PrincipalResolver {
  const refused = refusalLog(deps);
  return {
    async fromSession(token, viaCookie, project) {
      const now = deps.clock();
      const claims = await verifySessionToken(deps.secret, token, now);
      if (!claims) throw new UnauthorizedError('The session token is invalid or expired');
      const found = await findActiveSessionWithUser(deps.database, claims.sid);
      if (
        !found ||
        String(found.user.id) !== claims.sub ||
        found.user.disabled ||
        found.session.expiresAt <= now.toISOString()
      ) {
        throw new UnauthorizedError('The session has ended; log in again');
      }
      const { session, user } = found;
      return {
        kind: 'user',
        id: user.id,
        name: user.email,
        role: await userRole(deps.database, user, project),
        orgAdmin: user.orgAdmin,
        environments: null,
        session: { id: session.id, csrf: claims.csrf, viaCookie },
      };
    },

    /**
     * A token never has more rights than the user who created it has now (a token made by a token
     * was recorded under the user behind that one): its role is the lower of its own and its
     * creator's current role, and it stops working once its creator is disabled. Disabling a user
     * revokes their tokens too; the creator check here is a second line of defence.
     */
    async fromApiToken(token, project) {
      const hash = hashSecret(token);
      const found = await findApiTokenWithCreator(deps.database, hash);
      if (!found || !safeEqual(found.token.tokenHash, hash)) {
        refused('unknown');
        throw new UnauthorizedError('The API token is invalid or revoked');
      }
      const { token: row, creator } = found;
      if (row.revokedAt !== null) {
        refused('revoked', row);
        throw new UnauthorizedError('The API token is invalid or revoked');
      }
      if (!creator) {
        // Only tokens from before creators were recorded: nobody's current rights to bound them by.
        refused('no_creator', row);
        throw new UnauthorizedError('This API token has no recorded creator; create a new one');
      }
      if (creator.disabled) {
        refused('creator_disabled', row);
        throw new UnauthorizedError('The user who created this API token is disabled');
      }
      const creatorRole = await userRole(deps.database, creator, { id: row.projectId });
      const ownRole = creatorRole === null ? null : lowerRole(row.role, creatorRole);
      return {
        kind: 'token',
        id: row.id,
        name: row.name,
        role: project?.id === row.projectId ? ownRole : null,
        orgAdmin: creator.orgAdmin && ownRole === 'admin' && row.projectId === DEFAULT_PROJECT.id,
        ...(ownRole === null ? {} : { tokenProject: { id: row.projectId, role: ownRole } }),
        environments: row.environments ?? null,
      };
    },
  };
}

/** A user's role in a project: admin for an org admin, else their membership's role (null for none). */
export async function userRole(
  database: Queryable,
  user: { id: number; orgAdmin: boolean },
  project: Pick<ProjectScope, 'id'> | undefined,
): Promise<Role | null> {
  if (!project) return null;
  if (user.orgAdmin) return 'admin';
  return (await membershipRole(database, project.id, user.id)) ?? null;
}

type RefusalLog = (reason: TokenRefusal, row?: { id: number; prefix: string }) => void;

/**
 * Counts every refused API token, and logs (never the secret) a known token's refusal once an hour
 * per token, so that a leaked, revoked token cannot flood the log.
 */
function refusalLog(deps: Pick<PrincipalResolverDeps, 'metrics' | 'logger'>): RefusalLog {
  const logged = new LRUCache<string, true>({ max: 1000, ttl: 60 * 60_000 });
  return (reason, row) => {
    deps.metrics.recordAuthRefusal('api_token', reason);
    if (!row || logged.has(`${row.id}:${reason}`)) return;
    logged.set(`${row.id}:${reason}`, true);
    deps.logger.warn('refused an API token', { token: row.id, prefix: row.prefix, reason });
  };
}
