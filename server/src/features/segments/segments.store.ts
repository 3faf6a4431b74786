import { eq } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { segments } from '../../db/schema.js';
import type { SegmentRow } from '../flags/flag-model.js';

export { findSegment, listSegments } from '../flags/flags.store.js';

export function insertSegment(db: Queryable, values: typeof segments.$inferInsert): SegmentRow {
  return db.insert(segments).values(values).returning().get();
}

export function updateSegment(
  db: Queryable,
  id: number,
  values: Partial<typeof segments.$inferInsert>,
): SegmentRow {
  return db.update(segments).set(values).where(eq(segments.id, id)).returning().get();
}

export function deleteSegment(db: Queryable, id: number): void {
  db.delete(segments).where(eq(segments.id, id)).run();
}
