import { z } from '@hono/zod-openapi';
import { contextSchema, flagKeySchema, idSchema } from '@ringflag/sdk-node/engine';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { eventCounts, exposureCounts } from '../../db/schema.js';

const countSchema = z.number().int().min(1).max(1_000_000_000);
/** Minutes since the Unix epoch (`Math.floor(ms / 60000)`); the server's current minute when left out. */
const minuteSchema = z.number().int().min(0).max(1e8);

/**
 * The body of `POST /sdk/v1/events`: exposure summaries (how often each flag served each variant in a
 * minute) and tracked events (`track(event, context)`, optionally pre-counted).
 *
 * @example
 * { "exposures": [{ "flag": "new-checkout", "variant": "on", "count": 42, "minute": 29000000 }],
 *   "events": [{ "event": "checkout-error", "context": { "key": "user-1" }, "count": 1 }] }
 */
export const sdkEventsSchema = z
  .object({
    exposures: z
      .array(
        z.object({
          flag: flagKeySchema,
          variant: idSchema,
          count: countSchema,
          minute: minuteSchema.optional(),
        }),
      )
      .max(10_000)
      .default([]),
    events: z
      .array(
        z.object({
          event: z.string().min(1).max(128),
          context: contextSchema.optional(),
          count: countSchema.optional(),
          minute: minuteSchema.optional(),
        }),
      )
      .max(10_000)
      .default([]),
  })
  .strict();

export type SdkEvents = z.infer<typeof sdkEventsSchema>;

/** Adds reported counts to the per-minute totals, in one transaction. */
export function recordSdkEvents(db: Db, environmentId: number, body: SdkEvents, now: Date): void {
  const current = Math.floor(now.getTime() / 60_000);
  db.transaction((tx) => {
    for (const exposure of body.exposures) {
      tx.insert(exposureCounts)
        .values({
          environmentId,
          flagKey: exposure.flag,
          variant: exposure.variant,
          minute: exposure.minute ?? current,
          count: exposure.count,
        })
        .onConflictDoUpdate({
          target: [
            exposureCounts.environmentId,
            exposureCounts.flagKey,
            exposureCounts.variant,
            exposureCounts.minute,
          ],
          set: { count: sql`${exposureCounts.count} + excluded.count` },
        })
        .run();
    }
    for (const event of body.events) {
      tx.insert(eventCounts)
        .values({
          environmentId,
          event: event.event,
          minute: event.minute ?? current,
          count: event.count ?? 1,
        })
        .onConflictDoUpdate({
          target: [eventCounts.environmentId, eventCounts.event, eventCounts.minute],
          set: { count: sql`${eventCounts.count} + excluded.count` },
        })
        .run();
    }
  });
}
