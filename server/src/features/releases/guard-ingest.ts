import { type Context, evaluate, type FlagStore } from '@ringflag/sdk-node/engine';
import type { AppDeps } from '../../app-env.js';
import { contextHash } from '../client/client-context.js';
import { findEnvironmentById } from '../environments/environments.store.js';
import { boundedMinute, minuteOf, type SdkEvents } from '../sdk/sdk-events.js';
import { attributeEvents } from './guard.js';
import { type Admission, DistinctContexts, type GuardContextLimits } from './guard-contexts.js';
import type { ReleaseGuard } from './release-schemas.js';
import { createReleaseService, type ReleaseService } from './releases.service.js';
import {
  addGuardEventCounts,
  addGuardExposureCounts,
  type GuardEventCount,
  type GuardExposureCount,
  type LocatedPlanRow,
  listGuardedPlans,
} from './releases.store.js';

/** Browser exposures are written at most this often (and before every guard check). */
const FLUSH_MS = 1000;
/** How long the list of guarded plans of an environment is reused (changes to it also clear it). */
const PLANS_MS = 2000;

/** The guarded flags of an environment: flag key → the events their guards watch. */
type Watched = Map<string, Set<string>>;

/** A browser event as recorded: events without a context cannot be attributed. */
export interface BrowserEvent {
  event: string;
  context?: Context | undefined;
}

/**
 * Everything the guards learn from SDKs, and what they trust of it (DESIGN §10):
 * - a **server key** is a secret, so its counts are taken as reported, with minutes bound to the
 *   server's clock ({@link boundedMinute});
 * - a **client key** is public, so the guard counts distinct browser contexts instead of what a browser
 *   claims: a context the server evaluated (`/client/v1/evaluate`, a stream opening) is one exposure of
 *   the variant the server computed, and a tracked event is one event of the variant the server computes
 *   for its context, each at most once per minute; one client address adds at most a few new contexts
 *   per minute ({@link DistinctContexts}). Exposure counts browsers report never reach a guard.
 *
 * Only guarded flags (an active plan past its first approval) are looked at; without any, this costs a
 * cached lookup. Browser exposures are buffered and written at most once a second, and always before a
 * guard reads its figures ({@link flushGuardCounts}). Never throws: counting must not fail a request.
 *
 * @example
 * const intake = guardIntake(deps);
 * intake.exposeBrowserContext(env.id, clientAddress(c), context, hash);
 */
export class GuardIntake {
  private readonly contexts: DistinctContexts;
  private readonly plans = new Map<number, { at: number; plans: LocatedPlanRow[]; watched: Watched }>();
  private pendingExposures = new Map<string, GuardExposureCount & { environmentId: number }>();
  private lastFlush = 0;
  private releases: ReleaseService | undefined;

  constructor(
    private readonly deps: AppDeps,
    limits?: GuardContextLimits,
  ) {
    this.contexts = new DistinctContexts(limits);
    deps.hub.onPublish(() => this.plans.clear());
  }

  /** A browser context the server evaluated for a client key. */
  exposeBrowserContext(environmentId: number, address: string, context: Context, hash: string): void {
    this.guarded('exposing a browser context', environmentId, ({ watched, store, minute }) => {
      const admission = this.contexts.expose(environmentId, address, hash, minute);
      if (!this.counted(admission)) return;
      this.exposeVariants(environmentId, watched, store, context, minute);
      if (this.deps.clock().getTime() - this.lastFlush >= FLUSH_MS) this.flushAndCheck();
    });
  }

  /** Tracked events sent with a client key: each context counts once per event and minute. */
  trackBrowserEvents(environmentId: number, address: string, events: readonly BrowserEvent[]): void {
    this.guarded('tracking browser events', environmentId, ({ watched, store, minute }) => {
      const counted: { event: string; context: Context }[] = [];
      for (const { event, context } of events) {
        if (context === undefined || ![...watched.values()].some((names) => names.has(event))) continue;
        const admission = this.contexts.track(environmentId, address, contextHash(context), event, minute);
        if (!this.counted(admission)) continue;
        if (admission.exposed) this.exposeVariants(environmentId, watched, store, context, minute);
        counted.push({ event, context });
      }
      const attributed = attributeEvents(counted, watched, store, minute);
      this.flushAndCheck(environmentId, attributed);
    });
  }

  /** A report sent with a server key: counts as reported, minutes bound to the server's clock. */
  recordServerReport(environmentId: number, body: SdkEvents): void {
    this.guarded('recording a server report', environmentId, ({ watched, store, minute }) => {
      for (const exposure of body.exposures) {
        if (!watched.has(exposure.flag)) continue;
        this.addExposure(environmentId, {
          flagKey: exposure.flag,
          variant: exposure.variant,
          minute: boundedMinute(exposure.minute, minute),
          count: exposure.count,
        });
      }
      const attributable = body.events
        .filter((event) => event.context !== undefined)
        .map((event) => ({ ...event, minute: boundedMinute(event.minute, minute) }));
      this.flushAndCheck(environmentId, attributeEvents(attributable, watched, store, minute));
    });
  }

  /** Writes buffered exposures now (a guard is about to read its figures). */
  flush(): void {
    if (this.pendingExposures.size === 0) return;
    const pending = this.pendingExposures;
    this.pendingExposures = new Map();
    this.lastFlush = this.deps.clock().getTime();
    const byEnvironment = new Map<number, GuardExposureCount[]>();
    for (const { environmentId, ...count } of pending.values()) {
      const list = byEnvironment.get(environmentId) ?? [];
      list.push(count);
      byEnvironment.set(environmentId, list);
    }
    this.deps.db.transaction((tx) => {
      for (const [environmentId, counts] of byEnvironment) addGuardExposureCounts(tx, environmentId, counts);
    });
  }

  /** Runs `work` when the environment has guarded plans; logs instead of throwing. */
  private guarded(
    what: string,
    environmentId: number,
    work: (scope: { watched: Watched; store: FlagStore; minute: number }) => void,
  ): void {
    try {
      const { watched } = this.guardedPlans(environmentId);
      if (watched.size === 0) return;
      const env = findEnvironmentById(this.deps.db, environmentId);
      if (!env) return;
      const store = this.deps.payloads.get(this.deps.db, env).store();
      work({ watched, store, minute: minuteOf(this.deps.clock()) });
    } catch (error) {
      this.deps.logger.error(`${what} for release guards failed`, { environmentId, error: String(error) });
    }
  }

  private guardedPlans(environmentId: number) {
    const now = this.deps.clock().getTime();
    const cached = this.plans.get(environmentId);
    if (cached && now - cached.at < PLANS_MS) return cached;
    const plans = listGuardedPlans(this.deps.db, environmentId).filter(
      (located) => located.plan.currentStage >= 0,
    );
    const watched: Watched = new Map();
    for (const { plan, flagKey } of plans) {
      const events = watched.get(flagKey) ?? new Set<string>();
      events.add((plan.guard as ReleaseGuard).event);
      watched.set(flagKey, events);
    }
    const entry = { at: now, plans, watched };
    this.plans.set(environmentId, entry);
    return entry;
  }

  private counted(admission: Admission): admission is { counted: true; exposed: boolean } {
    if (!admission.counted && admission.reason !== 'duplicate') {
      this.deps.metrics.recordUncountedContexts(admission.reason);
    }
    return admission.counted;
  }

  /** One exposure of the variant `context` gets, for each guarded flag a browser can see. */
  private exposeVariants(
    environmentId: number,
    watched: Watched,
    store: FlagStore,
    context: Context,
    minute: number,
  ): void {
    for (const flagKey of watched.keys()) {
      if (!store.flags.get(flagKey)?.clientSide) continue;
      const { variant } = evaluate(flagKey, context, store, null);
      if (variant !== null) this.addExposure(environmentId, { flagKey, variant, minute, count: 1 });
    }
  }

  private addExposure(environmentId: number, count: GuardExposureCount): void {
    const id = `${environmentId}\u0000${count.flagKey}\u0000${count.variant}\u0000${count.minute}`;
    const pending = this.pendingExposures.get(id);
    if (pending) pending.count += count.count;
    else this.pendingExposures.set(id, { environmentId, ...count });
  }

  /** Writes what is pending and `events`, then checks the guards of the flags they touch. */
  private flushAndCheck(environmentId?: number, events: GuardEventCount[] = []): void {
    const touched = new Map<number, Set<string>>();
    const touch = (env: number, flagKey: string) => {
      const flags = touched.get(env) ?? new Set<string>();
      flags.add(flagKey);
      touched.set(env, flags);
    };
    for (const pending of this.pendingExposures.values()) touch(pending.environmentId, pending.flagKey);
    this.flush();
    if (environmentId !== undefined && events.length > 0) {
      this.deps.db.transaction((tx) => addGuardEventCounts(tx, environmentId, events));
      for (const count of events) touch(environmentId, count.flagKey);
    }
    for (const [env, flags] of touched) {
      for (const { plan, flagKey } of this.guardedPlans(env).plans) {
        if (flags.has(flagKey)) this.releaseService().checkGuard(plan.id);
      }
    }
  }

  private releaseService(): ReleaseService {
    this.releases ??= createReleaseService(this.deps);
    return this.releases;
  }
}

const intakes = new WeakMap<AppDeps, GuardIntake>();

/**
 * The guard intake of an app (one per `deps`); `limits` apply when it is first made (createApp).
 *
 * @example
 * guardIntake(deps).recordServerReport(environmentId, body);
 */
export function guardIntake(deps: AppDeps, limits?: GuardContextLimits): GuardIntake {
  let intake = intakes.get(deps);
  if (!intake) {
    intake = new GuardIntake(deps, limits);
    intakes.set(deps, intake);
  }
  return intake;
}

/** Writes buffered browser exposures before a guard reads its figures (no-op when none). */
export function flushGuardCounts(deps: AppDeps): void {
  intakes.get(deps)?.flush();
}
