import { badInput } from './cli-error.js';
import type { FlagConfig } from './wire.js';

/** The variation a rollout gives out: `on`, else the `true` one, else the first that is not off. */
export function onVariationOf(config: Pick<FlagConfig, 'variations' | 'offVariation'>): string {
  const candidates = config.variations.filter((variation) => variation.id !== config.offVariation);
  const chosen =
    candidates.find((variation) => variation.id === 'on') ??
    candidates.find((variation) => variation.value === true) ??
    candidates[0];
  if (!chosen) throw badInput('the flag has no variation other than its off variation to roll out');
  return chosen.id;
}

/**
 * The fallthrough of `flags set-rollout`: `percent`% get the flag's "on" variation, the rest its off
 * variation. The salt is the flag key and the "on" range comes first, so raising the percentage keeps
 * everyone who already had it (DESIGN §3); an existing `bucketBy` is kept for the same reason.
 *
 * @example
 * rolloutFallthrough(config, 10);
 * // { rollout: { salt: 'new-checkout', variations: [{ variation: 'on', weight: 10000 }, { variation: 'off', weight: 90000 }] } }
 */
export function rolloutFallthrough(config: FlagConfig, percent: number): FlagConfig['fallthrough'] {
  const on = onVariationOf(config);
  const weight = Math.round(percent * 1000);
  const previous = 'rollout' in config.fallthrough ? config.fallthrough.rollout : undefined;
  return {
    rollout: {
      ...(previous?.bucketBy === undefined ? {} : { bucketBy: previous.bucketBy }),
      salt: config.key,
      variations: [
        { variation: on, weight },
        { variation: config.offVariation, weight: 100_000 - weight },
      ],
    },
  };
}

/** The writable part of a config: what `PUT …/environments/{env}` takes (DESIGN §2). */
export type Targeting = Pick<
  FlagConfig,
  'enabled' | 'offVariation' | 'prerequisites' | 'targets' | 'rules' | 'fallthrough'
>;

/** The writable part of a config, with defaults filled in. */
export function targetingOf(config: Targeting): Targeting {
  return {
    enabled: config.enabled,
    offVariation: config.offVariation,
    prerequisites: config.prerequisites ?? [],
    targets: config.targets ?? [],
    rules: config.rules ?? [],
    fallthrough: config.fallthrough,
  };
}
