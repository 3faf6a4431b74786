import { useId, useState } from 'react';
import { Link } from 'react-router';
import { hasRole } from '../../app/auth/authApi';
import { isAuthor, type ReviewAction, useReview } from '../../app/changes/changesApi';
import { useConfig } from '../../app/flags/flagsApi';
import { formatDateTime, relativeTime } from '../../lib/time';
import type { ChangeRequest, Environment, Me } from '../../types';
import { EnvBadge } from '../common/EnvBadge';
import { ErrorBanner } from '../common/Feedback';
import { useToast } from '../common/Toasts';
import { ConfigDiff } from './ConfigDiff';

const DONE: Record<ReviewAction, string> = {
  approve: 'approved',
  reject: 'rejected',
  withdraw: 'withdrawn',
  cancel: 'cancelled',
};

/** What a request asks for, in a few words. */
function summary(request: ChangeRequest): string {
  if (request.kind === 'toggle') return `Turn ${request.proposed.enabled ? 'on' : 'off'}`;
  return 'Change targeting';
}

/**
 * One open change request: what it changes (a diff against the current config), who asked and why,
 * and what the signed-in person may do with it — approve or reject (an approver who is not the
 * author), withdraw (the author), cancel a scheduled one (the author or an admin).
 */
export function ChangeRequestCard({
  request,
  me,
  env,
  envIndex,
}: {
  request: ChangeRequest;
  me: Me | null | undefined;
  env: Pick<Environment, 'key' | 'name'>;
  envIndex: number;
}) {
  const id = useId();
  const current = useConfig(request.flag, request.environment);
  const review = useReview();
  const toast = useToast();
  const [comment, setComment] = useState('');
  const mine = isAuthor(me, request);
  const inScope = me?.environments == null || me.environments.includes(request.environment);
  const canReview = request.state === 'pending' && !mine && inScope && hasRole(me?.role, 'approver');
  const canCancel = request.state === 'scheduled' && (mine || hasRole(me?.role, 'admin'));
  const moved = current.data !== undefined && current.data.version !== request.baseVersion;

  const run = (action: ReviewAction) =>
    review.mutate(
      { id: request.id, action, comment: comment.trim() || undefined },
      {
        onSuccess: (after) => {
          setComment('');
          toast(
            'success',
            after.state === 'applied'
              ? `Change request #${request.id} approved and applied`
              : after.state === 'scheduled' && action === 'approve'
                ? `Change request #${request.id} approved; it applies ${formatDateTime(after.applyAt ?? '')}`
                : `Change request #${request.id} ${DONE[action]}`,
          );
        },
        onError: (error) => toast('error', error.message),
      },
    );

  return (
    <li className="card change-request" id={`change-${request.id}`} data-state={request.state}>
      <header className="change-request-head">
        <h3>
          #{request.id} · {summary(request)} of{' '}
          <Link to={`/flags/${encodeURIComponent(request.flag)}/${request.environment}`} className="mono">
            {request.flag}
          </Link>
        </h3>
        <EnvBadge env={env} index={envIndex} />
        <span className={`badge badge-${request.state === 'pending' ? 'pending' : 'muted'}`}>
          {request.state}
        </span>
        <span className="muted">
          by <strong>{request.author.name}</strong>
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
          Approved by <strong>{request.reviewer.name}</strong>
          {request.reviewComment && `: “${request.reviewComment}”`}
        </p>
      )}
      {moved && (
        <p className="banner banner-warning">
          The config changed since this was proposed (now version {current.data?.version}, proposed against
          version {request.baseVersion}): approving it will fail with a conflict.
        </p>
      )}
      {current.data ? (
        <ConfigDiff before={current.data} after={request.proposed} />
      ) : (
        <ErrorBanner error={current.error} />
      )}
      <ErrorBanner error={review.error} />
      {canReview && (
        <div className="change-request-review">
          <div className="field">
            <label htmlFor={`${id}-comment`}>Review comment</label>
            <input
              id={`${id}-comment`}
              value={comment}
              maxLength={1000}
              placeholder="e.g. checked with the payments team"
              onChange={(event) => setComment(event.target.value)}
            />
          </div>
          <div className="change-request-actions">
            <button
              type="button"
              className="button button-primary"
              disabled={review.isPending}
              onClick={() => run('approve')}
            >
              Approve
            </button>
            <button
              type="button"
              className="button"
              disabled={review.isPending}
              onClick={() => run('reject')}
            >
              Reject
            </button>
          </div>
        </div>
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
