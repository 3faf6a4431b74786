import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import { useToast } from '../../components/common/Toasts';
import { describeReleaseStage } from '../../lib/describe';
import { formatDateTime } from '../../lib/time';
import type { ChangeRequest, ChangeRequestState, Me, ReleaseApproval } from '../../types';
import { approveStage, listReleaseApprovals } from '../releases/releasesApi';

/** States that still await something: a reviewer (`pending`) or their time (`scheduled`). */
export const OPEN_STATES: readonly ChangeRequestState[] = ['pending', 'scheduled'];

export const changeRequestsKey = ['change-requests'] as const;

/** Filters of {@link useChangeRequests}. */
export interface ChangeRequestFilter {
  states?: readonly ChangeRequestState[];
  flag?: string;
  environment?: string;
}

/** Change requests, newest first; refreshed every 30 s so the inbox stays current. */
export function useChangeRequests(filter: ChangeRequestFilter = {}) {
  return useQuery({
    queryKey: [...changeRequestsKey, filter],
    queryFn: async () => {
      const { items } = await api.get<{ items: ChangeRequest[] }>('/change-requests', {
        state: filter.states?.join(','),
        flag: filter.flag,
        environment: filter.environment,
      });
      return items;
    },
    refetchInterval: 30_000,
  });
}

/** The open (pending or scheduled) requests of every flag, for the inbox count and the flag badges. */
export function useOpenChangeRequests() {
  return useChangeRequests({ states: OPEN_STATES });
}

/**
 * Open requests per flag key, and per `flag/environment`.
 *
 * @example
 * openByFlag(items).get('new-checkout')?.length
 */
export function openByFlag(items: readonly ChangeRequest[]): Map<string, ChangeRequest[]> {
  const byFlag = new Map<string, ChangeRequest[]>();
  for (const item of items) {
    if (!OPEN_STATES.includes(item.state) || item.flag === null) continue;
    byFlag.set(item.flag, [...(byFlag.get(item.flag) ?? []), item]);
  }
  return byFlag;
}

/**
 * What a request asks for, in a few words.
 *
 * @example
 * describeChange(request); // 'Turn on', 'Change targeting', 'Turn on and change targeting', 'Archive flag'
 */
export function describeChange(request: ChangeRequest): string {
  switch (request.kind) {
    case 'toggle':
    case 'config': {
      // One request gathers its author's changes in an environment: a turn-on and targeting edits.
      const steps = request.operations ?? [];
      const toggles = steps.some((op) => op.op === 'set' && op.field === 'enabled');
      const edits = steps.some((op) => op.op !== 'set' || op.field !== 'enabled');
      const turn = `Turn ${request.proposed.enabled ? 'on' : 'off'}`;
      if (steps.length === 0) return request.kind === 'toggle' ? turn : 'Change targeting';
      if (toggles && edits) return `${turn} and change targeting`;
      return toggles ? turn : 'Change targeting';
    }
    case 'flag':
      return 'Change flag settings';
    case 'archive':
      return 'Archive flag';
    case 'unarchive':
      return 'Restore flag';
    case 'segment':
      return 'Change segment';
  }
}

/** What a request changes — a flag or a segment — and the page that shows it. */
export function subjectOf(request: ChangeRequest): { label: string; to: string } {
  if (request.kind === 'segment') {
    const key = request.segment ?? request.proposed.key;
    return { label: key, to: `/segments/${encodeURIComponent(key)}` };
  }
  const flag = `/flags/${encodeURIComponent(request.flag)}`;
  return { label: request.flag, to: request.environment === null ? flag : `${flag}/${request.environment}` };
}

/**
 * Where a request applies: its environment, or — for a flag-level or segment change, which applies
 * to every environment at once — "all environments".
 */
export function whereOf(request: ChangeRequest): string {
  return request.environment ?? 'all environments';
}

/** Whether the signed-in person wrote the request (a session's actor id is `user:<id>`). */
export function isAuthor(me: Pick<Me, 'kind' | 'id'> | null | undefined, request: ChangeRequest): boolean {
  return me != null && request.author.id === `${me.kind}:${me.id}`;
}

/** A change request to one flag's config in one environment. */
export type ConfigChangeRequest = Extract<ChangeRequest, { kind: 'config' | 'toggle' }>;

/**
 * The signed-in person's pending request for this flag's config in `environment`, if any: further
 * saves and turn-ons there are added to it (the server merges them), not made into new ones.
 *
 * @example
 * myPendingRequest(openChanges.data, me, 'production')?.id
 */
export function myPendingRequest(
  items: readonly ChangeRequest[] | undefined,
  me: Pick<Me, 'kind' | 'id'> | null | undefined,
  environment: string,
): ConfigChangeRequest | undefined {
  return items?.find(
    (item): item is ConfigChangeRequest =>
      item.state === 'pending' &&
      (item.kind === 'config' || item.kind === 'toggle') &&
      item.environment === environment &&
      isAuthor(me, item),
  );
}

export type ReviewAction = 'approve' | 'reject' | 'withdraw' | 'cancel';

const DONE: Record<ReviewAction, string> = {
  approve: 'approved',
  reject: 'rejected',
  withdraw: 'withdrawn',
  cancel: 'cancelled',
};

/**
 * What a review did, for its toast.
 *
 * @example
 * reviewedMessage(12, 'approve', request); // 'Change request #12 approved and applied'
 */
export function reviewedMessage(id: number, action: ReviewAction, after: ChangeRequest): string {
  if (after.state === 'applied') return `Change request #${id} approved and applied`;
  if (after.state === 'scheduled' && action === 'approve')
    return `Change request #${id} approved; it applies ${formatDateTime(after.applyAt ?? '')}`;
  return `Change request #${id} ${DONE[action]}`;
}

/**
 * Approves, rejects, withdraws or cancels a request. Approve and reject send the `revision` the
 * reviewer saw: a 409 then means its author changed it since (nothing happened), or — on approve —
 * that the config moved underneath it (it is now `conflict`). The lists are refreshed either way.
 * A toast says how it went; it comes from here, before the refresh, because the refreshed inbox no
 * longer lists the request whose card asked.
 */
export function useReview() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: changeRequestsKey }),
      queryClient.invalidateQueries({ queryKey: ['config'] }),
      queryClient.invalidateQueries({ queryKey: ['configs'] }),
      queryClient.invalidateQueries({ queryKey: ['flag'] }),
      queryClient.invalidateQueries({ queryKey: ['insights'] }),
      queryClient.invalidateQueries({ queryKey: ['audit'] }),
    ]);
  return useMutation({
    mutationFn: (input: { id: number; action: ReviewAction; comment?: string; revision?: number }) =>
      api.post<ChangeRequest>(`/change-requests/${input.id}/${input.action}`, {
        ...(input.comment ? { comment: input.comment } : {}),
        ...(input.revision === undefined ? {} : { revision: input.revision }),
      }),
    onSuccess: (after, input) => toast('success', reviewedMessage(input.id, input.action, after)),
    onError: (error) => toast('error', error.message),
    onSettled: refresh,
  });
}

export const releaseApprovalsKey = ['release-approvals'] as const;

/** Release stages waiting for an approval, across flags and environments; refreshed with the inbox. */
export function useReleaseApprovals() {
  return useQuery({
    queryKey: releaseApprovalsKey,
    queryFn: listReleaseApprovals,
    refetchInterval: 30_000,
  });
}

/**
 * Approves the waiting stage of a flag's release in an environment, with an optional comment — the
 * same call as the Release tab's Approve — and refreshes the inbox and that release. A toast says
 * how it went; it comes from here, before the refresh, because the refreshed inbox no longer lists
 * the stage whose card asked.
 */
export function useApproveStage() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (input: { approval: ReleaseApproval; environmentName: string; comment?: string }) =>
      approveStage(input.approval.flag, input.approval.environment, input.comment),
    onSuccess: (_plan, { approval, environmentName }) =>
      toast(
        'success',
        `Approved ${describeReleaseStage(approval.plan, approval.stage)} of ${approval.flag} in ${environmentName}`,
      ),
    onError: (error) => toast('error', error.message),
    onSettled: (_plan, _error, { approval: { flag, environment } }) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: releaseApprovalsKey }),
        queryClient.invalidateQueries({ queryKey: ['release', flag, environment] }),
        queryClient.invalidateQueries({ queryKey: ['config', flag, environment] }),
        queryClient.invalidateQueries({ queryKey: ['insights'] }),
        queryClient.invalidateQueries({ queryKey: ['audit'] }),
      ]),
  });
}
