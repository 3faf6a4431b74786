import { eq } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { segments } from '../../db/schema.js';
import type { SegmentRow } from '../flags/flag-model.js';
import { projectInScope } from '../projects/project-scope.js';

export { findSegment, listSegments } from '../flags/flags.store.js';

export async function insertSegment(
  { db, t }: Queryable,
  values: Omit<typeof segments.$inferInsert, 'projectId'>,
): Promise<SegmentRow> {
  const [row] = await db
    .insert(t.segments)
    .values({ ...values, projectId: projectInScope().id })
    .returning();
  return row!;
}

export async function updateSegment(
  { db, t }: Queryable,
  id: number,
  values: Partial<typeof segments.$inferInsert>,
): Promise<SegmentRow> {
  const [row] = await db.update(t.segments).set(values).where(eq(t.segments.id, id)).returning();
  if (!row) throw new Error(`segment ${id} vanished inside a write`);
  return row;
}

export async function deleteSegment({ db, t }: Queryable, id: number): Promise<void> {
  await db.delete(t.segments).where(eq(t.segments.id, id));
}
