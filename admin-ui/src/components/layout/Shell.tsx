import type { ReactNode } from 'react';
import { Link, NavLink, useNavigate } from 'react-router';
import { hasRole, useLogout, useMe } from '../../app/auth/authApi';
import { useOpenChangeRequests, useReleaseApprovals } from '../../app/changes/changesApi';
import { Icon, type IconName } from '../common/Icon';
import { useToast } from '../common/Toasts';

const NAV: { to: string; label: string; icon: IconName; admin?: boolean; editor?: boolean }[] = [
  { to: '/flags', label: 'Flags', icon: 'flag' },
  { to: '/segments', label: 'Segments', icon: 'segments' },
  { to: '/changes', label: 'Changes', icon: 'changes' },
  { to: '/audit', label: 'Audit log', icon: 'audit' },
  { to: '/environments', label: 'Environments', icon: 'environments' },
  { to: '/keys', label: 'SDK keys', icon: 'key', editor: true },
  { to: '/tokens', label: 'API tokens', icon: 'token', admin: true },
  { to: '/users', label: 'Users', icon: 'users', admin: true },
];

/** The frame of every signed-in screen: sidebar navigation, who am I, sign out. */
export function Shell({ children }: { children: ReactNode }) {
  const me = useMe().data;
  const logout = useLogout();
  const navigate = useNavigate();
  const toast = useToast();
  const waiting =
    (useOpenChangeRequests().data?.filter((r) => r.state === 'pending').length ?? 0) +
    (useReleaseApprovals().data?.length ?? 0);
  const items = NAV.filter(
    (item) => (!item.admin || hasRole(me?.role, 'admin')) && (!item.editor || hasRole(me?.role, 'editor')),
  );
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>Ringflag</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {items.map((item) => (
              <li key={item.to}>
                <NavLink
                  to={item.to}
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
              <span className={`role role-${me.role}`} data-testid="my-role">
                {me.role}
              </span>
            </div>
            {me.kind === 'user' && (
              <Link className="button button-ghost button-small" to="/account">
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
      <main className="content">{children}</main>
    </div>
  );
}
