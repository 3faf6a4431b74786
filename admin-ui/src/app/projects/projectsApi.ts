import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Project, ProjectMember, Role } from '../../types';

const enc = encodeURIComponent;

/**
 * The projects the caller may see, by key, with their role in each (org admins: every project, as
 * admin); the archived ones instead with `archived`.
 */
export function useProjects({ archived = false, enabled }: { archived?: boolean; enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ['projects', { archived }],
    queryFn: async () =>
      (await api.get<{ items: Project[] }>('/projects', archived ? { archived: true } : undefined)).items,
    staleTime: 60_000,
    // Off when told so; else as every query (asked only with a session).
    ...(enabled === false ? { enabled } : {}),
  });
}

/** One project, with the caller's role in it (a 404 when there is none or it does not exist). */
export function useProject(key: string) {
  return useQuery({
    queryKey: ['project', key],
    queryFn: () => api.get<Project>(`/projects/${enc(key)}`),
    staleTime: 60_000,
  });
}

/** Creates a project (org admins); it starts with development, staging and production. */
export function useCreateProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { key: string; name: string }) => api.post<Project>('/projects', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['projects'] }),
  });
}

/** Renames (project admins), archives or unarchives (org admins) a project. */
export function useUpdateProject(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: { name?: string; archived?: boolean }) =>
      api.patch<Project>(`/projects/${enc(key)}`, changes),
    onSuccess: (project) => {
      queryClient.setQueryData(['project', key], project);
      return queryClient.invalidateQueries({ queryKey: ['projects'] });
    },
  });
}

const membersKey = (key: string) => ['project', key, 'members'] as const;

/** Who has a role in the project (org admins are admins everywhere and are not listed). */
export function useMembers(key: string) {
  return useQuery({
    queryKey: membersKey(key),
    queryFn: async () => (await api.get<{ items: ProjectMember[] }>(`/projects/${enc(key)}/members`)).items,
  });
}

/** Gives a user a role in the project, or takes it away (`role: null`); project admins only. */
export function useSetMember(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ userId, role }: { userId: number; role: Role | null }) => {
      const path = `/projects/${enc(key)}/members/${userId}`;
      return (
        await (role === null
          ? api.delete<{ items: ProjectMember[] }>(path)
          : api.put<{ items: ProjectMember[] }>(path, { role }))
      ).items;
    },
    onSuccess: (members) => {
      queryClient.setQueryData(membersKey(key), members);
      // Each user's list of projects, and the caller's own role if they changed it.
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: ['users'] }),
        queryClient.invalidateQueries({ queryKey: ['me'] }),
        queryClient.invalidateQueries({ queryKey: ['projects'] }),
      ]);
    },
  });
}
