import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { APIError, api, hasSession, request } from '../../api';
import { useCurrentProject } from '../../components/layout/current-project';
import type { AuthMethods, Me, Role } from '../../types';
import { ROLES } from '../../types';

/**
 * The cache key of the caller as one project sees them (`GET /api/v1/projects/{project}/me`); null
 * for the unscoped `GET /api/v1/me`, which says whether anyone is signed in. `['me']` is every one.
 */
export const meKey = (project: string | null) => ['me', project] as const;

/** The caller in `project` (null: unscoped), or null when there is no (valid) session. */
async function fetchMe(project: string | null): Promise<Me | null> {
  // No CSRF cookie means no session: do not ask (a 401 would only add noise to the console).
  if (!hasSession()) return null;
  try {
    return (await request<Me>('GET', '/me', { project })).body;
  } catch (error) {
    if (error instanceof APIError && error.status === 401) return null;
    throw error;
  }
}

/**
 * Who is signed in, whatever the project: the user, or null when there is no (valid) session. Its
 * `role` is not the current project's: {@link useMe} has that.
 */
export function useSession() {
  return useQuery({
    queryKey: meKey(null),
    queryFn: () => fetchMe(null),
    staleTime: 60_000,
    // Asked without a session too: it is what says there is none.
    enabled: true,
  });
}

/**
 * Who is signed in, with their role in the current project (null: none there), which decides what
 * the UI offers; or null when there is no (valid) session. Outside a project, as {@link useSession}.
 */
export function useMe() {
  const project = useCurrentProject();
  return useQuery({
    queryKey: meKey(project),
    queryFn: () => fetchMe(project),
    staleTime: 60_000,
    // Asked without a session too: it is what says there is none.
    enabled: true,
  });
}

/** Whether the signed-in user is an organisation admin (manages users and projects). */
export function useIsOrgAdmin(): boolean {
  return useSession().data?.orgAdmin === true;
}

/** How people may sign in here (`GET /api/v1/auth/methods`): the password form, single sign-on, or both. */
export function useAuthMethods() {
  return useQuery({
    queryKey: ['auth-methods'],
    queryFn: () => api.get<AuthMethods>('/auth/methods'),
    staleTime: Number.POSITIVE_INFINITY,
    // The sign-in page asks before anyone is signed in.
    enabled: true,
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
      await queryClient.fetchQuery({ queryKey: meKey(null), queryFn: () => fetchMe(null) });
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
      queryClient.setQueryData(meKey(null), null);
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
export function hasRole(role: Role | null | undefined, minimum: Role): boolean {
  return role !== undefined && role !== null && ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** Whether the signed-in user may do what needs `minimum` in the current project, optionally in one environment. */
export function useCan(minimum: Role, environment?: string): boolean {
  const me = useMe().data;
  if (!me || !hasRole(me.role, minimum)) return false;
  return environment === undefined || me.environments === null || me.environments.includes(environment);
}
