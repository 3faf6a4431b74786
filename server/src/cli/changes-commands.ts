import { seg } from './api-client.js';
import { badInput } from './cli-error.js';
import type { CommandContext, CommandSpec } from './command.js';
import { parseInteger } from './command.js';
import { diffFields, diffTargeting, formatChanges } from './diff.js';
import { EXIT } from './exit-codes.js';
import { table } from './output.js';
import { targetingOf } from './rollout.js';
import {
  CHANGE_REQUEST_STATES,
  type ChangeRequest,
  type ChangeRequestState,
  type FlagConfig,
} from './wire.js';

function idOf(ctx: CommandContext): number {
  return parseInteger(ctx.arg(0, 'ID').replace(/^#/, ''), 'ID', 1);
}

/** The fields a flag-level or segment request may change, as `changes show` compares them. */
const GLOBAL_FIELDS: Record<'flag' | 'archive' | 'unarchive' | 'segment', string[]> = {
  flag: ['name', 'description', 'variations', 'tags', 'owner', 'temporary', 'clientSide'],
  archive: ['archived'],
  unarchive: ['archived'],
  segment: ['name', 'description', 'included', 'excluded', 'rules'],
};

/** What a request changes: a flag, or a segment. */
function subjectOf(request: ChangeRequest): string {
  return request.kind === 'segment' ? `segment ${request.segment}` : request.flag;
}

/** Where: its environment, or for a global change the approval-required environments gating it. */
function whereOf(request: ChangeRequest): string {
  return request.environment ?? `all environments (gated by ${request.environments.join(', ')})`;
}

function summaryLine(request: ChangeRequest): string {
  const when = request.applyAt ? `, apply at ${request.applyAt}` : '';
  return `change request #${request.id} (${request.kind}) on ${subjectOf(request)} in ${whereOf(request)}: ${request.state}${when}`;
}

/** A change request for people: who, what, when, and what the review said. */
export function formatChangeRequest(request: ChangeRequest): string[] {
  return [
    summaryLine(request),
    `author: ${request.author.name} (${request.author.type}) at ${request.createdAt}`,
    ...(request.comment ? [`comment: ${request.comment}`] : []),
    ...(request.reviewer
      ? [
          `reviewed by ${request.reviewer.name} at ${request.reviewedAt ?? '?'}` +
            (request.reviewComment ? `: ${request.reviewComment}` : ''),
        ]
      : []),
    ...(request.appliedAt ? [`applied at ${request.appliedAt}`] : []),
    ...(request.conflict ? [`conflict: ${request.conflict}`] : []),
  ];
}

function review(name: 'approve' | 'reject' | 'withdraw' | 'cancel', summary: string): CommandSpec {
  const withComment = name === 'approve' || name === 'reject';
  return {
    words: ['changes', name],
    usage: `changes ${name} ID${withComment ? ' [--comment C]' : ''}`,
    summary,
    options: withComment ? { comment: { type: 'string' } } : {},
    positionals: 1,
    async run(ctx) {
      const id = idOf(ctx);
      const comment = withComment ? ctx.option('comment') : undefined;
      const body = comment === undefined ? {} : { comment };
      const response = await ctx.api.request<ChangeRequest>(
        'POST',
        `/api/v1/change-requests/${seg(id)}/${name}`,
        { body },
      );
      ctx.out.result(formatChangeRequest(response.body), response.body);
      return EXIT.ok;
    },
  };
}

/** `changes list|show|approve|reject|withdraw|cancel` */
export const changeCommands: CommandSpec[] = [
  {
    words: ['changes', 'list'],
    usage: 'changes list [--state S] [--flag F] [--env E]',
    summary: `change requests, newest first (states: ${CHANGE_REQUEST_STATES.join(', ')})`,
    options: { state: { type: 'string' }, flag: { type: 'string' }, env: { type: 'string' } },
    async run(ctx) {
      const state = ctx.option('state');
      if (state !== undefined && !CHANGE_REQUEST_STATES.includes(state as ChangeRequestState)) {
        throw badInput(`--state must be one of ${CHANGE_REQUEST_STATES.join(', ')}`);
      }
      const { items } = await ctx.api.get<{ items: ChangeRequest[] }>('/api/v1/change-requests', {
        state,
        flag: ctx.option('flag'),
        environment: ctx.option('env'),
      });
      ctx.out.result(
        items.length === 0
          ? 'no change requests'
          : table([
              ['ID', 'STATE', 'FLAG', 'ENVIRONMENT', 'KIND', 'AUTHOR', 'CREATED', 'COMMENT'],
              ...items.map((request) => [
                String(request.id),
                request.state,
                subjectOf(request),
                request.environment ?? `(${request.environments.join(',')})`,
                request.kind,
                request.author.name,
                request.createdAt,
                request.comment ?? '',
              ]),
            ]),
        { items },
      );
      return EXIT.ok;
    },
  },
  {
    words: ['changes', 'show'],
    usage: 'changes show ID',
    summary: 'one change request, with the diff of its proposal against the current config',
    positionals: 1,
    async run(ctx) {
      const request = await ctx.api.get<ChangeRequest>(`/api/v1/change-requests/${seg(idOf(ctx))}`);
      if (request.kind !== 'config' && request.kind !== 'toggle') {
        const path =
          request.kind === 'segment'
            ? `/api/v1/segments/${seg(request.segment ?? request.proposed.key)}`
            : `/api/v1/flags/${seg(request.flag)}`;
        const current = await ctx.api.find<Record<string, unknown>>(path);
        const proposed = request.proposed as unknown as Record<string, unknown>;
        const changes = current ? diffFields(current, proposed, GLOBAL_FIELDS[request.kind]) : [];
        ctx.out.result(
          [
            ...formatChangeRequest(request),
            '',
            changes.length === 0 ? 'the proposal matches the current state' : 'proposed changes:',
            ...formatChanges(changes, '  '),
          ],
          { ...request, changes },
        );
        return EXIT.ok;
      }
      const current = await ctx.api.find<FlagConfig>(
        `/api/v1/flags/${seg(request.flag)}/environments/${seg(request.environment)}`,
      );
      const changes = current ? diffTargeting(targetingOf(current), targetingOf(request.proposed)) : [];
      ctx.out.result(
        [
          ...formatChangeRequest(request),
          '',
          current
            ? changes.length === 0
              ? 'the proposal matches the current config'
              : `proposed changes against version ${current.version}:`
            : '',
          ...formatChanges(changes, '  '),
        ],
        { ...request, changes },
      );
      return EXIT.ok;
    },
  },
  review('approve', 'approve (and apply or schedule) a change request; not your own'),
  review('reject', 'reject a change request; not your own'),
  review('withdraw', 'withdraw your own pending change request'),
  review('cancel', 'cancel a scheduled change request (its author or an admin)'),
];
