import { z } from '@hono/zod-openapi';
import type { Queryable } from '../../db/client.js';
import { ConflictError, NotFoundError } from '../../errors/index.js';
import { timestampSchema } from '../../http/openapi-app.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import { revokeUserTokens } from '../api-tokens/api-tokens.service.js';
import type { Actor } from '../audit/audit-event.js';
import { revokeUserSessions } from '../auth/auth.store.js';
import { hashPassword } from '../auth/password.js';
import { type Role, roleSchema } from '../auth/roles.js';
import {
  countActiveAdmins,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  type UserRow,
  updateUser,
} from './users.store.js';

/** A user as the API shows it (never the password hash). */
export const userSchema = z
  .object({
    id: z.number().int(),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    disabled: z.boolean(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .openapi('User');
export type UserView = z.infer<typeof userSchema>;

export function userView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    disabled: row.disabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export interface NewUser {
  email: string;
  name?: string;
  password: string;
  role: Role;
}

export interface UserChanges {
  name?: string;
  role?: Role;
  disabled?: boolean;
  password?: string;
}

/**
 * Users and their roles. There is always at least one enabled admin. Disabling a user ends their
 * sessions and revokes their API tokens; a lower role limits their tokens at once (see principal-resolver.ts).
 */
export interface UserService {
  list(): Promise<UserView[]>;
  create(actor: Actor, input: NewUser): Promise<UserView>;
  update(actor: Actor, id: number, changes: UserChanges): Promise<UserView>;
  /** Sets a password by email (the CLI's reset-password). */
  resetPassword(actor: Actor, email: string, password: string): Promise<UserView>;
}

/**
 * Creates the user service. Users are read from the database on every request (see
 * principal-resolver.ts), so a change here holds on every replica at its next request.
 *
 * @example
 * const users = createUserService({ database, changes, clock, logger });
 */
export function createUserService(deps: WriteDeps): UserService {
  const update = async (
    actor: Actor,
    find: (q: Queryable) => Promise<UserRow | undefined>,
    changes: UserChanges,
  ) => {
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    return runWrite(deps, actor, async (w) => {
      const before = await find(w.tx);
      if (!before) throw new NotFoundError('No such user');
      const after = await updateUser(w.tx, before.id, {
        name: changes.name,
        role: changes.role,
        disabled: changes.disabled,
        passwordHash,
        updatedAt: w.now,
      });
      if ((await countActiveAdmins(w.tx)) === 0) {
        throw new ConflictError('There must be at least one enabled admin');
      }
      if (after.disabled || passwordHash !== undefined) await revokeUserSessions(w.tx, after.id, w.now);
      const view = userView(after);
      w.audit({
        action: passwordHash === undefined ? 'user.update' : 'user.password_reset',
        resource: { type: 'user', key: after.email },
        before: userView(before),
        after: view,
      });
      // A disabled user's tokens stop with their sessions, in the same transaction, each audited.
      if (after.disabled) await revokeUserTokens(w, after.id);
      return view;
    });
  };

  return {
    list: async () => (await listUsers(deps.database)).map(userView),

    async create(actor, input) {
      const email = input.email.trim().toLowerCase();
      const passwordHash = await hashPassword(input.password);
      return runWrite(deps, actor, async (w) => {
        if (await findUserByEmail(w.tx, email)) throw new ConflictError(`A user "${email}" already exists`);
        const row = await insertUser(w.tx, {
          email,
          name: input.name ?? email,
          role: input.role,
          passwordHash,
          createdAt: w.now,
          updatedAt: w.now,
        });
        const view = userView(row);
        w.audit({ action: 'user.create', resource: { type: 'user', key: email }, before: null, after: view });
        return view;
      });
    },

    update: (actor, id, changes) => update(actor, (q) => findUserById(q, id), changes),

    resetPassword: (actor, email, password) =>
      update(actor, (q) => findUserByEmail(q, email.trim().toLowerCase()), { password }),
  };
}
