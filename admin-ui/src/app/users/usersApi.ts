import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Role, User } from '../../types';

export function useUsers(enabled = true) {
  return useQuery({
    queryKey: ['users'],
    queryFn: async () => (await api.get<{ items: User[] }>('/users')).items,
    enabled,
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: {
      email: string;
      name?: string;
      password: string;
      /** The role in the default project (none when absent). */
      role?: Role;
      /** Manages users and projects, and is an admin in every project. */
      orgAdmin: boolean;
    }) => api.post<User>('/users', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({
      id,
      ...changes
    }: {
      id: number;
      /** The role in the default project; null takes it away. */
      role?: Role | null;
      orgAdmin?: boolean;
      disabled?: boolean;
      name?: string;
      /** A new password set by an admin: the user's sessions end. */
      password?: string;
    }) => api.patch<User>(`/users/${id}`, changes),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
}
