import { type FlagConfig, type Rule, TOTAL_WEIGHT } from '@ringflag/sdk-node/engine';
import type { ReleaseStage } from './release-schemas.js';

/** Rules a release plan writes carry ids starting with this; every other rule is left alone. */
export const RELEASE_RULE_PREFIX = 'release-';

/** The rollout weight (thousandths of a percent) of a percentage. */
export function weightOf(percentage: number): number {
  return Math.round(percentage * 1000);
}

/** What a plan compiles: the variation it releases and its stages. */
type PlanShape = { variation: string; stages: readonly ReleaseStage[] };

/** The rule a plan adds for stage `index` (`release-<index>`), or undefined when that stage names no segments. */
function ringRule(plan: PlanShape, index: number): Rule | undefined {
  const ring = plan.stages[index];
  if (!ring?.segments) return undefined;
  return {
    id: `${RELEASE_RULE_PREFIX}${index}`,
    name: `ring ${index}: ${ring.name}`,
    clauses: [{ op: 'inSegment', values: [...ring.segments] }],
    serve: { variation: plan.variation },
  };
}

/**
 * Whether a rule is one this plan wrote: its id, name, clause and variation are exactly a ring of the
 * plan. A rule someone else wrote is never removed by the plan, whatever its id says (an approved
 * "release-blocklist" rule stays through stages and rollbacks).
 */
function isPlanRule(rule: Rule, plan: PlanShape): boolean {
  const index = /^release-(\d+)$/.exec(rule.id)?.[1];
  const ring = index === undefined ? undefined : ringRule(plan, Number(index));
  if (!ring || rule.name !== ring.name || rule.clauses.length !== 1) return false;
  const [clause] = rule.clauses;
  const [ringClause] = ring.clauses;
  return (
    clause !== undefined &&
    ringClause !== undefined &&
    'variation' in rule.serve &&
    'variation' in ring.serve &&
    rule.serve.variation === ring.serve.variation &&
    clause.op === 'inSegment' &&
    clause.attribute === undefined &&
    clause.negate !== true &&
    JSON.stringify(clause.values) === JSON.stringify(ringClause.values)
  );
}

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
export function compileStage(config: FlagConfig, plan: PlanShape, stage: number): FlagConfig {
  const current = plan.stages[stage];
  if (current === undefined) throw new RangeError(`no stage ${stage}`);
  const rings: Rule[] = [];
  for (let index = 0; index <= stage; index++) {
    const ring = ringRule(plan, index);
    if (ring) rings.push(ring);
  }
  const weight = weightOf(current.percentage);
  return {
    ...config,
    rules: [...config.rules.filter((rule) => !isPlanRule(rule, plan)), ...rings],
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
 * variation, so everyone the plan reached gets the off variation again. Rules the plan did not write
 * stay as they are.
 */
export function compileRollback(config: FlagConfig, plan: PlanShape): FlagConfig {
  return {
    ...config,
    rules: config.rules.filter((rule) => !isPlanRule(rule, plan)),
    fallthrough: { variation: config.offVariation },
  };
}
