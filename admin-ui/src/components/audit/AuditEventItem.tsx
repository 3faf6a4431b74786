import type { CSSProperties } from 'react';
import { Link } from 'react-router';
import { envColor } from '../../lib/env-colors';
import { formatDateTime, relativeTime } from '../../lib/time';
import type { AuditEvent } from '../../types';
import { ConfigDiff } from '../changes/ConfigDiff';
import { ActorName } from '../common/ActorName';
import { useProjectPath } from '../layout/current-project';

const ACTIONS: Record<string, string> = {
  'flag.create': 'Created the flag',
  'flag.update': 'Changed the flag',
  'flag.archive': 'Archived the flag',
  'flag.unarchive': 'Restored the flag',
  'flag.config.update': 'Changed targeting',
  'flag.config.enable': 'Turned on',
  'flag.config.disable': 'Turned off',
  'change_request.create': 'Proposed a change',
  'change_request.update': 'Added to a change request',
  'change_request.approve': 'Approved a change',
  'change_request.reject': 'Rejected a change',
  'change_request.withdraw': 'Withdrew a change',
  'change_request.cancel': 'Cancelled a scheduled change',
  'change_request.conflict': 'Change conflicted',
  'segment.create': 'Created the segment',
  'segment.update': 'Changed the segment',
  'segment.delete': 'Deleted the segment',
  'environment.create': 'Created the environment',
  'environment.update': 'Changed the environment',
  'user.create': 'Created the user',
  'user.update': 'Changed the user',
  'user.password_reset': 'Reset a password',
  'user.password_change': 'Changed their own password',
  'sdk_key.create': 'Created an SDK key',
  'sdk_key.revoke': 'Revoked an SDK key',
  'api_token.create': 'Created an API token',
  'api_token.revoke': 'Revoked an API token',
  'auth.login': 'Signed in',
  'auth.logout': 'Signed out',
  'auth.login_failed': 'Failed sign-in',
  'auth.password_change_failed': 'Failed password change (wrong current password)',
  'auth.password_change_rate_limited': 'Password change refused: too many attempts',
};

/** Every action the server records, for the audit filter. */
export const KNOWN_ACTIONS = Object.keys(ACTIONS);

/** "Turned on", "Changed targeting"… or the action itself when unknown. */
export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}

/** One audit event: what, where, who, when, why, and what it changed in words. */
export function AuditEventItem({
  event,
  envIndex,
  showResource = true,
}: {
  event: AuditEvent;
  envIndex: (key: string) => number;
  showResource?: boolean;
}) {
  const inProject = useProjectPath();
  const env = event.resource.environment;
  return (
    <li className="audit-event" data-action={event.action}>
      <div className="audit-line">
        <span className={`audit-action action-${event.action.split('.').pop()}`}>
          {actionLabel(event.action)}
        </span>
        {showResource && (
          <span className="audit-resource">
            {event.resource.type === 'flag' ? (
              <Link to={inProject(`/flags/${encodeURIComponent(event.resource.key)}${env ? `/${env}` : ''}`)}>
                {event.resource.key}
              </Link>
            ) : event.resource.type === 'segment' ? (
              <Link to={inProject(`/segments/${encodeURIComponent(event.resource.key)}`)}>
                {event.resource.key}
              </Link>
            ) : (
              <span className="mono">
                {event.resource.type} {event.resource.key}
              </span>
            )}
          </span>
        )}
        {env && (
          <span className="env-badge" style={{ '--env': envColor(env, envIndex(env)) } as CSSProperties}>
            <span className="env-dot" aria-hidden="true" />
            {env}
          </span>
        )}
        <span className="audit-actor">
          by{' '}
          <strong>
            <ActorName actor={event.actor} />
          </strong>
          {event.actor.type !== 'user' && <span className="muted"> ({event.actor.type})</span>}
          {event.onBehalfOf && (
            <span className="muted">
              {' '}
              for <ActorName actor={event.onBehalfOf} />
            </span>
          )}
        </span>
        {event.changeRequestId && (
          <Link className="audit-change-request" to={inProject(`/changes#change-${event.changeRequestId}`)}>
            change #{event.changeRequestId}
          </Link>
        )}
        <time className="audit-time" dateTime={event.at} title={formatDateTime(event.at)}>
          {relativeTime(event.at, new Date())}
        </time>
      </div>
      {event.comment && <p className="audit-comment">“{event.comment}”</p>}
      <ConfigDiff before={event.before} after={event.after} label="Changes" empty={null} />
    </li>
  );
}
