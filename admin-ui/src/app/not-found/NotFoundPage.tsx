import { useLocation } from 'react-router';
import { NotFound } from '../../components/common/NotFound';

/** What an unknown address shows (a mistyped or stale link), inside the signed-in frame. */
export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <NotFound title="Page not found">
      <p>
        Nothing in Ringflag lives at <code>{pathname}</code>. The link may be mistyped, or what it pointed to
        has moved.
      </p>
    </NotFound>
  );
}
