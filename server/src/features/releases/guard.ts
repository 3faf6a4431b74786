import { type Context, evaluate, type FlagStore } from '@ringflag/sdk-node/engine';
import type { GuardIncident } from './release-plan.js';
import type { ReleaseGuard } from './release-schemas.js';
import type { GuardEventCount } from './releases.store.js';

/** The released variation's figures in the current stage. */
export interface GuardFigures {
  exposures: number;
  events: number;
}

/**
 * Whether a guard trips: at least `minExposures` exposures of the released variation, and more than
 * `maxRate` events per exposure. Returns the incident (without its time) when it does, else null.
 *
 * @example
 * guardTrip({ event: 'error', maxRate: 0.05, minExposures: 100 }, { exposures: 200, events: 20 });
 * // { event: 'error', rate: 0.1, exposures: 200, events: 20, maxRate: 0.05 }
 */
export function guardTrip(guard: ReleaseGuard, figures: GuardFigures): Omit<GuardIncident, 'at'> | null {
  if (figures.exposures < guard.minExposures || figures.exposures <= 0) return null;
  const rate = figures.events / figures.exposures;
  if (rate <= guard.maxRate) return null;
  return {
    event: guard.event,
    rate,
    exposures: figures.exposures,
    events: figures.events,
    maxRate: guard.maxRate,
  };
}

/**
 * A rate (events per exposure) as people read it: a percentage of exposures, rounded to two decimals.
 *
 * @example
 * rateText(0.123456); // '12.35%'
 */
export function rateText(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

/** A tracked event as it arrives in an events body. */
export interface TrackedEvent {
  event: string;
  context?: Record<string, unknown> | undefined;
  count?: number | undefined;
  minute?: number | undefined;
}

/**
 * Attributes tracked events to the variant each event's context gets, for every guarded flag whose
 * guard watches that event (DESIGN §4, guarded rollout). Events without a context are not
 * attributable; a flag the store cannot evaluate for a context (missing, malformed) is skipped.
 *
 * @example
 * attributeEvents(events, new Map([['new-checkout', 'checkout-error']]), store, currentMinute);
 */
export function attributeEvents(
  events: readonly TrackedEvent[],
  guardedFlags: ReadonlyMap<string, ReadonlySet<string>>,
  store: FlagStore,
  currentMinute: number,
): GuardEventCount[] {
  const totals = new Map<string, GuardEventCount>();
  for (const tracked of events) {
    if (tracked.context === undefined) continue;
    const context = tracked.context as Context;
    const minute = tracked.minute ?? currentMinute;
    for (const [flagKey, watched] of guardedFlags) {
      if (!watched.has(tracked.event)) continue;
      const { variant } = evaluate(flagKey, context, store, null);
      if (variant === null) continue;
      const id = `${flagKey}\u0000${variant}\u0000${tracked.event}\u0000${minute}`;
      const total = totals.get(id);
      if (total) total.count += tracked.count ?? 1;
      else totals.set(id, { flagKey, variant, event: tracked.event, minute, count: tracked.count ?? 1 });
    }
  }
  return [...totals.values()];
}
