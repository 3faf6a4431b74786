import type { AppDeps } from '../../app-env.js';
import { runWrite } from '../../db/unit-of-work.js';
import { ConflictError, NotFoundError } from '../../errors/index.js';
import { revokeUserTokens } from '../api-tokens/api-tokens.service.js';
import type { Actor } from '../audit/audit-event.js';
import { revokeUserSessions } from '../auth/auth.store.js';
import { hashPassword } from '../auth/password.js';
import type { Role } from '../auth/roles.js';
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
export interface UserView {
  id: number;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

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
 * sessions and revokes their API tokens; a lower role limits their tokens at once (see authenticate).
 */
export interface UserService {
  list(): UserView[];
  create(actor: Actor, input: NewUser): Promise<UserView>;
  update(actor: Actor, id: number, changes: UserChanges): Promise<UserView>;
  /** Sets a password by email (the CLI's reset-password). */
  resetPassword(actor: Actor, email: string, password: string): Promise<UserView>;
}

export function createUserService(deps: AppDeps): UserService {
  const update = async (actor: Actor, find: () => UserRow | undefined, changes: UserChanges) => {
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    return runWrite(deps, actor, (w) => {
      const before = find();
      if (!before) throw new NotFoundError('No such user');
      const after = updateUser(w.tx, before.id, {
        name: changes.name,
        role: changes.role,
        disabled: changes.disabled,
        passwordHash,
        updatedAt: w.now,
      });
      if (countActiveAdmins(w.tx) === 0) throw new ConflictError('There must be at least one enabled admin');
      if (after.disabled || passwordHash !== undefined) revokeUserSessions(w.tx, after.id, w.now);
      const view = userView(after);
      w.audit({
        action: passwordHash === undefined ? 'user.update' : 'user.password_reset',
        resource: { type: 'user', key: after.email },
        before: userView(before),
        after: view,
      });
      // A disabled user's tokens stop with their sessions, in the same transaction, each audited.
      if (after.disabled) revokeUserTokens(w, after.id);
      return view;
    });
  };

  return {
    list: () => listUsers(deps.db).map(userView),

    async create(actor, input) {
      const email = input.email.trim().toLowerCase();
      const passwordHash = await hashPassword(input.password);
      return runWrite(deps, actor, (w) => {
        if (findUserByEmail(w.tx, email)) throw new ConflictError(`A user "${email}" already exists`);
        const row = insertUser(w.tx, {
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

    update: (actor, id, changes) => update(actor, () => findUserById(deps.db, id), changes),

    resetPassword: (actor, email, password) =>
      update(actor, () => findUserByEmail(deps.db, email.trim().toLowerCase()), { password }),
  };
}
