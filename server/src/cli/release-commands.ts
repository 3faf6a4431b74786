import { seg } from './api-client.js';
import { badInput } from './cli-error.js';
import type { CommandContext, CommandSpec } from './command.js';
import { parseInteger } from './command.js';
import { EXIT } from './exit-codes.js';
import { table } from './output.js';
import { parseStages, RELEASE_TEMPLATES } from './release-stages.js';
import type { ReleaseGuard, ReleasePlan, ReleaseStage } from './wire.js';

const PLAN_OPTIONS = { env: { type: 'string' } } as const;

function planPath(ctx: CommandContext, action?: string): string {
  const key = ctx.arg(0, 'KEY');
  const env = ctx.need('env');
  return `/api/v1/flags/${seg(key)}/environments/${seg(env)}/release${action ? `/${action}` : ''}`;
}

function audienceOf(stage: ReleaseStage): string {
  const segments = stage.segments?.length ? `segments ${stage.segments.join('+')}` : '';
  const percent = stage.percentage > 0 || !segments ? `${stage.percentage}%` : '';
  return [segments, percent].filter((part) => part !== '').join(' + ');
}

/**
 * A release plan for people: state, the rings with the current one marked, the next advance, the
 * guard and any incident.
 */
export function formatPlan(plan: ReleasePlan): string[] {
  const current = plan.stages[plan.currentStage];
  const lines = [
    `${plan.flag} in ${plan.environment}: releasing "${plan.variation}", ${plan.state.replace('_', ' ')}` +
      (current ? `, ring ${plan.currentStage + 1} of ${plan.stages.length} (${current.name})` : ''),
    '',
    ...table([
      ['', 'RING', 'NAME', 'AUDIENCE', 'HOLD', 'APPROVAL'],
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
      `guard: "${plan.guard.event}" at most ${plan.guard.maxRate} per exposure, after ${plan.guard.minExposures} exposures`,
    );
  }
  if (plan.incident) {
    const incident = plan.incident;
    lines.push(
      `incident at ${incident.at}: "${incident.event}" rate ${incident.rate} > ${incident.maxRate} ` +
        `(${incident.events} events / ${incident.exposures} exposures); rolled back`,
    );
  }
  return lines;
}

function guardOf(ctx: CommandContext): ReleaseGuard | undefined {
  const event = ctx.option('guard-event');
  const maxRate = ctx.option('guard-max-rate');
  const minExposures = ctx.option('guard-min-exposures');
  if (event === undefined && maxRate === undefined && minExposures === undefined) return undefined;
  if (event === undefined || maxRate === undefined) {
    throw badInput('a guard needs --guard-event and --guard-max-rate (and optionally --guard-min-exposures)');
  }
  const rate = Number(maxRate);
  if (maxRate.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw badInput(`--guard-max-rate is events per exposure, from 0 to 1, not "${maxRate}"`);
  }
  return {
    event,
    maxRate: rate,
    minExposures: minExposures === undefined ? 100 : parseInteger(minExposures, '--guard-min-exposures', 1),
  };
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
      const response = await ctx.api.request<ReleasePlan>('POST', planPath(ctx, name), { body });
      ctx.out.result([`${verb}:`, ...formatPlan(response.body)], response.body);
      return EXIT.ok;
    },
  };
}

/** `release start|status|advance|pause|resume|rollback|approve` */
export const releaseCommands: CommandSpec[] = [
  {
    words: ['release', 'start'],
    usage:
      'release start KEY --env E --variation V [--template standard | --stages S] [--guard-event E --guard-max-rate R [--guard-min-exposures N]]',
    summary:
      "start a ring-by-ring release; S like 'staff:segment=staff,1:hold=60,10:hold=60:approval,50,100'",
    options: {
      ...PLAN_OPTIONS,
      variation: { type: 'string' },
      template: { type: 'string' },
      stages: { type: 'string' },
      'guard-event': { type: 'string' },
      'guard-max-rate': { type: 'string' },
      'guard-min-exposures': { type: 'string' },
    },
    positionals: 1,
    async run(ctx) {
      const path = planPath(ctx);
      const variation = ctx.need('variation');
      const stages = stagesOf(ctx);
      const guard = guardOf(ctx);
      const response = await ctx.api.request<ReleasePlan>('POST', path, {
        body: { variation, stages, ...(guard ? { guard } : {}) },
      });
      ctx.out.result(['started:', ...formatPlan(response.body)], response.body);
      return EXIT.ok;
    },
  },
  {
    words: ['release', 'status'],
    usage: 'release status KEY --env E',
    summary: 'the release plan: rings, current ring, next advance, guard, incident',
    options: PLAN_OPTIONS,
    positionals: 1,
    async run(ctx) {
      const plan = await ctx.api.get<ReleasePlan>(planPath(ctx));
      ctx.out.result(formatPlan(plan), plan);
      return EXIT.ok;
    },
  },
  action('advance', 'move to the next ring now (its approval must be given)', 'advanced'),
  action('pause', 'stop automatic advancing', 'paused'),
  action('resume', 'let the plan advance on its own again', 'resumed'),
  action('rollback', 'stop the release: everyone gets the off variation', 'rolled back'),
  action('approve', "approve the next gated ring (someone other than the plan's creator)", 'approved'),
];
