import { useQuery } from '@tanstack/react-query';
import { api } from '../../api';
import type { Environment, EnvironmentDelivery } from '../../types';

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
