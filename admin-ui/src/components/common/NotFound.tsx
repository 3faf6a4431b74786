import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useProjectPath } from '../layout/current-project';

/**
 * The UI's own "not found": a heading that says what is missing, why that may be, and the way back.
 *
 * @example
 * <NotFound title={`No flag "${key}"`} back={{ to: '/flags', label: 'All flags' }} />
 */
export function NotFound({
  title,
  children,
  back = { to: '/flags', label: 'Go to flags' },
}: {
  title: string;
  children?: ReactNode;
  back?: { to: string; label: string };
}) {
  const inProject = useProjectPath();
  return (
    <div className="page not-found" data-testid="not-found">
      <div className="empty">
        <div className="empty-icon" aria-hidden="true">
          ◌
        </div>
        <h1>{title}</h1>
        <div className="empty-body">
          {children}
          <p>
            <Link className="button button-primary" to={inProject(back.to)}>
              {back.label}
            </Link>
          </p>
        </div>
      </div>
    </div>
  );
}
