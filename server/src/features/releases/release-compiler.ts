import { type FlagConfig, type Rule, type Serve, TOTAL_WEIGHT } from '@ringflag/sdk-node/engine';
import type { ReleaseStage } from './release-schemas.js';

/** Rules a release plan writes carry ids starting with this; every other rule is left alone. */
export const RELEASE_RULE_PREFIX = 'release-';

/** The rollout weight (thousandths of a percent) of a percentage. */
export function weightOf(percentage: number): number {
  return Math.round(percentage * 1000);
}

/** What a plan compiles: the variation it releases and its stages. */
type PlanShape = { variation: string; stages: readonly ReleaseStage[] };

/**
 * The rule a plan adds for stage `index` (`release-<index>`, named "ring <index + 1>: <name>"), or
 * undefined when that stage names no segments. `legacyName` gives the name plans wrote before rings
 * were numbered from 1 ("ring <index>: <name>"), so those rules stay recognised.
 */
function ringRule(plan: PlanShape, index: number, legacyName = false): Rule | undefined {
  const ring = plan.stages[index];
  if (!ring?.segments) return undefined;
  return {
    id: `${RELEASE_RULE_PREFIX}${index}`,
    name: `ring ${legacyName ? index : index + 1}: ${ring.name}`,
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
  if (index === undefined) return false;
  const ring = ringRule(plan, Number(index));
  const legacy = ringRule(plan, Number(index), true);
  if (!ring || (rule.name !== ring.name && rule.name !== legacy?.name) || rule.clauses.length !== 1) {
    return false;
  }
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

/**
 * The config after a restore of the config before the plan (`before`): the plan's rules are gone,
 * and the fallthrough and the on/off switch are as they were before the plan started (the plan writes
 * nothing else). What others changed meanwhile — rules, targets, prerequisites, the off variation —
 * stays, so a rollback never undoes someone else's (perhaps approved) change; when nobody changed the
 * config meanwhile, the result is the config before the plan. A flag switched off meanwhile stays off.
 */
export function compileRestore(config: FlagConfig, before: FlagConfig, plan: PlanShape): FlagConfig {
  return {
    ...config,
    enabled: config.enabled && before.enabled,
    rules: config.rules.filter((rule) => !isPlanRule(rule, plan)),
    fallthrough: before.fallthrough,
  };
}

/** A weight (thousandths of a percent) as a percentage: 12_500 → "12.5%". */
export function weightText(weight: number): string {
  return `${Number((weight / 1000).toFixed(3))}%`;
}

/** What a serve gives, in words: `"on"`, or `1% "on", 99% "off"`. */
export function serveText(serve: Serve): string {
  if ('variation' in serve) return `"${serve.variation}"`;
  return serve.rollout.variations
    .filter((entry) => entry.weight > 0)
    .map((entry) => `${weightText(entry.weight)} "${entry.variation}"`)
    .join(', ');
}

/** The share (weight, thousandths of a percent) of its audience a serve gives a variation. */
export function variationWeight(serve: Serve, variation: string): number {
  if ('variation' in serve) return serve.variation === variation ? TOTAL_WEIGHT : 0;
  return serve.rollout.variations
    .filter((entry) => entry.variation === variation)
    .reduce((sum, entry) => sum + entry.weight, 0);
}

/** How a rule is named in messages: its name, else its id, with its 1-based position. */
function ruleText(rule: Rule, index: number): string {
  return `rule ${index + 1} "${rule.name ?? rule.id}"`;
}

/**
 * Where a config serves `variation` to someone, in words: its targets, rules and fallthrough (a flag
 * switched off serves only its off variation). Empty when it serves the variation to nobody.
 *
 * @example
 * servesVariation(config, 'on'); // ['rule 1 "beta" serves "on" to its audience', 'the fallthrough serves 5% "on" to everyone else']
 */
export function servesVariation(config: FlagConfig, variation: string): string[] {
  if (!config.enabled) {
    return config.offVariation === variation
      ? [`the flag is off and its off variation is "${variation}"`]
      : [];
  }
  const found: string[] = [];
  const targeted = config.targets
    .filter((target) => target.variation === variation)
    .reduce((sum, target) => sum + target.keys.length, 0);
  if (targeted > 0) found.push(`${targeted} individually targeted key(s) get "${variation}"`);
  config.rules.forEach((rule, index) => {
    const weight = variationWeight(rule.serve, variation);
    if (weight === 0) return;
    const share = weight === TOTAL_WEIGHT ? '' : `${weightText(weight)} of `;
    found.push(`${ruleText(rule, index)} serves "${variation}" to ${share}its audience`);
  });
  const weight = variationWeight(config.fallthrough, variation);
  if (weight > 0) {
    const share = weight === TOTAL_WEIGHT ? '' : `${weightText(weight)} of `;
    found.push(`the fallthrough serves "${variation}" to ${share}everyone else`);
  }
  return found;
}

/**
 * A config's serving in words, for a preview: on/off, each rule in order, then everyone else.
 *
 * @example
 * configText(config); // 'on; rule 1 "ring 1: staff" (segment staff) → "on"; everyone else → 1% "on", 99% "off"'
 */
export function configText(config: FlagConfig): string {
  if (!config.enabled) return `off: everyone gets "${config.offVariation}"`;
  const parts = ['on'];
  const targeted = config.targets.reduce((sum, target) => sum + target.keys.length, 0);
  if (targeted > 0) parts.push(`${targeted} individually targeted key(s)`);
  config.rules.forEach((rule, index) => {
    parts.push(`${ruleText(rule, index)} → ${serveText(rule.serve)}`);
  });
  parts.push(`everyone else → ${serveText(config.fallthrough)}`);
  return parts.join('; ');
}
