import { and, asc, eq, gt, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import { flagConfigs, flags, segments } from '../../db/schema.js';
import type { FlagConfigRow, FlagRow, SegmentRow } from './flag-model.js';

export function findFlag(db: Queryable, key: string): FlagRow | undefined {
  return prepared(db, 'findFlag', () =>
    db
      .select()
      .from(flags)
      .where(eq(flags.key, sql.placeholder('key')))
      .prepare(),
  ).get({ key });
}

/** Flags ordered by key, after `afterKey`, optionally filtered. */
export function listFlags(
  db: Queryable,
  options: { limit: number; afterKey?: string; archived?: boolean; tag?: string },
): FlagRow[] {
  const where: (SQL | undefined)[] = [
    options.afterKey === undefined ? undefined : gt(flags.key, options.afterKey),
    options.archived === undefined ? undefined : eq(flags.archived, options.archived),
  ];
  const rows = db
    .select()
    .from(flags)
    .where(and(...where))
    .orderBy(asc(flags.key))
    .limit(options.tag === undefined ? options.limit : 10_000)
    .all();
  return options.tag === undefined
    ? rows
    : rows.filter((row) => row.tags.includes(options.tag as string)).slice(0, options.limit);
}

export function insertFlag(db: Queryable, values: typeof flags.$inferInsert): FlagRow {
  return db.insert(flags).values(values).returning().get();
}

export function updateFlag(db: Queryable, id: number, values: Partial<typeof flags.$inferInsert>): FlagRow {
  return db.update(flags).set(values).where(eq(flags.id, id)).returning().get();
}

export function findConfig(db: Queryable, flagId: number, environmentId: number): FlagConfigRow | undefined {
  return prepared(db, 'findConfig', () =>
    db
      .select()
      .from(flagConfigs)
      .where(
        and(
          eq(flagConfigs.flagId, sql.placeholder('flagId')),
          eq(flagConfigs.environmentId, sql.placeholder('environmentId')),
        ),
      )
      .prepare(),
  ).get({ flagId, environmentId });
}

export function listConfigsOfFlag(db: Queryable, flagId: number): FlagConfigRow[] {
  return db.select().from(flagConfigs).where(eq(flagConfigs.flagId, flagId)).all();
}

export function insertConfig(db: Queryable, values: typeof flagConfigs.$inferInsert): void {
  db.insert(flagConfigs).values(values).run();
}

export function updateConfig(
  db: Queryable,
  flagId: number,
  environmentId: number,
  values: Partial<typeof flagConfigs.$inferInsert>,
): FlagConfigRow {
  return db
    .update(flagConfigs)
    .set(values)
    .where(and(eq(flagConfigs.flagId, flagId), eq(flagConfigs.environmentId, environmentId)))
    .returning()
    .get();
}

/** Switches a config on or off with a new version: the kill switch's path, prepared once. */
export function setConfigEnabled(
  db: Queryable,
  flagId: number,
  environmentId: number,
  values: { enabled: boolean; version: number; updatedAt: string },
): FlagConfigRow {
  return prepared(db, 'setConfigEnabled', () =>
    db
      .update(flagConfigs)
      .set({
        enabled: sql`${sql.placeholder('enabled')}`,
        version: sql`${sql.placeholder('version')}`,
        updatedAt: sql`${sql.placeholder('updatedAt')}`,
      })
      .where(
        and(
          eq(flagConfigs.flagId, sql.placeholder('flagId')),
          eq(flagConfigs.environmentId, sql.placeholder('environmentId')),
        ),
      )
      .returning()
      .prepare(),
  ).get({ ...values, enabled: values.enabled ? 1 : 0, flagId, environmentId }) as FlagConfigRow;
}

/** Every flag with its config in one environment; archived flags only when asked. */
export function listFlagsWithConfigs(
  db: Queryable,
  environmentId: number,
  includeArchived = false,
): { flag: FlagRow; config: FlagConfigRow }[] {
  return db
    .select({ flag: flags, config: flagConfigs })
    .from(flagConfigs)
    .innerJoin(flags, eq(flags.id, flagConfigs.flagId))
    .where(
      includeArchived
        ? eq(flagConfigs.environmentId, environmentId)
        : and(eq(flagConfigs.environmentId, environmentId), eq(flags.archived, false)),
    )
    .orderBy(asc(flags.key))
    .all();
}

/** Every config of every flag (for reference checks across environments). */
export function listAllConfigs(db: Queryable): { flag: FlagRow; config: FlagConfigRow }[] {
  return db
    .select({ flag: flags, config: flagConfigs })
    .from(flagConfigs)
    .innerJoin(flags, eq(flags.id, flagConfigs.flagId))
    .all();
}

export function listSegments(db: Queryable): SegmentRow[] {
  return db.select().from(segments).orderBy(asc(segments.key)).all();
}

export function findSegment(db: Queryable, key: string): SegmentRow | undefined {
  return db.select().from(segments).where(eq(segments.key, key)).get();
}
