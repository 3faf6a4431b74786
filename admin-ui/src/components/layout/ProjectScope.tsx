import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useState } from 'react';
import { Link, Outlet, useParams } from 'react-router';
import { APIError, setApiProject } from '../../api';
import { useMe } from '../../app/auth/authApi';
import { ErrorBanner, Loading } from '../common/Feedback';
import { CurrentEnvProvider } from './current-env';
import { CurrentProjectProvider, rememberProject } from './current-project';
import { Shell } from './Shell';

/**
 * The first query-key segments of what belongs to the organisation or names its project itself (the
 * caller, projects, users, sign-in methods). Every other cached answer is of one project.
 */
const ORGANISATION_QUERIES = new Set(['me', 'projects', 'project', 'users', 'auth-methods']);

/** The project whose answers each query client holds. */
const cachedProject = new WeakMap<QueryClient, string>();

/**
 * Points the API at `project`. The project-scoped answers cached for another project are dropped
 * first (their keys do not name a project), so no page of one project ever shows another's data.
 */
function enterProject(client: QueryClient, project: string): void {
  if (cachedProject.get(client) !== project) {
    client.removeQueries({ predicate: (query) => !ORGANISATION_QUERIES.has(String(query.queryKey[0])) });
    cachedProject.set(client, project);
  }
  setApiProject(project);
}

/**
 * The pages of one project, `/p/{project}/…`: its API calls go to `/api/v1/projects/{project}/…`,
 * its links stay in it, and the frame shows it. The pages render only once the API points at the
 * project, and again from scratch when the URL names another.
 */
export function ProjectScope() {
  const { project = '' } = useParams();
  const queryClient = useQueryClient();
  const [active, setActive] = useState<string | null>(null);
  useLayoutEffect(() => {
    enterProject(queryClient, project);
    setActive(project);
  }, [queryClient, project]);
  // Leaving the project pages (to sign in again): calls are unscoped again.
  useEffect(() => () => setApiProject(null), []);
  if (active !== project) return null;
  return (
    <CurrentProjectProvider value={project}>
      <CurrentEnvProvider>
        <Shell>
          <ProjectGate project={project} />
        </Shell>
      </CurrentEnvProvider>
    </CurrentProjectProvider>
  );
}

/** The project's page, when the caller has a role in the project; else why not. */
function ProjectGate({ project }: { project: string }) {
  const me = useMe();
  const missing = me.error instanceof APIError && me.error.status === 404;
  const member = me.data !== undefined && me.data !== null && me.data.role !== null;
  useEffect(() => {
    if (member) rememberProject(project);
  }, [member, project]);
  if (me.isPending) return <Loading />;
  // No session any more: the sign-in redirect is on its way.
  if (me.data === null) return null;
  if (missing || me.data?.role === null) return <NoSuchProject project={project} />;
  if (me.isError) return <ErrorBanner error={me.error} title="Cannot reach Ringflag" />;
  return <Outlet />;
}

/** A project that does not exist, or that the caller has no role in (the server does not say which). */
function NoSuchProject({ project }: { project: string }) {
  return (
    <div className="page not-found" data-testid="not-found">
      <div className="empty">
        <div className="empty-icon" aria-hidden="true">
          ◌
        </div>
        <h1>{`No project "${project}"`}</h1>
        <div className="empty-body">
          <p>
            There is no such project, or you have no role in it. Pick one of your projects above; an
            organisation admin can add you to this one.
          </p>
          <p>
            <Link className="button button-primary" to="/">
              Go to your projects
            </Link>
          </p>
        </div>
      </div>
    </div>
  );
}
