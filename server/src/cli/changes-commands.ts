import { seg } from './api-client.js';
import { badInput } from './cli-error.js';
import type { CommandContext, CommandSpec } from './command.js';
import { parseInteger } from './command.js';
import { describeOperation } from './describe-operations.js';
import { diffFields, formatChanges } from './diff.js';
import { EXIT } from './exit-codes.js';
import { table } from './output.js';
import { CHANGE_REQUEST_STATES, type ChangeRequest, type ChangeRequestState } from './wire.js';

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

/** A config or toggle request's changes, one per line, in words. */
function operationLines(request: ChangeRequest): string[] {
  if (request.kind !== 'config' && request.kind !== 'toggle') return [];
  const operations = request.operations ?? [];
  if (operations.length === 0) return ['changes: none'];
  return ['changes:', ...operations.map((op) => `  ${describeOperation(op)}`)];
}

/** A change request for people: who, what, when, what it changes, and what the review said. */
export function formatChangeRequest(request: ChangeRequest): string[] {
  return [
    summaryLine(request),
    `author: ${request.author.name} (${request.author.type}) at ${request.createdAt}`,
    `revision: ${request.revision}`,
    ...(request.comment ? [`comment: ${request.comment}`] : []),
    ...operationLines(request),
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

/**
 * The revision an approval or rejection is for: `--revision` (as `changes show` printed it), else the
 * request's revision now, fetched — so that a request its author changes meanwhile is not decided
 * unseen (the server answers 409).
 */
async function revisionFor(ctx: CommandContext, id: number): Promise<number> {
  const given = ctx.option('revision');
  if (given !== undefined) return parseInteger(given, '--revision', 1);
  const request = await ctx.api.get<ChangeRequest>(`/api/v1/change-requests/${seg(id)}`);
  return request.revision;
}

function review(name: 'approve' | 'reject' | 'withdraw' | 'cancel', summary: string): CommandSpec {
  const decision = name === 'approve' || name === 'reject';
  return {
    words: ['changes', name],
    usage: `changes ${name} ID${decision ? ' [--comment C] [--revision N]' : ''}`,
    summary,
    options: decision ? { comment: { type: 'string' }, revision: { type: 'string' } } : {},
    positionals: 1,
    async run(ctx) {
      const id = idOf(ctx);
      const comment = decision ? ctx.option('comment') : undefined;
      const body = {
        ...(comment === undefined ? {} : { comment }),
        ...(decision ? { revision: await revisionFor(ctx, id) } : {}),
      };
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
    summary: 'one change request and what it changes (a config: its operations; else the diff against now)',
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
      // A config or toggle request lists its operations: what its author changed.
      ctx.out.result(formatChangeRequest(request), request);
      return EXIT.ok;
    },
  },
  review(
    'approve',
    'approve (and apply or schedule) a change request; not your own. --revision: the one `changes show` printed (default: its revision now)',
  ),
  review('reject', 'reject a change request; not your own (--revision as for approve)'),
  review('withdraw', 'withdraw your own pending change request'),
  review('cancel', 'cancel a scheduled change request (its author or an admin)'),
];
