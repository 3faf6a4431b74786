import { Link } from 'react-router';
import { describeChange, isAuthor, OPEN_STATES, useChangeRequests } from '../../app/changes/changesApi';
import { describeOperations } from '../../lib/describe';
import { formatDateTime } from '../../lib/time';
import type { Me, Variation } from '../../types';
import { ActorName } from '../common/ActorName';
import { useProjectPath } from '../layout/current-project';

/**
 * On the flag page: the change requests of this flag in this environment (and flag-level ones this
 * environment gates) that are still open, so that a save answered with 202 reads as "waiting for
 * approval", not as saved. A config request lists every change it holds: the signed-in person's own
 * request gathers all their saves and turn-ons here until it is approved.
 */
export function OpenChangesBanner({
  flag,
  environment,
  variations = [],
  me,
}: {
  flag: string;
  environment: string;
  variations?: readonly Variation[];
  me?: Pick<Me, 'kind' | 'id'> | null;
}) {
  const inProject = useProjectPath();
  const open = useChangeRequests({ flag, environment, states: OPEN_STATES });
  if (!open.data || open.data.length === 0) return null;
  return (
    <div className="banner banner-info open-changes" role="status" data-testid="open-changes">
      <ul>
        {open.data.map((request) => {
          const steps =
            request.kind === 'config' || request.kind === 'toggle'
              ? describeOperations(request.operations ?? [], { variations, rules: request.proposed.rules })
              : [];
          return (
            <li key={request.id}>
              <strong>
                {isAuthor(me, request) ? 'Your change request' : 'Change request'} #{request.id}
              </strong>{' '}
              {request.state === 'pending'
                ? '— waiting for approval'
                : `— scheduled for ${formatDateTime(request.applyAt ?? '')}`}{' '}
              <span className="muted">
                ({describeChange(request).toLowerCase()}
                {request.environment === null && ' in all environments'}, by{' '}
                <ActorName actor={request.author} />)
              </span>{' '}
              <Link to={inProject(`/changes#change-${request.id}`)}>Review</Link>
              {steps.length > 0 && (
                <ul className="compact-list" aria-label={`Changes in request #${request.id}`}>
                  {steps.map((step, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: the list is rebuilt whole, never reordered.
                    <li key={index}>{step}</li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
