import { seg } from './api-client.js';
import { badInput } from './cli-error.js';
import type { CommandContext, CommandSpec } from './command.js';
import { parseInteger, parsePercent } from './command.js';
import { percentOf } from './describe-operations.js';
import { EXIT } from './exit-codes.js';
import { table } from './output.js';
import { GUARD_DEFAULTS, parseStages, RELEASE_TEMPLATES } from './release-stages.js';
import type {
  ReleaseGuard,
  ReleaseOnTrip,
  ReleasePlan,
  ReleasePlanResult,
  ReleasePreview,
  ReleaseStage,
} from './wire.js';

const PLAN_OPTIONS = { env: { type: 'string' } } as const;

function planPath(ctx: CommandContext, action?: string): string {
  const key = ctx.arg(0, 'KEY');
  const env = ctx.need('env');
  return `/api/v1/flags/${seg(key)}/environments/${seg(env)}/release${action ? `/${action}` : ''}`;
}

/**
 * A rate (events per exposure, 0–1) as a percentage of exposures, rounded.
 *
 * @example
 * ratePercent(0.05); // '5%'
 */
export function ratePercent(rate: number): string {
  return percentOf(Math.round(rate * 100_000));
}

/** How a stage is named for people: numbered from 1, "stage 2 of 4: canary". */
export function stageLabel(plan: { stages: readonly ReleaseStage[] }, index: number): string {
  const stage = plan.stages[index];
  return `stage ${index + 1} of ${plan.stages.length}${stage ? `: ${stage.name}` : ''}`;
}

function audienceOf(stage: ReleaseStage): string {
  const segments = stage.segments?.length ? `segments ${stage.segments.join('+')}` : '';
  const percent = stage.percentage > 0 || !segments ? `${stage.percentage}%` : '';
  return [segments, percent].filter((part) => part !== '').join(' + ');
}

/** What a guard trip does (`done`: did), in words. */
function onTripText(onTrip: ReleaseOnTrip, done = false): string {
  if (onTrip === 'revert') return `${done ? 'restored' : 'restore'} the config from before the plan`;
  return `${done ? 'switched' : 'switch'} the flag off`;
}

/**
 * A release plan for people: state, the stages with the current one marked, the next advance, the
 * guard and any incident.
 */
export function formatPlan(plan: ReleasePlan): string[] {
  const where =
    plan.currentStage >= 0
      ? `, ${stageLabel(plan, plan.currentStage)}`
      : plan.state === 'running' || plan.state === 'paused'
        ? `, waiting for the approval of ${stageLabel(plan, 0)}`
        : '';
  const lines = [
    `${plan.flag} in ${plan.environment}: releasing "${plan.variation}", ${plan.state.replace('_', ' ')}${where}`,
    '',
    ...table([
      ['', 'STAGE', 'NAME', 'AUDIENCE', 'HOLD', 'APPROVAL'],
      ...plan.stages.map((stage, index) => {
        const approved = plan.approvals.some((approval) => approval.stage === index);
        return [
          index === plan.currentStage ? '>' : ' ',
          String(index + 1),
          stage.name,
          audienceOf(stage),
          stage.holdMinutes === undefined ? '-' : `${stage.holdMinutes}m`,
          stage.approval ? (approved ? 'approved' : 'required') : '-',
        ];
      }),
    ]),
    '',
  ];
  if (plan.nextAdvanceAt) lines.push(`next advance: ${plan.nextAdvanceAt}`);
  if (plan.guard) {
    lines.push(
      `guard: "${plan.guard.event}" above ${ratePercent(plan.guard.maxRate)} of exposures, after ` +
        `${plan.guard.minExposures} exposures; a trip will ${onTripText(plan.onTrip)}`,
    );
  }
  if (plan.incident) {
    const incident = plan.incident;
    lines.push(
      `incident at ${incident.at}: ${incident.events} "${incident.event}" events over ${incident.exposures} ` +
        `exposures = ${ratePercent(incident.rate)} > max ${ratePercent(incident.maxRate)}; ` +
        `${onTripText(plan.onTrip, true)}`,
    );
  }
  return lines;
}

/** A preview for people: the warnings, then what each stage serves. */
export function formatPreview(preview: ReleasePreview): string[] {
  return [
    ...(preview.warnings.length === 0
      ? ['no warnings']
      : preview.warnings.map((warning) => `warning: ${warning}`)),
    '',
    ...table([
      ['STAGE', 'NAME', 'PERCENT', 'APPROVAL', 'SERVES'],
      ...preview.stages.map((stage) => [
        `${stage.index + 1} of ${preview.stages.length}`,
        stage.name,
        `${stage.percentage}%`,
        stage.approval ? 'required' : '-',
        stage.summary,
      ]),
    ]),
    '',
    'nothing was written',
  ];
}

function guardOf(ctx: CommandContext): ReleaseGuard | undefined {
  if (ctx.option('guard-max-rate') !== undefined) {
    throw badInput('--guard-max-rate is gone: give --guard-max-percent, in percent of exposures (5 for 5%)');
  }
  const event = ctx.option('guard-event');
  const maxPercent = ctx.option('guard-max-percent');
  const minExposures = ctx.option('guard-min-exposures');
  if (event === undefined && maxPercent === undefined && minExposures === undefined) return undefined;
  if (event === undefined) {
    throw badInput('a guard needs --guard-event (and optionally --guard-max-percent, --guard-min-exposures)');
  }
  const percent =
    maxPercent === undefined
      ? GUARD_DEFAULTS.maxPercent
      : parsePercent(maxPercent.replace(/%$/, ''), '--guard-max-percent');
  return {
    event,
    // The wire's rate is events per exposure; rounding keeps 0.07% from becoming 0.0007000000000000001.
    maxRate: Number((percent / 100).toFixed(5)),
    minExposures:
      minExposures === undefined
        ? GUARD_DEFAULTS.minExposures
        : parseInteger(minExposures, '--guard-min-exposures', 1),
  };
}

function onTripOf(ctx: CommandContext): ReleaseOnTrip | undefined {
  const onTrip = ctx.option('on-trip');
  if (onTrip === undefined || onTrip === 'off' || onTrip === 'revert') return onTrip;
  throw badInput(
    `--on-trip is off (switch the flag off) or revert (the config before the plan), not "${onTrip}"`,
  );
}

function stagesOf(ctx: CommandContext): ReleaseStage[] {
  const stages = ctx.option('stages');
  const template = ctx.option('template');
  if (stages !== undefined && template !== undefined) throw badInput('give --template or --stages, not both');
  if (stages !== undefined) return parseStages(stages);
  const name = template ?? 'standard';
  const chosen = RELEASE_TEMPLATES[name];
  if (!chosen) {
    throw badInput(`no template "${name}"; templates: ${Object.keys(RELEASE_TEMPLATES).join(', ')}`);
  }
  return chosen.map((stage) => ({ ...stage }));
}

/** The body of `release start` and `release preview`. */
function newPlanOf(ctx: CommandContext) {
  const variation = ctx.need('variation');
  const stages = stagesOf(ctx);
  const guard = guardOf(ctx);
  const onTrip = onTripOf(ctx);
  return { variation, stages, ...(guard ? { guard } : {}), ...(onTrip ? { onTrip } : {}) };
}

const NEW_PLAN_OPTIONS = {
  ...PLAN_OPTIONS,
  variation: { type: 'string' },
  template: { type: 'string' },
  stages: { type: 'string' },
  'guard-event': { type: 'string' },
  'guard-max-percent': { type: 'string' },
  'guard-max-rate': { type: 'string' },
  'guard-min-exposures': { type: 'string' },
  'on-trip': { type: 'string' },
} as const;
const NEW_PLAN_USAGE =
  `KEY --env E --variation V [--template standard | --stages S] [--guard-event E ` +
  `[--guard-max-percent P (default ${GUARD_DEFAULTS.maxPercent})] ` +
  `[--guard-min-exposures N (default ${GUARD_DEFAULTS.minExposures})]] [--on-trip off|revert]`;

/** Writes a result's warnings as notes, so they show in text and JSON mode alike. */
function noteWarnings(ctx: CommandContext, result: { warnings?: readonly string[] }): void {
  for (const warning of result.warnings ?? []) ctx.out.note(`warning: ${warning}`);
}

function action(name: string, summary: string, verb: string): CommandSpec {
  return {
    words: ['release', name],
    usage: `release ${name} KEY --env E${name === 'approve' ? ' [--comment C]' : ''}`,
    summary,
    options: name === 'approve' ? { ...PLAN_OPTIONS, comment: { type: 'string' } } : PLAN_OPTIONS,
    positionals: 1,
    async run(ctx) {
      const comment = ctx.option('comment');
      const body = name === 'approve' && comment !== undefined ? { comment } : {};
      const response = await ctx.api.request<ReleasePlan | ReleasePlanResult>('POST', planPath(ctx, name), {
        body,
      });
      const result = response.body;
      const outcome = 'summary' in result ? `${verb}: ${result.summary}` : `${verb}:`;
      ctx.out.result([outcome, ...formatPlan(result)], result);
      if ('warnings' in result) noteWarnings(ctx, result);
      return EXIT.ok;
    },
  };
}

/** `release start|preview|status|advance|pause|resume|rollback|approve` */
export const releaseCommands: CommandSpec[] = [
  {
    words: ['release', 'start'],
    usage: `release start ${NEW_PLAN_USAGE}`,
    summary:
      "start a stage-by-stage release; S like 'staff:segment=staff,1:hold=60,10:hold=60:approval,50,100'; " +
      'a guard trip switches the flag off unless --on-trip revert',
    options: NEW_PLAN_OPTIONS,
    positionals: 1,
    async run(ctx) {
      const path = planPath(ctx);
      const response = await ctx.api.request<ReleasePlanResult>('POST', path, { body: newPlanOf(ctx) });
      ctx.out.result([`started: ${response.body.summary}`, ...formatPlan(response.body)], response.body);
      noteWarnings(ctx, response.body);
      return EXIT.ok;
    },
  },
  {
    words: ['release', 'preview'],
    usage: `release preview ${NEW_PLAN_USAGE}`,
    summary: 'what release start would do: warnings and what each stage serves (nothing is written)',
    options: NEW_PLAN_OPTIONS,
    positionals: 1,
    async run(ctx) {
      const path = planPath(ctx, 'preview');
      const response = await ctx.api.request<ReleasePreview>('POST', path, { body: newPlanOf(ctx) });
      ctx.out.result(formatPreview(response.body), response.body);
      return EXIT.ok;
    },
  },
  {
    words: ['release', 'status'],
    usage: 'release status KEY --env E',
    summary: 'the release plan: stages, current stage, next advance, guard, incident',
    options: PLAN_OPTIONS,
    positionals: 1,
    async run(ctx) {
      const plan = await ctx.api.get<ReleasePlan>(planPath(ctx));
      ctx.out.result(formatPlan(plan), plan);
      return EXIT.ok;
    },
  },
  action('advance', 'move to the next stage now (its approval must be given)', 'advanced'),
  action('pause', 'stop automatic advancing', 'paused'),
  action('resume', 'let the plan advance on its own again', 'resumed'),
  action('rollback', 'stop the release: the config from before the plan comes back', 'rolled back'),
  action('approve', "approve the next gated stage (someone other than the plan's creator)", 'approved'),
];
