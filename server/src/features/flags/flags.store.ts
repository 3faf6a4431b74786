import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { inByteOrder } from '../../db/portable.js';
import type { flagConfigs, flags } from '../../db/schema.js';
import { projectInScope } from '../projects/project-scope.js';
import type { FlagConfigRow, FlagRow, SegmentRow } from './flag-model.js';

/** A flag of the project in scope, by key. */
export async function findFlag({ db, t }: Queryable, key: string): Promise<FlagRow | undefined> {
  const [row] = await db
    .select()
    .from(t.flags)
    .where(and(eq(t.flags.projectId, projectInScope().id), eq(t.flags.key, key)))
    .limit(1);
  return row;
}

/** Flags of the project in scope ordered by key (byte order), after `afterKey`, optionally filtered. */
export async function listFlags(
  q: Queryable,
  options: { limit: number; afterKey?: string; archived?: boolean; tag?: string },
): Promise<FlagRow[]> {
  const { db, t } = q;
  const key = inByteOrder(q, t.flags.key);
  const where: (SQL | undefined)[] = [
    eq(t.flags.projectId, projectInScope().id),
    options.afterKey === undefined ? undefined : gt(key, options.afterKey),
    options.archived === undefined ? undefined : eq(t.flags.archived, options.archived),
  ];
  const rows = await db
    .select()
    .from(t.flags)
    .where(and(...where))
    .orderBy(asc(key))
    .limit(options.tag === undefined ? options.limit : 10_000);
  return options.tag === undefined
    ? rows
    : rows.filter((row) => row.tags.includes(options.tag as string)).slice(0, options.limit);
}

/** Inserts a flag into the project in scope. */
export async function insertFlag(
  { db, t }: Queryable,
  values: Omit<typeof flags.$inferInsert, 'projectId'>,
): Promise<FlagRow> {
  const [row] = await db
    .insert(t.flags)
    .values({ ...values, projectId: projectInScope().id })
    .returning();
  return row!;
}

export async function updateFlag(
  { db, t }: Queryable,
  id: number,
  values: Partial<typeof flags.$inferInsert>,
): Promise<FlagRow> {
  const [row] = await db.update(t.flags).set(values).where(eq(t.flags.id, id)).returning();
  if (!row) throw new Error(`flag ${id} vanished inside a write`);
  return row;
}

export async function findConfig(
  { db, t }: Queryable,
  flagId: number,
  environmentId: number,
): Promise<FlagConfigRow | undefined> {
  const [row] = await db
    .select()
    .from(t.flagConfigs)
    .where(and(eq(t.flagConfigs.flagId, flagId), eq(t.flagConfigs.environmentId, environmentId)))
    .limit(1);
  return row;
}

export async function listConfigsOfFlag({ db, t }: Queryable, flagId: number): Promise<FlagConfigRow[]> {
  return db
    .select()
    .from(t.flagConfigs)
    .where(eq(t.flagConfigs.flagId, flagId))
    .orderBy(asc(t.flagConfigs.environmentId));
}

export async function insertConfig(
  { db, t }: Queryable,
  values: typeof flagConfigs.$inferInsert,
): Promise<void> {
  await db.insert(t.flagConfigs).values(values);
}

export async function updateConfig(
  { db, t }: Queryable,
  flagId: number,
  environmentId: number,
  values: Partial<typeof flagConfigs.$inferInsert>,
): Promise<FlagConfigRow> {
  const [row] = await db
    .update(t.flagConfigs)
    .set(values)
    .where(and(eq(t.flagConfigs.flagId, flagId), eq(t.flagConfigs.environmentId, environmentId)))
    .returning();
  if (!row)
    throw new Error(`config of flag ${flagId} in environment ${environmentId} vanished inside a write`);
  return row;
}

/** Every flag with its config in one environment, by flag key; archived flags only when asked. */
export async function listFlagsWithConfigs(
  q: Queryable,
  environmentId: number,
  includeArchived = false,
): Promise<{ flag: FlagRow; config: FlagConfigRow }[]> {
  const { db, t } = q;
  return db
    .select({ flag: t.flags, config: t.flagConfigs })
    .from(t.flagConfigs)
    .innerJoin(t.flags, eq(t.flags.id, t.flagConfigs.flagId))
    .where(
      includeArchived
        ? eq(t.flagConfigs.environmentId, environmentId)
        : and(eq(t.flagConfigs.environmentId, environmentId), eq(t.flags.archived, false)),
    )
    .orderBy(asc(inByteOrder(q, t.flags.key)));
}

/**
 * Every config of every flag of the project in scope, by flag key then environment (for reference
 * checks across environments).
 */
export async function listAllConfigs(q: Queryable): Promise<{ flag: FlagRow; config: FlagConfigRow }[]> {
  const { db, t } = q;
  return db
    .select({ flag: t.flags, config: t.flagConfigs })
    .from(t.flagConfigs)
    .innerJoin(t.flags, eq(t.flags.id, t.flagConfigs.flagId))
    .where(eq(t.flags.projectId, projectInScope().id))
    .orderBy(asc(inByteOrder(q, t.flags.key)), asc(t.flagConfigs.environmentId));
}

/** Every segment of a project (the one in scope unless named), by key (byte order). */
export async function listSegments(
  q: Queryable,
  projectId: number = projectInScope().id,
): Promise<SegmentRow[]> {
  const { db, t } = q;
  return db
    .select()
    .from(t.segments)
    .where(eq(t.segments.projectId, projectId))
    .orderBy(asc(inByteOrder(q, t.segments.key)));
}

/** A segment of the project in scope, by key. */
export async function findSegment({ db, t }: Queryable, key: string): Promise<SegmentRow | undefined> {
  const [row] = await db
    .select()
    .from(t.segments)
    .where(and(eq(t.segments.projectId, projectInScope().id), eq(t.segments.key, key)))
    .limit(1);
  return row;
}
