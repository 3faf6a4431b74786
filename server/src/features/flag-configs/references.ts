import type { FlagConfig, References, Variation } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import { listFlagsWithConfigs, listSegments } from '../flags/flags.store.js';

/**
 * What the engine's validator may look up when checking a config in one environment: which segments
 * exist, and the variations and prerequisites of the other (non-archived) flags there.
 */
export async function referencesIn(db: Queryable, environmentId: number): Promise<References> {
  const segmentKeys = new Set((await listSegments(db)).map((segment) => segment.key));
  const flags = new Map(
    (await listFlagsWithConfigs(db, environmentId)).map(({ flag, config }) => [
      flag.key,
      {
        variations: (flag.variations as Variation[]).map((variation) => variation.id),
        prerequisites: (config.prerequisites as FlagConfig['prerequisites']).map((p) => p.flag),
      },
    ]),
  );
  return { segmentExists: (key) => segmentKeys.has(key), flag: (key) => flags.get(key) };
}
