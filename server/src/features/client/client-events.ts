import type { FlagStore } from '@ringflag/sdk-node/engine';
import { LRUCache } from 'lru-cache';
import { minuteOf, type SdkEvents } from '../sdk/sdk-events.js';

/** What one client key's events may add to the database (the key is public: see DESIGN §10). */
export const CLIENT_EVENT_LIMITS = {
  /** Exposures one request may report in all (a page flushes every few seconds); the rest is dropped. */
  exposuresPerRequest: 1_000,
  /** New event names per environment and minute; events with other names that minute are dropped. */
  eventNamesPerMinute: 100,
} as const;

/** A browser's events body, sanitised: what is recorded, and how much of it. */
export interface SanitisedEvents {
  body: SdkEvents;
  accepted: { exposures: number; events: number };
}

/**
 * Turns what a browser reports into what the server records, trusting none of its numbers:
 * - every minute is the server's current minute (a browser's `minute` is ignored);
 * - a tracked event counts once (its `count` is ignored);
 * - exposures count only for flags the key can see and variations they have, and at most
 *   {@link CLIENT_EVENT_LIMITS.exposuresPerRequest} per request;
 * - at most {@link CLIENT_EVENT_LIMITS.eventNamesPerMinute} distinct event names per environment and
 *   minute, so a flood of made-up names cannot add rows without end.
 * So the rows a client key can create per minute are bounded by the flags, their variations and the
 * name budget, whatever it sends. These counts feed the insights chart; guards count distinct contexts
 * instead (guard-ingest.ts). Remembers names for at most 1,000 environments (~13 MB at worst).
 *
 * @example
 * const events = new ClientEvents();
 * const { body, accepted } = events.sanitise(env.id, store, reported, new Date());
 */
export class ClientEvents {
  private readonly names = new LRUCache<number, { minute: number; names: Set<string> }>({ max: 1000 });

  sanitise(environmentId: number, store: FlagStore, reported: SdkEvents, now: Date): SanitisedEvents {
    const minute = minuteOf(now);
    let room: number = CLIENT_EVENT_LIMITS.exposuresPerRequest;
    // Merged per flag and variant, and per event name: what is written is one row per distinct
    // thing, however many items a request repeats it in.
    const exposures = new Map<string, SdkEvents['exposures'][number]>();
    let keptExposures = 0;
    for (const exposure of reported.exposures) {
      if (room === 0) break;
      const flag = store.flags.get(exposure.flag);
      const variations = flag?.config?.variations ?? [];
      if (!flag?.clientSide || !variations.some((variation) => variation.id === exposure.variant)) continue;
      const count = Math.min(exposure.count, room);
      room -= count;
      keptExposures++;
      const id = `${exposure.flag}\u0000${exposure.variant}`;
      const merged = exposures.get(id);
      if (merged) merged.count += count;
      else exposures.set(id, { flag: exposure.flag, variant: exposure.variant, count, minute });
    }
    let seen = this.names.get(environmentId);
    if (seen?.minute !== minute) {
      seen = { minute, names: new Set() };
      this.names.set(environmentId, seen);
    }
    const events = new Map<string, SdkEvents['events'][number]>();
    let kept = 0;
    for (const { event } of reported.events) {
      if (!seen.names.has(event)) {
        if (seen.names.size >= CLIENT_EVENT_LIMITS.eventNamesPerMinute) continue;
        seen.names.add(event);
      }
      kept++;
      const merged = events.get(event);
      if (merged) merged.count = (merged.count ?? 0) + 1;
      else events.set(event, { event, count: 1, minute });
    }
    return {
      body: { exposures: [...exposures.values()], events: [...events.values()] },
      accepted: { exposures: keptExposures, events: kept },
    };
  }
}
