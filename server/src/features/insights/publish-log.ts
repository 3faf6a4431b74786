import { z } from '@hono/zod-openapi';
import type { EnvironmentRef } from '../../db/schema.js';
import { timestampSchema } from '../../http/openapi-app.js';
import type { ChangeHub, SdkPatch } from '../../stream/change-hub.js';

/** When an environment's latest patch went out to its SDK streams. */
export const publishRecordSchema = z
  .object({
    revision: z.number().int(),
    at: timestampSchema,
    streams: z.number().int().openapi({ description: 'Streams open in that environment when it was sent.' }),
  })
  .openapi('PublishRecord');
export type PublishRecord = z.infer<typeof publishRecordSchema>;

/** Reads the last publish of an environment (undefined when none since the server started). */
export type PublishLog = (environment: EnvironmentRef) => PublishRecord | undefined;

/** What the publish log needs of the change hub: its sent patches and its open streams. */
export type PublishSource = Pick<ChangeHub, 'onPublish' | 'connectionCount'>;

const logs = new WeakMap<PublishSource, PublishLog>();

/**
 * Records, per environment, the revision and time of the last patch the change hub sent (through
 * the hub's `onPublish`, which runs after the frame went to every stream). One log per hub: an app
 * built twice on one hub shares it.
 *
 * @example
 * const lastPublish = trackPublishes(deps.hub, deps.clock);
 * lastPublish('production'); // { revision: 42, at: '2026-…', streams: 3 }
 */
export function trackPublishes(hub: PublishSource, clock: () => Date): PublishLog {
  const existing = logs.get(hub);
  if (existing) return existing;
  const records = new Map<EnvironmentRef, PublishRecord>();
  hub.onPublish((environment: EnvironmentRef, patch: SdkPatch) => {
    records.set(environment, {
      revision: patch.revision,
      at: clock().toISOString(),
      streams: hub.connectionCount(environment),
    });
  });
  const log: PublishLog = (environment) => records.get(environment);
  logs.set(hub, log);
  return log;
}
