import { Navigate, useNavigate } from 'react-router';
import { EmptyState, ErrorBanner, Loading } from '../../components/common/Feedback';
import { projectHref, rememberedProject } from '../../components/layout/current-project';
import type { Project } from '../../types';
import { useLogout } from '../auth/authApi';
import { useProjects } from './projectsApi';

/**
 * The project `/` opens: the one this browser last worked in if the caller still sees it, else the
 * default project, else their first.
 */
export function chooseProject(projects: readonly Project[], remembered: string | null): Project | undefined {
  return (
    projects.find((project) => project.key === remembered) ??
    projects.find((project) => project.key === 'default') ??
    projects[0]
  );
}

/** `/`: the flags of the caller's project (see {@link chooseProject}). */
export function Home() {
  const projects = useProjects();
  const logout = useLogout();
  const navigate = useNavigate();
  if (projects.isPending) return <Loading label="Starting Ringflag…" />;
  if (projects.isError) return <ErrorBanner error={projects.error} title="Cannot reach Ringflag" />;
  const project = chooseProject(projects.data, rememberedProject());
  if (project) return <Navigate to={projectHref(project.key, '/flags')} replace />;
  return (
    <main className="page">
      <EmptyState title="You are in no project yet">
        <p>Each team's flags live in a project. Ask an organisation admin to add you to one.</p>
        <p>
          <button
            type="button"
            className="button"
            onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login') })}
          >
            Sign out
          </button>
        </p>
      </EmptyState>
    </main>
  );
}
