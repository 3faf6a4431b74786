import type { ReactNode } from 'react';
import { Link, NavLink, useNavigate } from 'react-router';
import { hasRole, useIsOrgAdmin, useLogout, useMe } from '../../app/auth/authApi';
import { useOpenChangeRequests, useReleaseApprovals } from '../../app/changes/changesApi';
import { useProject } from '../../app/projects/projectsApi';
import { Icon, type IconName } from '../common/Icon';
import { useToast } from '../common/Toasts';
import { useCurrentProject, useProjectPath } from './current-project';
import { ProjectSwitcher } from './ProjectSwitcher';

/** The pages of a project, by their path in it; `orgAdmin` ones are the organisation's. */
const NAV: {
  to: string;
  label: string;
  icon: IconName;
  admin?: boolean;
  editor?: boolean;
  orgAdmin?: boolean;
}[] = [
  { to: '/flags', label: 'Flags', icon: 'flag' },
  { to: '/segments', label: 'Segments', icon: 'segments' },
  { to: '/changes', label: 'Changes', icon: 'changes' },
  { to: '/audit', label: 'Audit log', icon: 'audit' },
  { to: '/environments', label: 'Environments', icon: 'environments' },
  { to: '/keys', label: 'SDK keys', icon: 'key', editor: true },
  { to: '/tokens', label: 'API tokens', icon: 'token', admin: true },
  { to: '/settings', label: 'Project settings', icon: 'settings' },
  { to: '/users', label: 'Users', icon: 'users', orgAdmin: true },
];

/**
 * The frame of every project's pages: the project switcher, the project's navigation, who am I (with
 * my role in this project), sign out.
 */
export function Shell({ children }: { children: ReactNode }) {
  const me = useMe().data;
  const orgAdmin = useIsOrgAdmin();
  const to = useProjectPath();
  const logout = useLogout();
  const navigate = useNavigate();
  const toast = useToast();
  const waiting =
    (useOpenChangeRequests().data?.filter((r) => r.state === 'pending').length ?? 0) +
    (useReleaseApprovals().data?.length ?? 0);
  const items = NAV.filter(
    (item) =>
      (!item.admin || hasRole(me?.role, 'admin')) &&
      (!item.editor || hasRole(me?.role, 'editor')) &&
      (!item.orgAdmin || orgAdmin),
  );
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>Ringflag</span>
        </div>
        <ProjectSwitcher />
        <nav aria-label="Main">
          <ul>
            {items.map((item) => (
              <li key={item.to}>
                <NavLink
                  to={to(item.to)}
                  className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}
                >
                  <span className="nav-icon">
                    <Icon name={item.icon} />
                  </span>
                  {item.label}
                  {item.to === '/changes' && waiting > 0 && (
                    <span className="nav-count" title={`${waiting} waiting for approval`}>
                      {waiting}
                    </span>
                  )}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        {me && (
          <div className="whoami">
            <div className="avatar" aria-hidden="true">
              {me.name.slice(0, 1).toUpperCase()}
            </div>
            <div className="whoami-text">
              <span className="whoami-name" title={me.name}>
                {me.name}
              </span>
              <span
                className={`role role-${me.role ?? 'none'}`}
                data-testid="my-role"
                title={orgAdmin ? 'Organisation admin: admin in every project' : 'Your role in this project'}
              >
                {me.role ?? 'no role'}
              </span>
            </div>
            {me.kind === 'user' && (
              <Link className="button button-ghost button-small" to={to('/account')}>
                Account
              </Link>
            )}
            <button
              type="button"
              className="button button-ghost button-small"
              onClick={() =>
                logout.mutate(undefined, {
                  onSuccess: () => navigate('/login'),
                  onError: (error) => toast('error', `Sign out failed: ${error.message}`),
                })
              }
            >
              Sign out
            </button>
          </div>
        )}
      </aside>
      <main className="content">
        <ArchivedNote />
        {children}
      </main>
    </div>
  );
}

/** Says so when the current project is archived: it serves its SDKs, but takes no changes. */
function ArchivedNote() {
  const project = useProject(useCurrentProject() ?? '');
  const to = useProjectPath();
  if (!project.data?.archived) return null;
  return (
    <p className="banner banner-warning archived-note">
      <span>
        <strong>{project.data.name}</strong> is archived: its SDK keys keep working, but it takes no changes
        until an organisation admin unarchives it in <Link to={to('/settings')}>project settings</Link>.
      </span>
    </p>
  );
}
