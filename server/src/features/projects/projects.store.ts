import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { fitsInteger } from '../../db/portable.js';
import type { projects } from '../../db/schema.js';
import type { Role } from '../auth/roles.js';

/** A project row. */
export type ProjectRow = typeof projects.$inferSelect;

export async function findProjectByKey({ db, t }: Queryable, key: string): Promise<ProjectRow | undefined> {
  const [row] = await db.select().from(t.projects).where(eq(t.projects.key, key)).limit(1);
  return row;
}

export async function findProjectById({ db, t }: Queryable, id: number): Promise<ProjectRow | undefined> {
  if (!fitsInteger(id)) return undefined;
  const [row] = await db.select().from(t.projects).where(eq(t.projects.id, id)).limit(1);
  return row;
}

/** Projects by key; only those with the given ids when `ids` is set. */
export async function listProjects({ db, t }: Queryable, ids?: number[]): Promise<ProjectRow[]> {
  if (ids !== undefined && ids.length === 0) return [];
  return db
    .select()
    .from(t.projects)
    .where(ids === undefined ? undefined : inArray(t.projects.id, ids))
    .orderBy(asc(t.projects.key));
}

export async function insertProject(
  { db, t }: Queryable,
  values: typeof projects.$inferInsert,
): Promise<ProjectRow> {
  const [row] = await db.insert(t.projects).values(values).returning();
  return row!;
}

export async function updateProject(
  { db, t }: Queryable,
  id: number,
  values: Partial<typeof projects.$inferInsert>,
): Promise<ProjectRow> {
  const [row] = await db.update(t.projects).set(values).where(eq(t.projects.id, id)).returning();
  if (!row) throw new Error(`project ${id} vanished inside a write`);
  return row;
}

/** A user's role in each project they are a member of. */
export async function listMemberships(
  { db, t }: Queryable,
  userId: number,
): Promise<{ projectId: number; projectKey: string; role: Role }[]> {
  return db
    .select({
      projectId: t.projectMembers.projectId,
      projectKey: t.projects.key,
      role: t.projectMembers.role,
    })
    .from(t.projectMembers)
    .innerJoin(t.projects, eq(t.projects.id, t.projectMembers.projectId))
    .where(eq(t.projectMembers.userId, userId))
    .orderBy(asc(t.projects.key));
}

/** Every user's memberships (project key and role), by user id. */
export async function listAllMemberships({
  db,
  t,
}: Queryable): Promise<Map<number, { projectKey: string; role: Role }[]>> {
  const rows = await db
    .select({ userId: t.projectMembers.userId, projectKey: t.projects.key, role: t.projectMembers.role })
    .from(t.projectMembers)
    .innerJoin(t.projects, eq(t.projects.id, t.projectMembers.projectId))
    .orderBy(asc(t.projects.key));
  const byUser = new Map<number, { projectKey: string; role: Role }[]>();
  for (const { userId, ...membership } of rows) {
    const list = byUser.get(userId) ?? [];
    list.push(membership);
    byUser.set(userId, list);
  }
  return byUser;
}

/** A user's role in one project, or undefined when they are not a member. */
export async function membershipRole(
  { db, t }: Queryable,
  projectId: number,
  userId: number,
): Promise<Role | undefined> {
  const [row] = await db
    .select({ role: t.projectMembers.role })
    .from(t.projectMembers)
    .where(and(eq(t.projectMembers.projectId, projectId), eq(t.projectMembers.userId, userId)))
    .limit(1);
  return row?.role;
}

/** The members of a project with their roles, by user id. */
export async function listMembers(
  { db, t }: Queryable,
  projectId: number,
): Promise<{ userId: number; email: string; name: string; role: Role }[]> {
  return db
    .select({
      userId: t.projectMembers.userId,
      email: t.users.email,
      name: t.users.name,
      role: t.projectMembers.role,
    })
    .from(t.projectMembers)
    .innerJoin(t.users, eq(t.users.id, t.projectMembers.userId))
    .where(eq(t.projectMembers.projectId, projectId))
    .orderBy(asc(t.projectMembers.userId));
}

/** Sets a user's role in a project; `null` removes them from it. */
export async function setMembership(
  { db, t }: Queryable,
  projectId: number,
  userId: number,
  role: Role | null,
): Promise<void> {
  const where = and(eq(t.projectMembers.projectId, projectId), eq(t.projectMembers.userId, userId));
  if (role === null) {
    await db.delete(t.projectMembers).where(where);
    return;
  }
  await db
    .insert(t.projectMembers)
    .values({ projectId, userId, role })
    .onConflictDoUpdate({ target: [t.projectMembers.projectId, t.projectMembers.userId], set: { role } });
}
