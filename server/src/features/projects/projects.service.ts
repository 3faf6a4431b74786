import { z } from '@hono/zod-openapi';
import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import { timestampSchema } from '../../http/openapi-app.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import type { Principal } from '../auth/principal.js';
import { type Role, roleSchema } from '../auth/roles.js';
import { DEFAULT_ENVIRONMENTS } from '../environments/default-environments.js';
import { environmentView } from '../environments/environments.service.js';
import { insertEnvironment } from '../environments/environments.store.js';
import { findUserById } from '../users/users.store.js';
import { DEFAULT_PROJECT, inProject } from './project-scope.js';
import {
  findProjectById,
  findProjectByKey,
  insertProject,
  listMembers,
  listMemberships,
  listProjects,
  membershipRole,
  type ProjectRow,
  setMembership,
  updateProject,
} from './projects.store.js';

/** A project as the API shows it, with the caller's role in it. */
export const projectSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    archived: z.boolean(),
    /** The caller's role in the project (org admins: admin). */
    role: roleSchema,
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .openapi('Project');
export type ProjectView = z.infer<typeof projectSchema>;

/** A member of a project. */
export const memberSchema = z
  .object({ userId: z.number().int(), email: z.string(), name: z.string(), role: roleSchema })
  .openapi('ProjectMember');
export type MemberView = z.infer<typeof memberSchema>;

/** A project as the API shows it to someone with `role` in it. */
export function projectView(row: ProjectRow, role: Role): ProjectView {
  return {
    key: row.key,
    name: row.name,
    archived: row.archived,
    role,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** What a project audit event records of it. */
function audited(row: ProjectRow) {
  return { key: row.key, name: row.name, archived: row.archived };
}

/** Projects: each team's flags, environments, keys and roles (see project-scope.ts). */
export interface ProjectService {
  /** The projects `principal` may see (org admins: all; users: theirs; a token: its own), by key. */
  visible(principal: Principal, options?: { archived?: boolean }): Promise<ProjectView[]>;
  /** Creates a project with the default environments (development, staging, production). */
  create(actor: Actor, input: { key: string; name: string }): Promise<ProjectView>;
  /** Renames, archives or unarchives a project (the default project cannot be archived). */
  update(actor: Actor, key: string, changes: { name?: string; archived?: boolean }): Promise<ProjectView>;
  members(key: string): Promise<MemberView[]>;
  /** Gives a user a role in a project, or takes it (`null`). */
  setMember(actor: Actor, key: string, userId: number, role: Role | null): Promise<MemberView[]>;
}

/**
 * Creates the project service.
 *
 * @example
 * const projects = createProjectService({ database, changes, clock, logger });
 */
export function createProjectService(deps: WriteDeps): ProjectService {
  const find = async (key: string) => {
    const row = await findProjectByKey(deps.database, key);
    if (!row) throw new NotFoundError(`No project "${key}"`);
    return row;
  };
  return {
    async visible(principal, options = {}) {
      const wanted = (row: ProjectRow) => options.archived === undefined || row.archived === options.archived;
      if (principal.orgAdmin) {
        return (await listProjects(deps.database)).filter(wanted).map((row) => projectView(row, 'admin'));
      }
      if (principal.kind === 'token') {
        const own = principal.tokenProject;
        const row = own && (await findProjectById(deps.database, own.id));
        return own && row && wanted(row) ? [projectView(row, own.role)] : [];
      }
      const memberships = await listMemberships(deps.database, principal.id);
      const roles = new Map(memberships.map((m) => [m.projectId, m.role]));
      return (await listProjects(deps.database, [...roles.keys()]))
        .filter(wanted)
        .map((row) => projectView(row, roles.get(row.id)!));
    },

    create(actor, input) {
      return runWrite(deps, actor, async (w) => {
        if (await findProjectByKey(w.tx, input.key)) {
          throw new ConflictError(`A project "${input.key}" exists`, [{ path: 'key', message: 'is taken' }]);
        }
        const row = await insertProject(w.tx, {
          key: input.key,
          name: input.name,
          createdAt: w.now,
          updatedAt: w.now,
        });
        w.audit({
          action: 'project.create',
          resource: { type: 'project', key: row.key },
          before: null,
          after: audited(row),
          project: row.key,
        });
        await inProject(row, async () => {
          for (const [order, env] of DEFAULT_ENVIRONMENTS.entries()) {
            const created = await insertEnvironment(w.tx, {
              ...env,
              sortOrder: order,
              corsOrigins: [],
              createdAt: w.now,
              updatedAt: w.now,
            });
            w.audit({
              action: 'environment.create',
              resource: { type: 'environment', key: created.key },
              before: null,
              after: environmentView(created),
              project: row.key,
            });
          }
        });
        w.signal({ type: 'environments-changed' });
        return projectView(row, 'admin');
      });
    },

    update(actor, key, changes) {
      return runWrite(deps, actor, async (w) => {
        const before = await findProjectByKey(w.tx, key);
        if (!before) throw new NotFoundError(`No project "${key}"`);
        if (changes.archived === true && before.id === DEFAULT_PROJECT.id) {
          throw new ValidationError('The default project cannot be archived', [
            { path: 'archived', message: 'the default project is where every URL without a project goes' },
          ]);
        }
        const after = await updateProject(w.tx, before.id, {
          name: changes.name,
          archived: changes.archived,
          updatedAt: w.now,
        });
        const action =
          changes.archived === undefined || changes.archived === before.archived
            ? 'project.update'
            : changes.archived
              ? 'project.archive'
              : 'project.unarchive';
        w.audit({
          action,
          resource: { type: 'project', key },
          before: audited(before),
          after: audited(after),
          project: key,
        });
        return projectView(after, 'admin');
      });
    },

    async members(key) {
      return listMembers(deps.database, (await find(key)).id);
    },

    setMember(actor, key, userId, role) {
      return runWrite(deps, actor, async (w) => {
        const project = await findProjectByKey(w.tx, key);
        if (!project) throw new NotFoundError(`No project "${key}"`);
        const user = await findUserById(w.tx, userId);
        if (!user) throw new NotFoundError(`No user ${userId}`);
        const before = (await membershipRole(w.tx, project.id, userId)) ?? null;
        if (before !== role) {
          await setMembership(w.tx, project.id, userId, role);
          w.audit({
            action: role === null ? 'project.member.remove' : 'project.member.set',
            resource: { type: 'user', key: user.email },
            before: { role: before },
            after: { role },
            project: key,
          });
        }
        return listMembers(w.tx, project.id);
      });
    },
  };
}
