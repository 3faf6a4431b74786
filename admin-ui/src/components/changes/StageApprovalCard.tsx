import { useState } from 'react';
import { Link } from 'react-router';
import { hasRole } from '../../app/auth/authApi';
import { useApproveStage } from '../../app/changes/changesApi';
import { describeReleaseStage } from '../../lib/describe';
import { formatDateTime, relativeTime } from '../../lib/time';
import type { Environment, Me, ReleaseApproval } from '../../types';
import { ActorName } from '../common/ActorName';
import { EnvBadge } from '../common/EnvBadge';
import { ErrorBanner } from '../common/Feedback';
import { useProjectPath } from '../layout/current-project';
import { ReviewBox } from './ReviewBox';

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * A release stage waiting for an approval, in the Changes inbox beside the change requests: which
 * flag, where, which stage ("Stage 2 of 4: canary — 5%"), since when, and — for an approver other
 * than the person who started the release — a comment box and Approve (the Release tab's call).
 */
export function StageApprovalCard({
  approval,
  me,
  env,
  envIndex,
}: {
  approval: ReleaseApproval;
  me: Me | null | undefined;
  env: Pick<Environment, 'key' | 'name'>;
  envIndex: number;
}) {
  const inProject = useProjectPath();
  const approve = useApproveStage();
  const [comment, setComment] = useState('');
  const { flag, environment, plan, stage } = approval;
  const stageText = describeReleaseStage(plan, stage);
  const mine = me != null && plan.createdBy.id === `${me.kind}:${me.id}`;
  const inScope = me?.environments == null || me.environments.includes(environment);
  const canApprove = !mine && inScope && hasRole(me?.role, 'approver');
  const releaseTab = `/flags/${encodeURIComponent(flag)}/${encodeURIComponent(environment)}?tab=release`;

  const run = () =>
    approve.mutate(
      { approval, environmentName: env.name, comment: comment.trim() || undefined },
      // The hook shows the toast: the refreshed inbox no longer lists this card.
      { onSuccess: () => setComment('') },
    );

  return (
    <li
      className="card change-request stage-approval"
      id={`stage-${flag}-${environment}`}
      data-testid="stage-approval"
    >
      <header className="change-request-head">
        <h3>
          Release of{' '}
          <Link to={inProject(releaseTab)} className="mono">
            {flag}
          </Link>
          : {capitalized(stageText)}
        </h3>
        <EnvBadge env={env} index={envIndex} />
        <span className="badge badge-pending">stage approval</span>
        <span className="muted">
          waiting since{' '}
          <time dateTime={approval.waitingSince} title={formatDateTime(approval.waitingSince)}>
            {relativeTime(approval.waitingSince, new Date())}
          </time>
        </span>
      </header>
      <p className="muted">
        Serves {plan.variation} · release started by{' '}
        <strong>
          <ActorName actor={plan.createdBy} />
        </strong>
      </p>
      <ErrorBanner error={approve.error} />
      {canApprove ? (
        <ReviewBox
          label="Approval comment"
          placeholder="e.g. canary error rate looks normal"
          comment={comment}
          onCommentChange={setComment}
        >
          <button type="button" className="button button-primary" disabled={approve.isPending} onClick={run}>
            Approve {stageText.split(':')[0]}
          </button>
        </ReviewBox>
      ) : (
        <p className="muted">
          {mine
            ? 'You started this release: someone else with the approver role approves its stages.'
            : `Waiting for someone with the approver role${inScope ? '' : ' in this environment'}.`}
        </p>
      )}
    </li>
  );
}
