import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import { type FieldError, ValidationError } from '../../errors/index.js';
import type { Located } from '../flag-configs/apply-config.js';
import { composeConfig } from '../flags/flag-model.js';
import { findSegment } from '../flags/flags.store.js';
import { compileStage, configText, serveText, variationWeight } from './release-compiler.js';
import type { NewReleasePlan, ReleaseStage } from './release-schemas.js';
import { describeStage } from './release-stages.js';

/** One stage of a preview: the config the flag gets when the stage takes effect. */
export interface ReleasePreviewStage {
  /** 0-based, as everywhere on the wire. */
  index: number;
  name: string;
  percentage: number;
  segments: string[];
  holdMinutes: number | null;
  /** Whether entering the stage needs an approval (the first stage does where the environment requires approval). */
  approval: boolean;
  /** What the stage serves, in words. */
  summary: string;
  config: FlagConfig;
}

/** What starting a plan would do (`POST …/release/preview`): nothing is written. */
export interface ReleasePreview {
  /** What in the config today the plan does not control, or changes, that a person should know. */
  warnings: string[];
  /** The config now: what a rollback restores. */
  before: FlagConfig;
  stages: ReleasePreviewStage[];
}

/**
 * Checks a new plan against its flag and what exists: the variation must be one of the flag's and
 * not the off variation, every segment must exist. Throws {@link ValidationError} with field paths.
 */
export async function checkNewPlan(q: Queryable, target: Located, input: NewReleasePlan): Promise<void> {
  const { flag, env, config } = target;
  const errors: FieldError[] = [];
  const variations = (flag.variations as { id: string }[]).map((variation) => variation.id);
  if (!variations.includes(input.variation)) {
    errors.push({
      path: 'variation',
      message: `is not a variation of "${flag.key}" (${variations.join(', ')})`,
    });
  } else if (input.variation === config.offVariation) {
    errors.push({
      path: 'variation',
      message: `is the off variation in "${env.key}"; release another one`,
    });
  }
  for (const [i, stage] of input.stages.entries()) {
    for (const [j, segment] of (stage.segments ?? []).entries()) {
      if (!(await findSegment(q, segment))) {
        errors.push({ path: `stages[${i}].segments[${j}]`, message: `no segment "${segment}"` });
      }
    }
  }
  if (errors.length > 0) throw new ValidationError('The release plan is invalid', errors);
}

/** The stages as the plan keeps them: where changes need approval, the first stage is gated. */
export function gatedStages(stages: readonly ReleaseStage[], requireApproval: boolean): ReleaseStage[] {
  return stages.map((stage, index) =>
    index === 0 && requireApproval && !stage.approval ? { ...stage, approval: true } : stage,
  );
}

/**
 * What a person should know before a plan starts on `config`: the rules and targets it keeps ahead
 * of its rings (their audiences get what they serve at every stage), and a fallthrough it replaces
 * (who gets the variation now may lose it). `first` is the config of the first stage.
 */
export function startWarnings(
  config: FlagConfig,
  plan: { variation: string; stages: readonly ReleaseStage[] },
  first: FlagConfig,
): string[] {
  const stage = describeStage(plan, 0);
  const kept = [
    ...config.targets
      .filter((target) => target.keys.length > 0)
      .map((target) => `${target.keys.length} individually targeted key(s) get "${target.variation}"`),
    ...config.rules.map(
      (rule, index) =>
        `rule ${index + 1} "${rule.name ?? rule.id}" serves ${serveText(rule.serve)} to its audience`,
    ),
  ];
  if (!config.enabled) {
    return kept.length === 0
      ? []
      : [
          `The flag is off now; ${stage} switches it on, and with it what it already has, ahead of the plan's rings at every stage: ${kept.join('; ')}.`,
        ];
  }
  const warnings = kept.map(
    (what) =>
      `${what[0]?.toUpperCase()}${what.slice(1)}, ahead of the plan's rings: that stays so at every stage.`,
  );
  const offOnly = 'variation' in config.fallthrough && config.fallthrough.variation === config.offVariation;
  if (!offOnly) {
    const now = variationWeight(config.fallthrough, plan.variation);
    const then = variationWeight(first.fallthrough, plan.variation);
    warnings.push(
      `Everyone else gets ${serveText(config.fallthrough)} now; ${stage} changes that to ${serveText(first.fallthrough)}` +
        (now > then ? `, so some who get "${plan.variation}" now lose it.` : '.'),
    );
  }
  return warnings;
}

/**
 * What starting `input` on `target` would do: the warnings and each stage's config (stage by stage,
 * the first switching the flag on). Checks the plan as starting it would; writes nothing.
 *
 * @example
 * const preview = await previewPlan(database, target, { variation: 'on', stages });
 * preview.stages[1].summary; // 'on; everyone else → 1% "on", 99% "off"'
 */
export async function previewPlan(
  q: Queryable,
  target: Located,
  input: NewReleasePlan,
): Promise<ReleasePreview> {
  await checkNewPlan(q, target, input);
  const { flag, env, config } = target;
  const before = composeConfig(flag, config);
  const stages = gatedStages(input.stages, env.requireApproval);
  const plan = { variation: input.variation, stages };
  const compiled: FlagConfig[] = [];
  let previous = before;
  for (const index of stages.keys()) {
    const next = compileStage(previous, plan, index);
    if (index === 0) next.enabled = true;
    compiled.push(next);
    previous = next;
  }
  return {
    warnings: startWarnings(before, plan, compiled[0] ?? before),
    before,
    stages: stages.map((stage, index) => {
      const stageConfig = compiled[index] ?? before;
      return {
        index,
        name: stage.name,
        percentage: stage.percentage,
        segments: stage.segments ?? [],
        holdMinutes: stage.holdMinutes ?? null,
        approval: stage.approval === true,
        summary: configText(stageConfig),
        config: stageConfig,
      };
    }),
  };
}
