import { type Context, evaluate, type FlagStore } from '@ringflag/sdk-node/engine';
import type { Database } from '../../db/client.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../ops/metrics.js';
import type { ChangeHub } from '../../stream/change-hub.js';
import { contextHash } from '../client/client-context.js';
import { findEnvironmentById } from '../environments/environments.store.js';
import type { PayloadReader } from '../sdk/cached-payload.js';
import { boundedMinute, minuteOf, type SdkEvents } from '../sdk/sdk-events.js';
import { attributeEvents } from './guard.js';
import { type Admission, DistinctContexts, type GuardContextLimits } from './guard-contexts.js';
import type { GuardChecker } from './guard-figures.js';
import type { ReleaseGuard } from './release-schemas.js';
import {
  addGuardEventCounts,
  type GuardEventCount,
  type LocatedPlanRow,
  listGuardedPlans,
} from './releases.store.js';

/** Browser exposures are written at most this often, and at the latest this long after they arrive. */
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

/** What the guard intake uses. */
export interface GuardIntakeDeps {
  /** Reads (guarded plans, environments); event counts are written in its transactions. */
  database: Database;
  payloads: PayloadReader;
  /** Published payload changes clear the cached lists of guarded plans. */
  hub: Pick<ChangeHub, 'onPublish'>;
  clock: () => Date;
  logger: Logger;
  metrics: Pick<Metrics, 'recordUncountedContexts'>;
  /** The replica's guards: the intake adds to their pending exposures and checks them. */
  guards: GuardChecker;
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
 * cached lookup. Browser exposures are buffered in this replica (the guards' {@link GuardChecker.exposures})
 * and written at most once a second and at the latest a second after they arrive, and always before a
 * guard reads its figures. The methods never reject: counting must not fail a request.
 *
 * @example
 * const intake = createGuardIntake({ database, payloads, hub, clock, logger, metrics, guards });
 * await intake.exposeBrowserContext(env.id, clientAddress(c), context, hash);
 */
export class GuardIntake {
  private readonly contexts: DistinctContexts;
  private readonly plans = new Map<number, { at: number; plans: LocatedPlanRow[]; watched: Watched }>();
  private lastFlush = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: GuardIntakeDeps,
    limits?: GuardContextLimits,
  ) {
    this.contexts = new DistinctContexts(limits);
    this.unsubscribe = deps.hub.onPublish(() => this.plans.clear());
  }

  /** A browser context the server evaluated for a client key. */
  exposeBrowserContext(
    environmentId: number,
    address: string,
    context: Context,
    hash: string,
  ): Promise<void> {
    return this.guarded('exposing a browser context', environmentId, async ({ watched, store, minute }) => {
      const admission = this.contexts.expose(environmentId, address, hash, minute);
      if (!this.counted(admission)) return;
      this.exposeVariants(environmentId, watched, store, context, minute);
      if (this.deps.clock().getTime() - this.lastFlush >= FLUSH_MS) await this.flushAndCheck();
      else this.flushSoon();
    });
  }

  /** Tracked events sent with a client key: each context counts once per event and minute. */
  trackBrowserEvents(environmentId: number, address: string, events: readonly BrowserEvent[]): Promise<void> {
    return this.guarded('tracking browser events', environmentId, async ({ watched, store, minute }) => {
      const counted: { event: string; context: Context }[] = [];
      for (const { event, context } of events) {
        if (context === undefined || ![...watched.values()].some((names) => names.has(event))) continue;
        const admission = this.contexts.track(environmentId, address, contextHash(context), event, minute);
        if (!this.counted(admission)) continue;
        if (admission.exposed) this.exposeVariants(environmentId, watched, store, context, minute);
        counted.push({ event, context });
      }
      const attributed = attributeEvents(counted, watched, store, minute);
      await this.flushAndCheck(environmentId, attributed);
    });
  }

  /** A report sent with a server key: counts as reported, minutes bound to the server's clock. */
  recordServerReport(environmentId: number, body: SdkEvents): Promise<void> {
    return this.guarded('recording a server report', environmentId, async ({ watched, store, minute }) => {
      for (const exposure of body.exposures) {
        if (!watched.has(exposure.flag)) continue;
        this.deps.guards.exposures.add(environmentId, {
          flagKey: exposure.flag,
          variant: exposure.variant,
          minute: boundedMinute(exposure.minute, minute),
          count: exposure.count,
        });
      }
      const attributable = body.events
        .filter((event) => event.context !== undefined)
        .map((event) => ({ ...event, minute: boundedMinute(event.minute, minute) }));
      await this.flushAndCheck(environmentId, attributeEvents(attributable, watched, store, minute));
    });
  }

  /** Writes what is pending now and checks the guards it touches (never rejects). */
  async flush(): Promise<void> {
    try {
      await this.flushAndCheck();
    } catch (error) {
      this.deps.logger.error('writing guard counts failed', { error: String(error) });
    }
  }

  /** Stops listening for payload changes and writes what is pending (before the database closes). */
  async close(): Promise<void> {
    this.unsubscribe();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    try {
      await this.deps.guards.exposures.flush();
    } catch (error) {
      this.deps.logger.error('writing guard counts failed', { error: String(error) });
    }
  }

  /** Runs `work` when the environment has guarded plans; logs instead of throwing. */
  private async guarded(
    what: string,
    environmentId: number,
    work: (scope: { watched: Watched; store: FlagStore; minute: number }) => Promise<void>,
  ): Promise<void> {
    try {
      const { watched } = await this.guardedPlans(environmentId);
      if (watched.size === 0) return;
      const env = await findEnvironmentById(this.deps.database, environmentId);
      if (!env) return;
      const store = (await this.deps.payloads.get(env)).store();
      await work({ watched, store, minute: minuteOf(this.deps.clock()) });
    } catch (error) {
      this.deps.logger.error(`${what} for release guards failed`, { environmentId, error: String(error) });
    }
  }

  private async guardedPlans(environmentId: number) {
    const now = this.deps.clock().getTime();
    const cached = this.plans.get(environmentId);
    if (cached && now - cached.at < PLANS_MS) return cached;
    const plans = (await listGuardedPlans(this.deps.database, environmentId)).filter(
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
      if (variant !== null)
        this.deps.guards.exposures.add(environmentId, { flagKey, variant, minute, count: 1 });
    }
  }

  /** Makes sure pending exposures are written within {@link FLUSH_MS}, even if no other call comes. */
  private flushSoon(): void {
    if (this.flushTimer || this.deps.guards.exposures.size === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, FLUSH_MS);
    this.flushTimer.unref();
  }

  /** Writes what is pending and `events`, then checks the guards of the flags they touch. */
  private async flushAndCheck(environmentId?: number, events: GuardEventCount[] = []): Promise<void> {
    const touched = new Map<number, Set<string>>();
    const touch = (env: number, flagKey: string) => {
      const flags = touched.get(env) ?? new Set<string>();
      flags.add(flagKey);
      touched.set(env, flags);
    };
    const { exposures } = this.deps.guards;
    for (const pending of exposures.peek()) touch(pending.environmentId, pending.flagKey);
    this.lastFlush = this.deps.clock().getTime();
    await exposures.flush();
    if (environmentId !== undefined && events.length > 0) {
      await this.deps.database.transaction((tx) => addGuardEventCounts(tx, environmentId, events));
      for (const count of events) touch(environmentId, count.flagKey);
    }
    for (const [env, flags] of touched) {
      for (const { plan, flagKey } of (await this.guardedPlans(env)).plans) {
        if (flags.has(flagKey)) await this.deps.guards.checkGuard(plan.id);
      }
    }
  }
}

/**
 * Builds a replica's guard intake (one per process). `limits` bound the distinct browser contexts.
 * Call {@link GuardIntake.close} before closing the database.
 *
 * @example
 * const intake = createGuardIntake({ database, payloads, hub, clock, logger, metrics, guards }, limits);
 * await intake.recordServerReport(environmentId, body);
 */
export function createGuardIntake(deps: GuardIntakeDeps, limits?: GuardContextLimits): GuardIntake {
  return new GuardIntake(deps, limits);
}
