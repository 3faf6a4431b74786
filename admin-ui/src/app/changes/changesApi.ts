import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { ChangeRequest, ChangeRequestState, Me } from '../../types';

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
 * describeChange(request); // 'Turn on', 'Change targeting', 'Archive flag', 'Change segment'
 */
export function describeChange(request: ChangeRequest): string {
  switch (request.kind) {
    case 'toggle':
      return `Turn ${request.proposed.enabled ? 'on' : 'off'}`;
    case 'config':
      return 'Change targeting';
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

export type ReviewAction = 'approve' | 'reject' | 'withdraw' | 'cancel';

/**
 * Approves, rejects, withdraws or cancels a request. A 409 on approve means the config moved since
 * the request was made: it is now `conflict`, and the lists are refreshed either way.
 */
export function useReview() {
  const queryClient = useQueryClient();
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
    mutationFn: (input: { id: number; action: ReviewAction; comment?: string }) =>
      api.post<ChangeRequest>(
        `/change-requests/${input.id}/${input.action}`,
        input.comment ? { comment: input.comment } : {},
      ),
    onSettled: refresh,
  });
}
