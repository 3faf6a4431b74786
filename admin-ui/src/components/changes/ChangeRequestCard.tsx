import { useState } from 'react';
import { Link } from 'react-router';
import { hasRole } from '../../app/auth/authApi';
import {
  describeChange,
  isAuthor,
  type ReviewAction,
  subjectOf,
  useReview,
} from '../../app/changes/changesApi';
import { useConfig, useFlag as useFlagQuery } from '../../app/flags/flagsApi';
import { useSegment as useSegmentQuery } from '../../app/segments/segmentsApi';
import { formatDateTime, relativeTime } from '../../lib/time';
import type { ChangeRequest, Environment, Me } from '../../types';
import { ActorName } from '../common/ActorName';
import { EnvBadge } from '../common/EnvBadge';
import { ErrorBanner } from '../common/Feedback';
import { useProjectPath } from '../layout/current-project';
import { ConfigDiff } from './ConfigDiff';
import { ReviewBox } from './ReviewBox';

/** What the request would change now (the current config, flag or segment), to diff against. */
function useCurrent(request: ChangeRequest): {
  data?: { version: number };
  error: Error | null;
  noun: string;
} {
  const config = useConfig(request.flag ?? '', request.environment ?? '');
  const flag = useFlagQuery(request.environment === null ? (request.flag ?? '') : '');
  const segment = useSegmentQuery(request.segment ?? '');
  if (request.kind === 'segment') return { data: segment.data, error: segment.error, noun: 'segment' };
  if (request.environment === null) {
    // The flag as a proposal shows it: without its per-environment states.
    const { environments: _states, ...data } = flag.data ?? { environments: undefined };
    return { data: flag.data && (data as { version: number }), error: flag.error, noun: 'flag' };
  }
  return { data: config.data, error: config.error, noun: 'config' };
}

/**
 * One open change request: what it changes (its steps in words, or the difference from the current
 * config, flag or segment), who asked and why, and what the signed-in person may do with it —
 * approve or reject (an approver who is not the author), withdraw (the author), cancel a scheduled
 * one (the author or an admin).
 */
export function ChangeRequestCard({
  request,
  me,
  environments,
}: {
  request: ChangeRequest;
  me: Me | null | undefined;
  /** The environments it applies in, or — for a global change — those that gate it, with their index. */
  environments: { env: Pick<Environment, 'key' | 'name'>; index: number }[];
}) {
  const inProject = useProjectPath();
  const current = useCurrent(request);
  const subject = subjectOf(request);
  const review = useReview();
  const [comment, setComment] = useState('');
  const mine = isAuthor(me, request);
  const scope = me?.environments;
  const inScope = scope == null || request.environments.every((env) => scope.includes(env));
  const canReview = request.state === 'pending' && !mine && inScope && hasRole(me?.role, 'approver');
  const canCancel = request.state === 'scheduled' && (mine || hasRole(me?.role, 'admin'));
  const moved = current.data !== undefined && current.data.version !== request.baseVersion;
  // A config request is a list of steps, applied to the config as it is when approved.
  const stepwise = (request.kind === 'config' || request.kind === 'toggle') && request.operations?.length > 0;

  const run = (action: ReviewAction) =>
    review.mutate(
      {
        id: request.id,
        action,
        comment: comment.trim() || undefined,
        // What the reviewer sees is this revision: one its author changed since is refused.
        revision: action === 'approve' || action === 'reject' ? request.revision : undefined,
      },
      // The hook shows the toast: the refreshed inbox may no longer list this card.
      { onSuccess: () => setComment('') },
    );

  return (
    <li className="card change-request" id={`change-${request.id}`} data-state={request.state}>
      <header className="change-request-head">
        <h3>
          #{request.id} · {describeChange(request)} of{' '}
          <Link to={inProject(subject.to)} className="mono">
            {subject.label}
          </Link>
          {request.environment === null && <span className="muted"> in all environments</span>}
        </h3>
        {request.environment === null && <span className="muted">needs approval for</span>}
        {environments.map(({ env, index }) => (
          <EnvBadge key={env.key} env={env} index={index} />
        ))}
        <span className={`badge badge-${request.state === 'pending' ? 'pending' : 'muted'}`}>
          {request.state}
        </span>
        <span className="muted">
          by{' '}
          <strong>
            <ActorName actor={request.author} />
          </strong>
          {request.author.type !== 'user' && ` (${request.author.type})`}{' '}
          <time dateTime={request.createdAt} title={formatDateTime(request.createdAt)}>
            {relativeTime(request.createdAt, new Date())}
          </time>
        </span>
      </header>
      {request.applyAt && (
        <p className="muted">
          Applies at <time dateTime={request.applyAt}>{formatDateTime(request.applyAt)}</time>
          {request.state === 'pending' && ' once approved'}
        </p>
      )}
      {request.comment && <p className="audit-comment">“{request.comment}”</p>}
      {request.reviewer && (
        <p className="muted">
          Approved by{' '}
          <strong>
            <ActorName actor={request.reviewer} />
          </strong>
          {request.reviewComment && `: “${request.reviewComment}”`}
        </p>
      )}
      {moved && request.state === 'pending' && (
        <p className="banner banner-warning">
          The {current.noun} changed since this was proposed (now version {current.data?.version}, proposed
          against version {request.baseVersion}):{' '}
          {stepwise
            ? 'approving applies these changes to it as it is now; a change to a field that moved meanwhile conflicts.'
            : 'approving it will fail with a conflict.'}
        </p>
      )}
      {current.data ? (
        <ConfigDiff
          before={current.data}
          after={request.proposed}
          operations={request.operations}
          conflicts={request.conflicts}
        />
      ) : (
        <ErrorBanner error={current.error} />
      )}
      <ErrorBanner error={review.error} />
      {canReview && (
        <ReviewBox
          label="Review comment"
          placeholder="e.g. checked with the payments team"
          comment={comment}
          onCommentChange={setComment}
        >
          <button
            type="button"
            className="button button-primary"
            disabled={review.isPending}
            onClick={() => run('approve')}
          >
            Approve
          </button>
          <button type="button" className="button" disabled={review.isPending} onClick={() => run('reject')}>
            Reject
          </button>
        </ReviewBox>
      )}
      {request.state === 'pending' && mine && (
        <div className="change-request-actions">
          <span className="muted">You proposed this: someone else with the approver role approves it.</span>
          <button
            type="button"
            className="button"
            disabled={review.isPending}
            onClick={() => run('withdraw')}
          >
            Withdraw
          </button>
        </div>
      )}
      {request.state === 'pending' && !mine && !canReview && (
        <p className="muted">
          Waiting for someone with the approver role{inScope ? '' : ' in this environment'}.
        </p>
      )}
      {canCancel && (
        <div className="change-request-actions">
          <button type="button" className="button" disabled={review.isPending} onClick={() => run('cancel')}>
            Cancel scheduled change
          </button>
        </div>
      )}
    </li>
  );
}
