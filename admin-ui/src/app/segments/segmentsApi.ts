import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, request } from '../../api';
import { useToast } from '../../components/common/Toasts';
import type { ChangeRequest, Segment, SegmentRule, SegmentUse } from '../../types';
import { requestedMessage } from '../flags/flagsApi';

const enc = encodeURIComponent;

export function useSegments() {
  return useQuery({
    queryKey: ['segments'],
    queryFn: async () => (await api.get<{ items: Segment[] }>('/segments')).items,
  });
}

export function useSegment(key: string) {
  return useQuery({
    queryKey: ['segment', key],
    queryFn: () => api.get<Segment>(`/segments/${enc(key)}`),
    enabled: key !== '',
  });
}

/** The flag rules that use a segment, per environment. */
export function useSegmentUsage(key: string) {
  return useQuery({
    queryKey: ['segment-usage', key],
    queryFn: async () => (await api.get<{ items: SegmentUse[] }>(`/segments/${enc(key)}/usage`)).items,
  });
}

export interface SegmentInput {
  name?: string;
  description?: string;
  included: string[];
  excluded: string[];
  rules: SegmentRule[];
}

export function useCreateSegment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: SegmentInput & { key: string }) => api.post<Segment>('/segments', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['segments'] }),
  });
}

/**
 * What saving a segment did: applied at once, or — where a config of an environment requiring
 * approval uses it — a change request (202) that waits for someone else.
 */
export type SegmentWriteResult =
  | { kind: 'applied'; segment: Segment }
  | { kind: 'requested'; changeRequest: ChangeRequest };

/**
 * Replaces a segment at `version` (a change made meanwhile is refused, not overwritten), and says
 * so in a toast: saved, or the change request it became. The toast comes from here, not from the
 * form, because the new version re-keys the segment's editor, which unmounts the form.
 */
export function useSaveSegment(key: string) {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async (input: SegmentInput & { version: number }): Promise<SegmentWriteResult> => {
      const response = await request<Segment | ChangeRequest>('PUT', `/segments/${enc(key)}`, {
        body: input,
      });
      return response.status === 202
        ? { kind: 'requested', changeRequest: response.body as ChangeRequest }
        : { kind: 'applied', segment: response.body as Segment };
    },
    onSuccess: async (result) => {
      if (result.kind === 'requested') toast('info', requestedMessage(result.changeRequest));
      else toast('success', `Saved segment ${key}`);
      if (result.kind === 'applied') queryClient.setQueryData(['segment', key], result.segment);
      await queryClient.invalidateQueries({ queryKey: ['segments'] });
      await queryClient.invalidateQueries({ queryKey: ['audit'] });
      await queryClient.invalidateQueries({ queryKey: ['change-requests'] });
    },
  });
}

export function useDeleteSegment(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete<void>(`/segments/${enc(key)}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['segments'] }),
  });
}
