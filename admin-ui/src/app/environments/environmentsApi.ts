import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Environment, EnvironmentDelivery } from '../../types';

const enc = encodeURIComponent;

/** Environments in pipeline order (development → staging → production). */
export function useEnvironments() {
  return useQuery({
    queryKey: ['environments'],
    queryFn: async () => (await api.get<{ items: Environment[] }>('/environments')).items,
    staleTime: 60_000,
  });
}

/** Per environment: revision, open SDK streams, last patch sent. Polled while shown. */
export function useDelivery() {
  return useQuery({
    queryKey: ['insights', 'delivery'],
    queryFn: async () => (await api.get<{ items: EnvironmentDelivery[] }>('/insights/environments')).items,
    refetchInterval: 5_000,
  });
}

/** A new environment (every flag starts off there); it joins the end of the pipeline. */
export interface NewEnvironment {
  key: string;
  name: string;
  requireApproval?: boolean;
  corsOrigins?: string[];
}

/** What `PATCH /environments/{env}` changes, and why (`comment`, kept in the audit log). */
export interface EnvironmentChanges {
  name?: string;
  requireApproval?: boolean;
  corsOrigins?: string[];
  comment?: string;
}

/** Everything that shows environments reads them again (switchers, flag pages, the inbox). */
function afterEnvironmentWrite(queryClient: ReturnType<typeof useQueryClient>) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: ['environments'] }),
    queryClient.invalidateQueries({ queryKey: ['audit'] }),
  ]);
}

export function useCreateEnvironment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: NewEnvironment) => api.post<Environment>('/environments', input),
    onSuccess: () => afterEnvironmentWrite(queryClient),
  });
}

/** Renames an environment, sets its allowed browser origins, or turns approval on or off (admins). */
export function useUpdateEnvironment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ key, ...changes }: EnvironmentChanges & { key: string }) =>
      api.patch<Environment>(`/environments/${enc(key)}`, changes),
    onSuccess: (updated) => {
      queryClient.setQueryData<Environment[]>(['environments'], (old) =>
        old?.map((env) => (env.key === updated.key ? updated : env)),
      );
      return afterEnvironmentWrite(queryClient);
    },
  });
}

/** Puts the environments in this pipeline order (every key once, first to last). */
export function useReorderEnvironments() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (order: string[]) =>
      (await api.put<{ items: Environment[] }>('/environments/order', { order })).items,
    onSuccess: (items) => {
      queryClient.setQueryData(['environments'], items);
      return afterEnvironmentWrite(queryClient);
    },
  });
}
