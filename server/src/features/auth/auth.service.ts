import { randomBytes, randomUUID } from 'node:crypto';
import { RateLimitedError, UnauthorizedError } from '../../errors/index.js';
import type { Metrics } from '../../ops/metrics.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { findUserByEmail } from '../users/users.store.js';
import { insertSession, revokeSession } from './auth.store.js';
import type { LoginLimiter, LoginRefusal } from './login-limiter.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from './password.js';
import { actorOf, type Principal } from './principal.js';
import { signSessionToken } from './session-token.js';

/** A successful login. */
export interface LoginResult {
  token: string;
  csrfToken: string;
  expiresAt: string;
  user: { id: number; email: string; name: string; role: string };
}

/** Logins and logouts. */
export interface AuthService {
  login(email: string, password: string, client: string): Promise<LoginResult>;
  logout(principal: Principal): Promise<void>;
}

/** What {@link createAuthService} needs. */
export interface AuthServiceDeps extends WriteDeps {
  metrics: Pick<Metrics, 'recordAuthRefusal'>;
  /** The JWT signing secret (the same on every replica). */
  secret: Uint8Array;
  /** Session lifetime, in seconds. */
  sessionTtlSeconds: number;
}

/** The actor of an attempt to log in as `email`, before anyone is authenticated. */
function anonymous(email: string): Actor {
  return { type: 'user', id: 'anonymous', name: email };
}

/**
 * Refuses a rate-limited login. Only the first refusal per limit and window is audited, so guessing
 * cannot flood the audit trail; every refusal is counted in `/metrics`.
 */
async function refuseAttempt(
  deps: AuthServiceDeps,
  email: string,
  client: string,
  refusal: LoginRefusal,
): Promise<never> {
  deps.metrics.recordAuthRefusal('login', refusal.limit);
  if (refusal.first) {
    await runWrite(deps, anonymous(email), async (w) => {
      w.audit({
        action: 'auth.login_rate_limited',
        resource: { type: 'user', key: email },
        before: null,
        after: { client, limit: refusal.limit, retryAfter: refusal.retryAfter },
      });
    });
  }
  throw new RateLimitedError(`Too many failed logins; try again in ${refusal.retryAfter} s`, [], {
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
export function createAuthService(deps: AuthServiceDeps, limiter: LoginLimiter): AuthService {
  return {
    async login(rawEmail, password, client) {
      const email = rawEmail.trim().toLowerCase();
      // Counted before the slow password check, so concurrent attempts cannot outrun the limit.
      const attempt = limiter.reserve(email, client);
      if (!attempt.ok) return refuseAttempt(deps, email, client, attempt);
      const user = await findUserByEmail(deps.database, email);
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
      const now = deps.clock();
      const sid = randomUUID();
      const csrf = randomBytes(24).toString('base64url');
      const expiresAt = new Date(now.getTime() + deps.sessionTtlSeconds * 1000).toISOString();
      const principal: Principal = {
        kind: 'user',
        id: user.id,
        name: user.email,
        role: user.role,
        environments: null,
      };
      await runWrite(deps, actorOf(principal), async (w) => {
        await insertSession(w.tx, { id: sid, userId: user.id, createdAt: w.now, expiresAt });
        w.audit({
          action: 'auth.login',
          resource: { type: 'user', key: user.email },
          before: null,
          after: { client },
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
        user: { id: user.id, email: user.email, name: user.name, role: user.role },
      };
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
