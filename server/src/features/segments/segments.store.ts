import { eq } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { segments } from '../../db/schema.js';
import type { SegmentRow } from '../flags/flag-model.js';

export { findSegment, listSegments } from '../flags/flags.store.js';

export async function insertSegment(
  { db, t }: Queryable,
  values: typeof segments.$inferInsert,
): Promise<SegmentRow> {
  const [row] = await db.insert(t.segments).values(values).returning();
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
