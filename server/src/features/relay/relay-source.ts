import type { FlagStore } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import { NotFoundError } from '../../errors/index.js';
import type { BrowserContextGuards } from '../client/client.routes.js';
import { contextHash } from '../client/client-context.js';
import type { EnvironmentCache } from '../client/environment-cache.js';
import { findEnvironmentById } from '../environments/environments.store.js';
import type { PayloadReader } from '../sdk/cached-payload.js';
import type { EventIngest } from '../sdk/event-ingest.js';
import { listSdkKeys } from '../sdk-keys/sdk-keys.store.js';
import type { RelaySource } from './relay.routes.js';
import type { RelayEventsAccepted } from './relay-wire.js';

/** What {@link createServerRelaySource} needs. */
export interface ServerRelaySourceDeps {
  /** Where environments and keys are read, fresh. */
  database: Queryable;
  /** The client surface's environment rows and payloads: a browser report is judged by the current payload. */
  environments: Pick<EnvironmentCache, 'byId'>;
  payloads: PayloadReader;
  /** The event intake shared by `/sdk/v1/events` and `/client/v1/events`. */
  events: Pick<EventIngest, 'ingest'>;
  /** The release guards' intake of browser contexts, as `/client/v1/evaluate` feeds it. */
  guards: BrowserContextGuards;
}

/**
 * The server's {@link RelaySource}: keys from the database, and batches into the same intake the SDK
 * surfaces use, so what comes through a relay counts exactly as if the SDK had talked to the server (a
 * browser's events and contexts within the guards' bounds for the address the relay reports).
 *
 * @example
 * const relay = createServerRelaySource({ database, environments: surface.environments, payloads: surface.payloads, events, guards: guardIntake });
 * await relay.keysOf(key.environmentId); // { environment: { id, key, corsOrigins }, keys: [{ id, type, hash }] }
 */
export function createServerRelaySource(deps: ServerRelaySourceDeps): RelaySource {
  return {
    async keysOf(environmentId) {
      const env = await findEnvironmentById(deps.database, environmentId);
      if (!env) return undefined;
      const rows = await listSdkKeys(deps.database, environmentId);
      return {
        environment: {
          id: env.id,
          key: env.key,
          ref: env.ref,
          projectId: env.projectId,
          corsOrigins: env.corsOrigins,
        },
        keys: rows
          .filter((row) => row.revokedAt === null)
          .map((row) => ({ id: row.id, type: row.type, hash: row.keyHash })),
      };
    },

    async ingest(environmentId, batch) {
      const env = await deps.environments.byId(environmentId);
      if (!env) throw new NotFoundError('The environment of this key no longer exists');
      const accepted: RelayEventsAccepted = { exposures: 0, events: 0, contexts: 0 };
      // The payload that says what a client key can see, read once for the batch.
      let store: FlagStore | undefined;
      for (const report of batch.reports) {
        let counted: { exposures: number; events: number };
        if (report.source === 'server') {
          counted = await deps.events.ingest({ source: 'server', environmentId, body: report.body });
        } else {
          store ??= (await deps.payloads.get(env)).store();
          counted = await deps.events.ingest({
            source: 'browser',
            environmentId,
            address: report.address,
            store,
            body: report.body,
          });
        }
        accepted.exposures += counted.exposures;
        accepted.events += counted.events;
      }
      for (const { address, context } of batch.contexts) {
        await deps.guards.exposeBrowserContext(environmentId, address, context, contextHash(context));
        accepted.contexts += 1;
      }
      return accepted;
    },
  };
}
