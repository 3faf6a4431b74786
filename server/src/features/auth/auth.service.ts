import { randomBytes, randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { ForbiddenError, RateLimitedError, UnauthorizedError, ValidationError } from '../../errors/index.js';
import { timestampSchema } from '../../http/openapi-app.js';
import type { Metrics } from '../../ops/metrics.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { DEFAULT_PROJECT } from '../projects/project-scope.js';
import { presentUser } from '../users/users.service.js';
import { findUserByEmail, findUserById, type UserRow, updateUser } from '../users/users.store.js';
import { insertSession, revokeSession, revokeUserSessions } from './auth.store.js';
import type { LoginLimiter, LoginRefusal } from './login-limiter.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.js';
import { actorOf, type Principal } from './principal.js';
import { userRole } from './principal-resolver.js';
import { roleOrNoneSchema } from './roles.js';
import { signSessionToken } from './session-token.js';

/** A successful login. */
export const loginResultSchema = z
  .object({
    token: z.string().openapi({ description: 'The session JWT, for `Authorization: Bearer`.' }),
    csrfToken: z.string().openapi({ description: 'Send as X-CSRF-Token on unsafe methods with the cookie.' }),
    expiresAt: timestampSchema,
    user: z.object({
      id: z.number().int(),
      email: z.string(),
      name: z.string(),
      /** The role in the default project (null: none there). */
      role: roleOrNoneSchema,
      orgAdmin: z.boolean(),
    }),
  })
  .openapi('LoginResult');
export type LoginResult = z.infer<typeof loginResultSchema>;

/** Logins, logouts and changing one's own password. */
export interface AuthService {
  login(email: string, password: string, client: string): Promise<LoginResult>;
  /**
   * Starts a session for a user someone else has authenticated (single sign-on), exactly as a
   * password login does: the session row and its `auth.login` audit event (with `details`), the JWT.
   */
  startSession(user: UserRow, client: string, details: Record<string, string>): Promise<LoginResult>;
  logout(principal: Principal): Promise<void>;
  /**
   * Sets a signed-in user's password after checking the current one: rate-limited with logins (a wrong
   * current password counts as a failed login), audited, and every other session of the user ends.
   * Throws {@link ForbiddenError} for an API token, {@link ValidationError} at `currentPassword` for a
   * wrong one and at `newPassword` for the same one again.
   */
  changePassword(principal: Principal, current: string, next: string, client: string): Promise<void>;
}

/** What {@link createAuthService} needs. */
export interface AuthServiceDeps extends WriteDeps {
  metrics: Pick<Metrics, 'recordAuthRefusal'>;
  /** The JWT signing secret (the same on every replica). */
  secret: Uint8Array;
  /** Session lifetime, in seconds. */
  sessionTtlSeconds: number;
}

/** Options of {@link createAuthService}. */
export interface AuthServiceOptions {
  /**
   * Whether users who ever signed in through single sign-on may still use a password
   * (`RINGFLAG_OIDC_PASSWORD_LOGIN`, default true).
   */
  ssoUsersMayUsePassword?: boolean;
}

/** The actor of an attempt to log in as `email`, before anyone is authenticated. */
function anonymous(email: string): Actor {
  return { type: 'user', id: 'anonymous', name: email };
}

/** What a rate-limited password check was: a login, or a signed-in user changing their password. */
interface Attempt {
  actor: Actor;
  /** The audit action of its first refusal. */
  action: 'auth.login_rate_limited' | 'auth.password_change_rate_limited';
  what: string;
}

/**
 * Refuses a rate-limited password check. Only the first refusal per limit and window is audited, so
 * guessing cannot flood the audit trail; every refusal is counted in `/metrics` (as a login's).
 */
async function refuseAttempt(
  deps: AuthServiceDeps,
  email: string,
  client: string,
  refusal: LoginRefusal,
  attempt: Attempt = { actor: anonymous(email), action: 'auth.login_rate_limited', what: 'logins' },
): Promise<never> {
  deps.metrics.recordAuthRefusal('login', refusal.limit);
  if (refusal.first) {
    await runWrite(deps, attempt.actor, async (w) => {
      w.audit({
        action: attempt.action,
        resource: { type: 'user', key: email },
        before: null,
        after: { client, limit: refusal.limit, retryAfter: refusal.retryAfter },
      });
    });
  }
  throw new RateLimitedError(`Too many failed ${attempt.what}; try again in ${refusal.retryAfter} s`, [], {
    'retry-after': String(refusal.retryAfter),
  });
}

/**
 * Creates the auth service: scrypt passwords, rate-limited attempts (`limiter`, per replica),
 * audited failures, sessions that logout revokes.
 *
 * @example
 * const auth = createAuthService({ database, changes, clock, logger, metrics, secret, sessionTtlSeconds }, limiter);
 */
export function createAuthService(
  deps: AuthServiceDeps,
  limiter: LoginLimiter,
  options: AuthServiceOptions = {},
): AuthService {
  const startSession = async (
    user: UserRow,
    client: string,
    details: Record<string, string> = {},
  ): Promise<LoginResult> => {
    const now = deps.clock();
    const sid = randomUUID();
    const csrf = randomBytes(24).toString('base64url');
    const expiresAt = new Date(now.getTime() + deps.sessionTtlSeconds * 1000).toISOString();
    const role = await userRole(deps.database, user, DEFAULT_PROJECT);
    const principal: Principal = {
      kind: 'user',
      id: user.id,
      name: user.email,
      role,
      orgAdmin: user.orgAdmin,
      environments: null,
    };
    await runWrite(deps, actorOf(principal), async (w) => {
      await insertSession(w.tx, { id: sid, userId: user.id, createdAt: w.now, expiresAt });
      w.audit({
        action: 'auth.login',
        resource: { type: 'user', key: user.email },
        before: null,
        after: { client, ...details },
      });
    });
    const token = await signSessionToken(
      deps.secret,
      { sub: String(user.id), sid, csrf },
      now,
      deps.sessionTtlSeconds,
    );
    return {
      token,
      csrfToken: csrf,
      expiresAt,
      user: { id: user.id, email: user.email, name: user.name, role, orgAdmin: user.orgAdmin },
    };
  };

  return {
    startSession,

    async login(rawEmail, password, client) {
      const email = rawEmail.trim().toLowerCase();
      // Counted before the slow password check, so concurrent attempts cannot outrun the limit.
      const attempt = limiter.reserve(email, client);
      if (!attempt.ok) return refuseAttempt(deps, email, client, attempt);
      const user = await findUserByEmail(deps.database, email);
      if (user?.ssoSubject != null && options.ssoUsersMayUsePassword === false) {
        await runWrite(deps, anonymous(email), async (w) => {
          w.audit({
            action: 'auth.login_failed',
            resource: { type: 'user', key: email },
            before: null,
            after: { client, reason: 'single sign-on only' },
          });
        });
        throw new UnauthorizedError('This account signs in with single sign-on: use "Sign in with SSO"');
      }
      const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
      if (!user || !valid || user.disabled) {
        await runWrite(deps, anonymous(email), async (w) => {
          w.audit({
            action: 'auth.login_failed',
            resource: { type: 'user', key: email },
            before: null,
            after: { client, reason: !user ? 'unknown user' : user.disabled ? 'disabled' : 'wrong password' },
          });
        });
        throw new UnauthorizedError('Wrong email or password');
      }
      attempt.succeeded();
      return startSession(user, client);
    },

    async changePassword(principal, current, next, client) {
      if (principal.kind !== 'user') {
        throw new ForbiddenError('An API token has no password; sign in as the user to change theirs');
      }
      const actor = actorOf(principal);
      const user = await findUserById(deps.database, principal.id);
      if (!user) throw new UnauthorizedError('The session has ended; log in again');
      const attempt = limiter.reserve(user.email, client);
      if (!attempt.ok) {
        return refuseAttempt(deps, user.email, client, attempt, {
          actor,
          action: 'auth.password_change_rate_limited',
          what: 'password checks',
        });
      }
      if (!(await verifyPassword(current, user.passwordHash))) {
        await runWrite(deps, actor, async (w) => {
          w.audit({
            action: 'auth.password_change_failed',
            resource: { type: 'user', key: user.email },
            before: null,
            after: { client, reason: 'wrong current password' },
          });
        });
        throw new ValidationError('The current password is wrong', [
          { path: 'currentPassword', message: 'is not your current password' },
        ]);
      }
      attempt.succeeded();
      if (next === current) {
        throw new ValidationError('The new password is the current one', [
          { path: 'newPassword', message: 'must differ from the current password' },
        ]);
      }
      const passwordHash = await hashPassword(next);
      await runWrite(deps, actor, async (w) => {
        const after = await updateUser(w.tx, user.id, { passwordHash, updatedAt: w.now });
        // Whoever else holds a session of this user (a stolen one, too) is signed out.
        await revokeUserSessions(w.tx, user.id, w.now, principal.session?.id);
        w.audit({
          action: 'user.password_change',
          resource: { type: 'user', key: user.email },
          before: await presentUser(w.tx, user),
          after: await presentUser(w.tx, after),
          project: null,
        });
      });
    },

    async logout(principal) {
      const session = principal.session;
      if (!session) return;
      await runWrite(deps, actorOf(principal), async (w) => {
        await revokeSession(w.tx, session.id, w.now);
        w.audit({
          action: 'auth.logout',
          resource: { type: 'user', key: principal.name },
          before: null,
          after: null,
        });
      });
    },
  };
}
