import { useEffect } from 'react';
import { Link, useLocation } from 'react-router';
import { ChangeRequestCard } from '../../components/changes/ChangeRequestCard';
import { StageApprovalCard } from '../../components/changes/StageApprovalCard';
import { ActorName } from '../../components/common/ActorName';
import { EmptyState, ErrorBanner, Loading } from '../../components/common/Feedback';
import { useCurrentEnv } from '../../components/layout/current-env';
import { useProjectPath } from '../../components/layout/current-project';
import { describeConflict } from '../../lib/describe';
import { formatDateTime } from '../../lib/time';
import type { ChangeRequest } from '../../types';
import { useMe } from '../auth/authApi';
import { describeChange, subjectOf, useChangeRequests, useReleaseApprovals, whereOf } from './changesApi';

const CLOSED_SHOWN = 20;

/**
 * The pending-changes inbox: change requests and release stages waiting for approval, scheduled
 * changes, and recent outcomes.
 */
export function Changes() {
  const inProject = useProjectPath();
  const all = useChangeRequests();
  const stages = useReleaseApprovals();
  const me = useMe().data;
  const { environments, indexOf } = useCurrentEnv();
  const location = useLocation();
  const envOf = (key: string) => environments.find((e) => e.key === key) ?? { key, name: key };

  // `/changes#change-12` (from a flag page) scrolls to that request once the list is there.
  useEffect(() => {
    if (!all.data || location.hash === '') return;
    document.getElementById(location.hash.slice(1))?.scrollIntoView({ block: 'start' });
  }, [all.data, location.hash]);

  if (all.isPending) return <Loading label="Loading changes…" />;
  const items = all.data ?? [];
  const pending = items.filter((r) => r.state === 'pending');
  const scheduled = items.filter((r) => r.state === 'scheduled');
  const closed = items.filter((r) => r.state !== 'pending' && r.state !== 'scheduled').slice(0, CLOSED_SHOWN);
  const waitingStages = stages.data ?? [];
  const card = (request: ChangeRequest) => (
    <ChangeRequestCard
      key={request.id}
      request={request}
      me={me}
      environments={request.environments.map((key) => ({ env: envOf(key), index: indexOf(key) }))}
    />
  );

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Changes</h1>
          <p className="muted">
            Changes to environments that require approval, and release stages that need one, wait here for a
            second person; scheduled changes apply at their time.
          </p>
        </div>
      </header>
      <ErrorBanner error={all.error} />
      <ErrorBanner error={stages.error} />

      <section aria-labelledby="pending-title" className="changes-section">
        <h2 id="pending-title">Waiting for approval ({pending.length + waitingStages.length})</h2>
        {pending.length + waitingStages.length === 0 ? (
          <EmptyState title="Nothing waiting for approval" />
        ) : (
          <ul className="change-list">
            {pending.map(card)}
            {waitingStages.map((approval) => (
              <StageApprovalCard
                key={`${approval.flag}/${approval.environment}/${approval.stage}`}
                approval={approval}
                me={me}
                env={envOf(approval.environment)}
                envIndex={indexOf(approval.environment)}
              />
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="scheduled-title" className="changes-section">
        <h2 id="scheduled-title">Scheduled ({scheduled.length})</h2>
        {scheduled.length === 0 ? (
          <p className="muted">No scheduled changes.</p>
        ) : (
          <ul className="change-list">{scheduled.map(card)}</ul>
        )}
      </section>

      {closed.length > 0 && (
        <section aria-labelledby="closed-title" className="changes-section">
          <h2 id="closed-title">Recently closed</h2>
          <table className="closed-changes">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Flag or segment</th>
                <th scope="col">Environment</th>
                <th scope="col">Outcome</th>
                <th scope="col">By</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {closed.map((r) => (
                <tr key={r.id} data-state={r.state}>
                  <td>{r.id}</td>
                  <td>
                    <Link to={inProject(subjectOf(r).to)} className="mono">
                      {subjectOf(r).label}
                    </Link>
                    {r.kind !== 'config' && r.kind !== 'toggle' && (
                      <span className="muted"> — {describeChange(r).toLowerCase()}</span>
                    )}
                  </td>
                  <td>{r.environment === null ? whereOf(r) : envOf(r.environment).name}</td>
                  <td title={r.conflict ?? r.reviewComment ?? undefined}>
                    {r.state}
                    {r.conflicts && r.conflicts.length > 0 ? (
                      <ul className="compact-list muted" aria-label={`Conflicts of #${r.id}`}>
                        {r.conflicts.map((c) => (
                          <li key={`${c.path}:${c.message}`}>
                            {describeConflict(
                              c,
                              r.kind === 'config' || r.kind === 'toggle' ? r.proposed.rules : [],
                            )}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      r.conflict && <span className="muted"> — {r.conflict}</span>
                    )}
                  </td>
                  <td>
                    <ActorName actor={r.author} />
                    {r.reviewer && (
                      <span className="muted">
                        {' '}
                        → <ActorName actor={r.reviewer} />
                      </span>
                    )}
                  </td>
                  <td>{formatDateTime(r.appliedAt ?? r.reviewedAt ?? r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
