import type { Context, FlagStore } from '@ringflag/sdk-node/engine';
import type { Database } from '../../db/client.js';
import { ClientEvents } from '../client/client-events.js';
import { addEventCounts } from './event-counts.store.js';
import { type AcceptedEvents, countsOf, type SdkEvents } from './sdk-events.js';

export type { AcceptedEvents } from './sdk-events.js';

/**
 * What the release guards learn from SDK reports (guard-ingest.ts): a server key's report as it is,
 * a browser's tracked events through the guards' own bounds. Never throws (counting must not fail a
 * request).
 */
export interface EventGuards {
  recordServerReport(environmentId: number, body: SdkEvents): void | Promise<void>;
  trackBrowserEvents(
    environmentId: number,
    address: string,
    events: readonly { event: string; context?: Context | undefined }[],
  ): void | Promise<void>;
}

/** What {@link createEventIngest} needs. */
export interface EventIngestDeps {
  database: Pick<Database, 'transaction'>;
  guards: EventGuards;
  clock: () => Date;
}

/**
 * One SDK report of exposures and tracked events: from a server key (`POST /sdk/v1/events`, counts
 * taken as reported) or from a client key (`POST /client/v1/events`, trusted for nothing but what it
 * names; `store` is the environment's current payload, which says what the key can see).
 */
export type EventReport =
  | { source: 'server'; environmentId: number; body: SdkEvents }
  | { source: 'browser'; environmentId: number; address: string; store: FlagStore; body: SdkEvents };

/** Takes SDK reports in: the one path from an events body to the counts and the guards. */
export interface EventIngest {
  /**
   * Records a report's counts (one transaction), then lets the release guards observe it. A browser's
   * report is sanitised first ({@link ClientEvents}); the guards still get every validated browser
   * event, not what the insights' name budget kept: they bound browsers by distinct contexts per
   * address themselves, and junk names must not crowd out the event a guard watches.
   */
  ingest(report: EventReport): Promise<AcceptedEvents>;
}

/**
 * Builds the event intake shared by the server SDK and browser surfaces.
 *
 * @example
 * const events = createEventIngest({ database, guards: guardIntake, clock });
 * await events.ingest({ source: 'server', environmentId: key.environmentId, body });
 */
export function createEventIngest(deps: EventIngestDeps): EventIngest {
  const browsers = new ClientEvents();
  return {
    async ingest(report) {
      const now = deps.clock();
      let recorded: SdkEvents;
      let accepted: AcceptedEvents;
      if (report.source === 'server') {
        recorded = report.body;
        accepted = { exposures: report.body.exposures.length, events: report.body.events.length };
      } else {
        ({ body: recorded, accepted } = browsers.sanitise(
          report.environmentId,
          report.store,
          report.body,
          now,
        ));
      }
      const counts = countsOf(recorded, now);
      if (counts.exposures.length > 0 || counts.events.length > 0) {
        await deps.database.transaction((tx) => addEventCounts(tx, report.environmentId, counts));
      }
      if (report.source === 'server') await deps.guards.recordServerReport(report.environmentId, report.body);
      else await deps.guards.trackBrowserEvents(report.environmentId, report.address, report.body.events);
      return accepted;
    },
  };
}
