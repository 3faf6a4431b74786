import { type AppliedStep, applyPlan } from './apply.js';
import { badInput } from './cli-error.js';
import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { writeExtras } from './flags-commands.js';
import { readFlagsFile } from './flags-file.js';
import { computePlan, markPending, type Plan } from './plan.js';
import { formatPlan } from './plan-format.js';
import { exportFile, readServerState } from './server-state.js';
import { pendingExit } from './write-outcome.js';

function stepLine(step: AppliedStep): string {
  const what = step.environment ? `${step.key} in ${step.environment}` : `${step.resource} ${step.key}`;
  if (step.result === 'pending' && step.changeRequest) {
    const request = step.changeRequest;
    return request.state === 'scheduled' && request.applyAt
      ? `${what}: change request #${request.id} is scheduled for ${request.applyAt}`
      : `${what}: change request #${request.id} awaits approval`;
  }
  const done = { create: 'created', update: 'updated', unarchive: 'unarchived' }[step.action];
  return `${what}: ${done}${step.version === undefined ? '' : ` (version ${step.version})`}`;
}

async function planFor(ctx: Parameters<CommandSpec['run']>[0]): Promise<{ file: string; plan: Plan }> {
  const file = ctx.arg(0, 'FILE');
  const desired = await readFlagsFile(file);
  if (desired.project !== undefined && desired.project !== ctx.api.project) {
    throw badInput(
      `${file} is for project "${desired.project}", but this run acts in project "${ctx.api.project}": pass --project ${desired.project} (or set RINGFLAG_PROJECT), or change "project" in the file`,
      [{ path: 'project', message: `is "${desired.project}", not "${ctx.api.project}"` }],
    );
  }
  const state = await readServerState(ctx.api, desired);
  return { file, plan: await markPending(ctx.api, computePlan(desired, state)) };
}

/** `export`, `plan FILE`, `apply FILE`: flags as code. */
export const flagsAsCodeCommands: CommandSpec[] = [
  {
    words: ['export'],
    usage: 'export > flags.json',
    summary:
      "write the project's segments and live flags, with their configs per environment, as a flags file",
    async run(ctx) {
      const file = exportFile(await readServerState(ctx.api), ctx.api.project);
      ctx.out.raw(`${JSON.stringify(file, null, 2)}\n`);
      return EXIT.ok;
    },
  },
  {
    words: ['plan'],
    usage: 'plan FILE [--detailed-exitcode]',
    summary: 'show what apply would change (exit 2 with --detailed-exitcode when it would change something)',
    options: { 'detailed-exitcode': { type: 'boolean' } },
    positionals: 1,
    async run(ctx) {
      const { plan } = await planFor(ctx);
      ctx.out.result(formatPlan(plan), plan);
      return plan.hasChanges && ctx.flag('detailed-exitcode') ? EXIT.badInput : EXIT.ok;
    },
  },
  {
    words: ['apply'],
    usage: 'apply FILE [--comment C] [--apply-at ISO]',
    summary: 'make the server match the file (change requests where approval is required); idempotent',
    options: { comment: { type: 'string' }, 'apply-at': { type: 'string' } },
    positionals: 1,
    async run(ctx) {
      const { file, plan } = await planFor(ctx);
      const alreadyPending = plan.summary.pending;
      if (!plan.hasChanges) {
        const waiting = alreadyPending > 0 ? ` (${alreadyPending} change(s) still await approval)` : '';
        ctx.out.result(`No changes: the server already matches ${file}${waiting}.`, {
          changed: false,
          steps: [],
          plan,
        });
        return pendingExit(alreadyPending > 0, ctx.failOnPending);
      }
      const steps = await applyPlan(ctx.api, plan, writeExtras(ctx));
      const pending = steps.filter((step) => step.result === 'pending').length + alreadyPending;
      const applied = steps.filter((step) => step.result === 'applied').length;
      ctx.out.result(
        [
          ...steps.map(stepLine),
          '',
          `Applied ${applied} change(s)${pending > 0 ? `; ${pending} await approval` : ''}.`,
        ],
        { changed: steps.length > 0, steps, plan },
      );
      return pendingExit(pending > 0, ctx.failOnPending);
    },
  },
];
