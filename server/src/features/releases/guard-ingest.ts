import type { AppDeps } from '../../app-env.js';
import { findEnvironmentById } from '../environments/environments.store.js';
import type { SdkEvents } from '../sdk/sdk-events.js';
import { attributeEvents } from './guard.js';
import type { ReleaseGuard } from './release-schemas.js';
import { createReleaseService, type ReleaseService } from './releases.service.js';
import { addGuardEventCounts, listGuardedPlans } from './releases.store.js';

const services = new WeakMap<AppDeps, ReleaseService>();

/**
 * The guard's part of event ingestion (`POST /sdk/v1/events`, `/client/v1/events`), called after the
 * counts are recorded: attributes tracked events to the variant each context gets for every flag with
 * an active guarded plan watching that event, then checks those guards, so a trip rolls back at once.
 * Never throws: the events are accepted whatever happens here (the ticker checks again).
 *
 * @example
 * recordSdkEvents(deps.db, environmentId, body, now);
 * observeGuards(deps, environmentId, body, now);
 */
export function observeGuards(deps: AppDeps, environmentId: number, body: SdkEvents, now: Date): void {
  try {
    const plans = listGuardedPlans(deps.db, environmentId).filter(
      (located) => located.plan.currentStage >= 0,
    );
    if (plans.length === 0) return;
    const watched = new Map<string, Set<string>>();
    for (const { plan, flagKey } of plans) {
      const events = watched.get(flagKey) ?? new Set<string>();
      events.add((plan.guard as ReleaseGuard).event);
      watched.set(flagKey, events);
    }
    const touched = new Set(
      body.exposures.map((exposure) => exposure.flag).filter((flag) => watched.has(flag)),
    );
    const attributable = body.events.filter(
      (event) =>
        event.context !== undefined && [...watched.values()].some((events) => events.has(event.event)),
    );
    if (attributable.length > 0) {
      const env = findEnvironmentById(deps.db, environmentId);
      if (env) {
        const store = deps.payloads.get(deps.db, env).store();
        const counts = attributeEvents(attributable, watched, store, Math.floor(now.getTime() / 60_000));
        deps.db.transaction((tx) => addGuardEventCounts(tx, environmentId, counts));
        for (const count of counts) touched.add(count.flagKey);
      }
    }
    if (touched.size === 0) return;
    let releases = services.get(deps);
    if (!releases) {
      releases = createReleaseService(deps);
      services.set(deps, releases);
    }
    for (const { plan, flagKey } of plans) if (touched.has(flagKey)) releases.checkGuard(plan.id);
  } catch (error) {
    deps.logger.error('checking release guards failed', { environmentId, error: String(error) });
  }
}
