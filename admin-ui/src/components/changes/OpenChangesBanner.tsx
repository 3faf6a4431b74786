import { Link } from 'react-router';
import { describeChange, OPEN_STATES, useChangeRequests } from '../../app/changes/changesApi';
import { formatDateTime } from '../../lib/time';

/**
 * On the flag page: the change requests of this flag in this environment (and flag-level ones this
 * environment gates) that are still open, so that a save answered with 202 reads as "waiting for
 * approval", not as saved.
 */
export function OpenChangesBanner({ flag, environment }: { flag: string; environment: string }) {
  const open = useChangeRequests({ flag, environment, states: OPEN_STATES });
  if (!open.data || open.data.length === 0) return null;
  return (
    <div className="banner banner-info open-changes" role="status" data-testid="open-changes">
      <ul>
        {open.data.map((request) => (
          <li key={request.id}>
            <strong>Change request #{request.id}</strong>{' '}
            {request.state === 'pending'
              ? '— waiting for approval'
              : `— scheduled for ${formatDateTime(request.applyAt ?? '')}`}{' '}
            <span className="muted">
              ({describeChange(request).toLowerCase()}
              {request.environment === null && ' in all environments'}, by {request.author.name})
            </span>{' '}
            <Link to={`/changes#change-${request.id}`}>Review</Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
