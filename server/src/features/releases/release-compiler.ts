import { type FlagConfig, type Rule, TOTAL_WEIGHT } from '@ringflag/sdk-node/engine';
import type { ReleaseStage } from './release-schemas.js';

/** Rules a release plan writes carry ids starting with this; every other rule is left alone. */
export const RELEASE_RULE_PREFIX = 'release-';

/** The rollout weight (thousandths of a percent) of a percentage. */
export function weightOf(percentage: number): number {
  return Math.round(percentage * 1000);
}

const isReleaseRule = (rule: Rule) => rule.id.startsWith(RELEASE_RULE_PREFIX);

/**
 * The config of a plan at one stage (DESIGN §4): the config's own rules stay first; then one rule
 * per stage up to `stage` that names segments (`release-<i>`, "ring <i>: <name>", serving the
 * variation); the fallthrough is a rollout of the variation at the stage's percentage against the
 * off variation, salted with the flag key at every stage, so whoever had the variation keeps it.
 *
 * @example
 * compileStage(config, { variation: 'on', stages }, 2).fallthrough;
 * // { rollout: { salt: 'new-checkout', variations: [{ variation: 'on', weight: 10000 }, { variation: 'off', weight: 90000 }] } }
 */
export function compileStage(
  config: FlagConfig,
  plan: { variation: string; stages: readonly ReleaseStage[] },
  stage: number,
): FlagConfig {
  const current = plan.stages[stage];
  if (current === undefined) throw new RangeError(`no stage ${stage}`);
  const rings: Rule[] = [];
  plan.stages.slice(0, stage + 1).forEach((ring, index) => {
    if (!ring.segments) return;
    rings.push({
      id: `${RELEASE_RULE_PREFIX}${index}`,
      name: `ring ${index}: ${ring.name}`,
      clauses: [{ op: 'inSegment', values: [...ring.segments] }],
      serve: { variation: plan.variation },
    });
  });
  const weight = weightOf(current.percentage);
  return {
    ...config,
    rules: [...config.rules.filter((rule) => !isReleaseRule(rule)), ...rings],
    fallthrough: {
      rollout: {
        salt: config.key,
        variations: [
          { variation: plan.variation, weight },
          { variation: config.offVariation, weight: TOTAL_WEIGHT - weight },
        ],
      },
    },
  };
}

/**
 * The config after a rollback: the plan's rules are gone and the fallthrough serves the off
 * variation, so everyone the plan reached gets the off variation again.
 */
export function compileRollback(config: FlagConfig): FlagConfig {
  return {
    ...config,
    rules: config.rules.filter((rule) => !isReleaseRule(rule)),
    fallthrough: { variation: config.offVariation },
  };
}
