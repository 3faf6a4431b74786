import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { ApiToken, Role, SdkKey } from '../../types';

const enc = encodeURIComponent;

export function useSdkKeys(env: string, enabled = true) {
  return useQuery({
    queryKey: ['sdk-keys', env],
    queryFn: async () => (await api.get<{ items: SdkKey[] }>(`/environments/${enc(env)}/sdk-keys`)).items,
    enabled: enabled && env !== '',
  });
}

/** Creates an SDK key; the response carries the secret, shown once. */
export function useCreateSdkKey(env: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (type: 'server' | 'client') =>
      api.post<SdkKey & { key: string }>(`/environments/${enc(env)}/sdk-keys`, { type }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sdk-keys', env] }),
  });
}

export function useRevokeSdkKey(env: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete<SdkKey>(`/environments/${enc(env)}/sdk-keys/${id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sdk-keys', env] }),
  });
}

export function useApiTokens(enabled = true) {
  return useQuery({
    queryKey: ['api-tokens'],
    queryFn: async () => (await api.get<{ items: ApiToken[] }>('/api-tokens')).items,
    enabled,
  });
}

export function useCreateApiToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { name: string; role: Role; environments?: string[] }) =>
      api.post<ApiToken & { token: string }>('/api-tokens', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-tokens'] }),
  });
}

export function useRevokeApiToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete<ApiToken>(`/api-tokens/${id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-tokens'] }),
  });
}
