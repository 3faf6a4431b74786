import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { APIError, api, hasSession } from '../../api';
import type { Me, Role } from '../../types';
import { ROLES } from '../../types';

export const meKey = ['me'] as const;

/** Who is signed in: the user, or null when there is no (valid) session. */
export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async (): Promise<Me | null> => {
      // No CSRF cookie means no session: do not ask (a 401 would only add noise to the console).
      if (!hasSession()) return null;
      try {
        return await api.get<Me>('/me');
      } catch (error) {
        if (error instanceof APIError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** Signs in with email and password; the server sets the session and CSRF cookies. */
export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { email: string; password: string }) =>
      api.post<{ user: unknown; expiresAt: string }>('/auth/login', input),
    onSuccess: async () => {
      queryClient.clear();
      await queryClient.fetchQuery({ queryKey: meKey, queryFn: () => api.get<Me>('/me') });
    },
  });
}

/** Ends the session and forgets every cached answer. */
export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<void>('/auth/logout'),
    onSettled: () => {
      queryClient.clear();
      queryClient.setQueryData(meKey, null);
    },
  });
}

/**
 * Changes the signed-in user's password (the current one is checked; too many wrong ones are refused
 * for a while, as logins are). This session stays; the user's other sessions end.
 */
export function useChangePassword() {
  return useMutation({
    mutationFn: (input: { currentPassword: string; newPassword: string }) =>
      api.post<void>('/me/password', input),
  });
}

/** Whether `role` is at least `minimum` (viewer < editor < approver < admin). */
export function hasRole(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** Whether the signed-in user may do what needs `minimum`, optionally in one environment. */
export function useCan(minimum: Role, environment?: string): boolean {
  const me = useMe().data;
  if (!me || !hasRole(me.role, minimum)) return false;
  return environment === undefined || me.environments === null || me.environments.includes(environment);
}
