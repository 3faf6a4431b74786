import { randomBytes, randomUUID } from 'node:crypto';
import type { AppDeps } from '../../app-env.js';
import { runWrite } from '../../db/unit-of-work.js';
import { RateLimitedError, UnauthorizedError } from '../../errors/index.js';
import { findUserByEmail, insertSession, revokeSession } from './auth.store.js';
import type { LoginLimiter } from './login-limiter.js';
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
  logout(principal: Principal): void;
}

/**
 * Creates the auth service: scrypt passwords, rate-limited attempts, audited failures, sessions
 * that logout revokes.
 */
export function createAuthService(deps: AppDeps, limiter: LoginLimiter): AuthService {
  return {
    async login(rawEmail, password, client) {
      const email = rawEmail.trim().toLowerCase();
      const keys = [`email:${email}`, `client:${client}`];
      const wait = Math.max(...keys.map((key) => limiter.retryAfter(key)));
      if (wait > 0) {
        throw new RateLimitedError(`Too many failed logins; try again in ${wait} s`, [], {
          'retry-after': String(wait),
        });
      }
      const user = findUserByEmail(deps.db, email);
      const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
      if (!user || !valid || user.disabled) {
        for (const key of keys) limiter.recordFailure(key);
        runWrite(deps, { type: 'user', id: 'anonymous', name: email }, (w) =>
          w.audit({
            action: 'auth.login_failed',
            resource: { type: 'user', key: email },
            before: null,
            after: { client, reason: !user ? 'unknown user' : user.disabled ? 'disabled' : 'wrong password' },
          }),
        );
        throw new UnauthorizedError('Wrong email or password');
      }
      for (const key of keys) limiter.reset(key);
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
      runWrite(deps, actorOf(principal), (w) => {
        insertSession(w.tx, { id: sid, userId: user.id, createdAt: w.now, expiresAt });
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

    logout(principal) {
      const session = principal.session;
      if (!session) return;
      runWrite(deps, actorOf(principal), (w) => {
        revokeSession(w.tx, session.id, w.now);
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
