import { z } from '@hono/zod-openapi';
import { contextSchema, flagKeySchema, idSchema } from '@ringflag/sdk-node/engine';

const countSchema = z.number().int().min(1).max(1_000_000_000);
/** Minutes since the Unix epoch (`Math.floor(ms / 60000)`); the server's current minute when left out. */
const minuteSchema = z.number().int().min(0).max(1e8);

/** The shape of an events body, with at most `maxItems` exposures and as many events. */
function eventsSchema(maxItems: number) {
  return z
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
        .max(maxItems)
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
        .max(maxItems)
        .default([]),
    })
    .strict();
}

/**
 * The body of `POST /sdk/v1/events`: exposure summaries (how often each flag served each variant in a
 * minute) and tracked events (`track(event, context)`, optionally pre-counted).
 *
 * @example
 * { "exposures": [{ "flag": "new-checkout", "variant": "on", "count": 42, "minute": 29000000 }],
 *   "events": [{ "event": "checkout-error", "context": { "key": "user-1" }, "count": 1 }] }
 */
export const sdkEventsSchema = eventsSchema(10_000);

/**
 * The body of `POST /client/v1/events`: the same shape, at most 1,000 of each. A browser's `count` and
 * `minute` are accepted for compatibility and never trusted (see client-events.ts).
 */
export const clientEventsSchema = eventsSchema(1_000);

export type SdkEvents = z.infer<typeof sdkEventsSchema>;

/** How many minutes back a server SDK may date its counts (a flush held up by a slow network). */
export const SERVER_MINUTE_SKEW = 5;

/** The epoch minute of a time. */
export const minuteOf = (now: Date): number => Math.floor(now.getTime() / 60_000);

/**
 * The minute a count is filed under: the reported one bound to `[current - SERVER_MINUTE_SKEW,
 * current]` (a clock ahead or far behind cannot file counts into the future or rewrite the past), the
 * current one when none is reported.
 *
 * @example
 * boundedMinute(99_999_999, 29_000_000); // 29000000
 */
export function boundedMinute(reported: number | undefined, current: number): number {
  if (reported === undefined) return current;
  return Math.min(current, Math.max(current - SERVER_MINUTE_SKEW, reported));
}

/** Per-minute totals to add: one row per distinct flag, variant and minute, or event and minute. */
export interface EventCounts {
  exposures: { flagKey: string; variant: string; minute: number; count: number }[];
  events: { event: string; minute: number; count: number }[];
}

/**
 * The totals a report adds, with minutes bound by {@link boundedMinute} and repeats merged (a row is
 * written once per request however often the body names it). Browser bodies are sanitised first
 * (client-events.ts).
 *
 * @example
 * countsOf({ exposures: [{ flag: 'f', variant: 'on', count: 2 }], events: [] }, new Date());
 * // { exposures: [{ flagKey: 'f', variant: 'on', minute: <now>, count: 2 }], events: [] }
 */
export function countsOf(body: SdkEvents, now: Date): EventCounts {
  const current = minuteOf(now);
  const exposures = new Map<string, EventCounts['exposures'][number]>();
  for (const exposure of body.exposures) {
    const minute = boundedMinute(exposure.minute, current);
    const id = `${exposure.flag}\u0000${exposure.variant}\u0000${minute}`;
    const merged = exposures.get(id);
    if (merged) merged.count += exposure.count;
    else
      exposures.set(id, { flagKey: exposure.flag, variant: exposure.variant, minute, count: exposure.count });
  }
  const events = new Map<string, EventCounts['events'][number]>();
  for (const event of body.events) {
    const minute = boundedMinute(event.minute, current);
    const id = `${event.event}\u0000${minute}`;
    const merged = events.get(id);
    if (merged) merged.count += event.count ?? 1;
    else events.set(id, { event: event.event, minute, count: event.count ?? 1 });
  }
  return { exposures: [...exposures.values()], events: [...events.values()] };
}

/** How many exposures and events of a report were kept. */
export const acceptedEventsSchema = z
  .object({ exposures: z.number().int(), events: z.number().int() })
  .openapi('AcceptedEvents');
export type AcceptedEvents = z.infer<typeof acceptedEventsSchema>;
