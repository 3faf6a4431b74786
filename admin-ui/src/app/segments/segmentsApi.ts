import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Segment, SegmentRule, SegmentUse } from '../../types';

const enc = encodeURIComponent;

export function useSegments() {
  return useQuery({
    queryKey: ['segments'],
    queryFn: async () => (await api.get<{ items: Segment[] }>('/segments')).items,
  });
}

export function useSegment(key: string) {
  return useQuery({ queryKey: ['segment', key], queryFn: () => api.get<Segment>(`/segments/${enc(key)}`) });
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

/** Replaces a segment at `version`. */
export function useSaveSegment(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: SegmentInput & { version: number }) =>
      api.put<Segment>(`/segments/${enc(key)}`, input),
    onSuccess: async (segment) => {
      queryClient.setQueryData(['segment', key], segment);
      await queryClient.invalidateQueries({ queryKey: ['segments'] });
      await queryClient.invalidateQueries({ queryKey: ['audit'] });
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
