import { seg } from './api-client.js';
import { badInput } from './cli-error.js';
import type { CommandSpec } from './command.js';
import { diffTargeting, formatChanges } from './diff.js';
import { EXIT } from './exit-codes.js';
import { getConfig, writeExtras } from './flags-commands.js';
import { matchingRequest } from './pending-requests.js';
import { targetingOf } from './rollout.js';
import type { ChangeRequest, FlagConfig } from './wire.js';
import { outcomeOf, pendingExit, pendingLine } from './write-outcome.js';

/** `promote KEY --from staging --to production`. */
export const promoteCommands: CommandSpec[] = [
  {
    words: ['promote'],
    usage: 'promote KEY --from E1 --to E2 [--comment C] [--apply-at ISO]',
    summary:
      "copy targeting (rules, targets, fallthrough, offVariation, prerequisites) from E1 to E2, keeping E2's on/off state",
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      comment: { type: 'string' },
      'apply-at': { type: 'string' },
    },
    positionals: 1,
    async run(ctx) {
      const key = ctx.arg(0, 'KEY');
      const from = ctx.need('from');
      const to = ctx.need('to');
      if (from === to) throw badInput('--from and --to name the same environment');
      const source = await getConfig(ctx.api, key, from);
      const target = await getConfig(ctx.api, key, to);
      const wanted = { ...targetingOf(source), enabled: target.enabled };
      const changes = diffTargeting(targetingOf(target), wanted);
      const heading = `promote ${key} from ${from} to ${to}`;
      if (changes.length === 0) {
        ctx.out.result(`${heading}: ${to} already has the targeting of ${from}; nothing to do`, {
          status: 'unchanged',
          changes,
        });
        return EXIT.ok;
      }
      const existing = await matchingRequest(ctx.api, key, to, { ...target, ...wanted });
      if (existing) {
        ctx.out.result(`${heading}: already proposed, ${pendingLine(existing)}`, {
          status: 'pending',
          changeRequest: existing,
          changes,
        });
        return pendingExit(true, ctx.failOnPending);
      }
      const response = await ctx.api.request<FlagConfig | ChangeRequest>(
        'PUT',
        `/api/v1/flags/${seg(key)}/environments/${seg(to)}`,
        { body: { ...wanted, ...writeExtras(ctx) }, ifMatch: target.version },
      );
      const outcome = outcomeOf(response);
      if (outcome.kind === 'pending') {
        ctx.out.result(
          [`${heading}: ${pendingLine(outcome.changeRequest)}`, ...formatChanges(changes, '  ')],
          {
            status: 'pending',
            changeRequest: outcome.changeRequest,
            changes,
          },
        );
        return pendingExit(true, ctx.failOnPending);
      }
      ctx.out.result(
        [`${heading}: applied (version ${outcome.config.version})`, ...formatChanges(changes, '  ')],
        { status: 'applied', config: outcome.config, changes },
      );
      return EXIT.ok;
    },
  },
];
