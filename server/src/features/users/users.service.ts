import { z } from '@hono/zod-openapi';
import type { Queryable } from '../../db/client.js';
import { ConflictError, NotFoundError } from '../../errors/index.js';
import { timestampSchema } from '../../http/openapi-app.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import { revokeUserTokens } from '../api-tokens/api-tokens.service.js';
import type { Actor } from '../audit/audit-event.js';
import { revokeUserSessions } from '../auth/auth.store.js';
import { hashPassword } from '../auth/password.js';
import { type Role, roleOrNoneSchema, roleSchema } from '../auth/roles.js';
import { DEFAULT_PROJECT } from '../projects/project-scope.js';
import { listAllMemberships, listMemberships, setMembership } from '../projects/projects.store.js';
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
    /** Manages users and projects, and is an admin in every project. */
    orgAdmin: z.boolean(),
    role: roleOrNoneSchema.openapi({
      description: 'The role in the default project (null: none there). `projects` has every project.',
    }),
    projects: z.array(z.object({ key: z.string(), role: roleSchema })),
    /** Signs in through single sign-on. */
    sso: z.boolean(),
    disabled: z.boolean(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .openapi('User');
export type UserView = z.infer<typeof userSchema>;

/** A user as the API shows it, with their roles per project (by key). */
export function userView(row: UserRow, memberships: { projectKey: string; role: Role }[]): UserView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    orgAdmin: row.orgAdmin,
    role: memberships.find((m) => m.projectKey === DEFAULT_PROJECT.key)?.role ?? null,
    projects: memberships.map((m) => ({ key: m.projectKey, role: m.role })),
    sso: row.ssoSubject !== null,
    disabled: row.disabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A user as the API shows it, with their memberships read from `q`. */
export async function presentUser(q: Queryable, row: UserRow): Promise<UserView> {
  return userView(row, await listMemberships(q, row.id));
}

export interface NewUser {
  email: string;
  name?: string;
  password: string;
  /** The role in the default project (none when absent). */
  role?: Role;
  /** An organisation admin; when absent, whoever gets the admin role (as before projects) is one. */
  orgAdmin?: boolean;
}

export interface UserChanges {
  name?: string;
  /**
   * The role in the default project; null takes it away. When `orgAdmin` is absent it follows the
   * role, as before projects: admin makes an org admin, anything else ends being one.
   */
  role?: Role | null;
  orgAdmin?: boolean;
  disabled?: boolean;
  password?: string;
}

/**
 * Users, and their roles in the default project (project.service.ts sets roles in any project).
 * There is always at least one enabled organisation admin. Disabling a user ends their sessions and
 * revokes their API tokens; a lower role limits their tokens at once (see principal-resolver.ts).
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
      const membershipsBefore = await listMemberships(w.tx, before.id);
      const after = await updateUser(w.tx, before.id, {
        name: changes.name,
        orgAdmin: changes.orgAdmin ?? (changes.role === undefined ? undefined : changes.role === 'admin'),
        disabled: changes.disabled,
        passwordHash,
        updatedAt: w.now,
      });
      if (changes.role !== undefined) await setMembership(w.tx, DEFAULT_PROJECT.id, after.id, changes.role);
      if ((await countActiveAdmins(w.tx)) === 0) {
        throw new ConflictError('There must be at least one enabled organisation admin');
      }
      if (after.disabled || passwordHash !== undefined) await revokeUserSessions(w.tx, after.id, w.now);
      const view = userView(after, await listMemberships(w.tx, after.id));
      w.audit({
        action: passwordHash === undefined ? 'user.update' : 'user.password_reset',
        resource: { type: 'user', key: after.email },
        before: userView(before, membershipsBefore),
        after: view,
        project: null,
      });
      // A disabled user's tokens stop with their sessions, in the same transaction, each audited.
      if (after.disabled) await revokeUserTokens(w, after.id);
      return view;
    });
  };

  return {
    async list() {
      const [users, memberships] = await Promise.all([
        listUsers(deps.database),
        listAllMemberships(deps.database),
      ]);
      return users.map((row) => userView(row, memberships.get(row.id) ?? []));
    },

    async create(actor, input) {
      const email = input.email.trim().toLowerCase();
      const passwordHash = await hashPassword(input.password);
      return runWrite(deps, actor, async (w) => {
        if (await findUserByEmail(w.tx, email)) throw new ConflictError(`A user "${email}" already exists`);
        const row = await insertUser(w.tx, {
          email,
          name: input.name ?? email,
          orgAdmin: input.orgAdmin ?? input.role === 'admin',
          passwordHash,
          createdAt: w.now,
          updatedAt: w.now,
        });
        if (input.role !== undefined) await setMembership(w.tx, DEFAULT_PROJECT.id, row.id, input.role);
        const view = userView(row, await listMemberships(w.tx, row.id));
        w.audit({
          action: 'user.create',
          resource: { type: 'user', key: email },
          before: null,
          after: view,
          project: null,
        });
        return view;
      });
    },

    update: (actor, id, changes) => update(actor, (q) => findUserById(q, id), changes),

    resetPassword: (actor, email, password) =>
      update(actor, (q) => findUserByEmail(q, email.trim().toLowerCase()), { password }),
  };
}
