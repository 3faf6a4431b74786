import type { FlagConfig } from '../types';
import { formatPercent, TOTAL_WEIGHT } from './rollout';

/** What a flag does in one environment, as the status pill shows it. */
export type FlagStatus =
  | { kind: 'off'; label: string }
  | { kind: 'on'; label: string }
  | { kind: 'targeted'; label: string }
  | { kind: 'rollout'; label: string; weight: number };

/**
 * Summarises a config: off; on (everyone gets a variation other than the off one); targeted (only
 * targets and rules get something else); or rolling out n% (the fallthrough is a percentage rollout).
 *
 * @example
 * flagStatus(config); // { kind: 'rollout', label: 'rolling out 25%', weight: 25_000 }
 */
export function flagStatus(config: FlagConfig): FlagStatus {
  if (!config.enabled) return { kind: 'off', label: 'off' };
  const fallthrough = config.fallthrough;
  if ('rollout' in fallthrough) {
    const weight = fallthrough.rollout.variations
      .filter((v) => v.variation !== config.offVariation)
      .reduce((sum, v) => sum + v.weight, 0);
    if (weight >= TOTAL_WEIGHT) return { kind: 'on', label: 'on' };
    if (weight > 0) return { kind: 'rollout', label: `rolling out ${formatPercent(weight)}`, weight };
  } else if (fallthrough.variation !== config.offVariation) {
    return { kind: 'on', label: 'on' };
  }
  const targeted = config.rules.length > 0 || config.targets.some((target) => target.keys.length > 0);
  return targeted ? { kind: 'targeted', label: 'on · targeted' } : { kind: 'on', label: 'on · serves off' };
}
