import type { CSSProperties } from 'react';
import { useState } from 'react';
import { useDelivery } from '../../app/environments/environmentsApi';
import { requestedMessage, type ToggleInput, useToggle } from '../../app/flags/flagsApi';
import { checkApplyAt } from '../../lib/apply-at';
import { envColor, isProductionLike } from '../../lib/env-colors';
import { formatDateTime, relativeTime } from '../../lib/time';
import type { Environment, Flag, FlagConfig } from '../../types';
import { ApplyLater, applyAtErrors } from '../changes/ApplyLater';
import { ConfirmDialog } from '../common/Dialog';
import { ErrorBanner } from '../common/Feedback';
import { useToast } from '../common/Toasts';
import { StatusPill } from './StatusPill';

/**
 * The kill switch of one flag in one environment: a real switch (role `switch`, named after the
 * environment), one click, a confirmation in production, and when the SDKs got the change. Turning
 * on can be scheduled ("Turn on later…", or the production dialog); turning off never can: it is
 * always one click (plus the production confirmation) and immediate.
 */
export function KillSwitch({
  flag,
  config,
  env,
  envIndex,
  canEdit,
  pending,
  onToggled,
}: {
  flag: Flag;
  config: FlagConfig;
  env: Environment;
  envIndex: number;
  canEdit: boolean;
  /** The signed-in person's pending change request here: a turn-on is added to it. */
  pending?: { id: number; proposed: Pick<FlagConfig, 'enabled'> };
  onToggled?: (before: FlagConfig, after: FlagConfig) => void;
}) {
  const toggle = useToggle(flag.key);
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const [comment, setComment] = useState('');
  const [later, setLater] = useState('');
  const [laterError, setLaterError] = useState<string>();
  const next = !config.enabled;
  /** Turning on here waits for a second person: it is a request, not a switch. */
  const requesting = next && env.requireApproval;
  const turnOnRequested = !config.enabled && pending?.proposed.enabled === true;
  const close = () => {
    setConfirming(false);
    setLater('');
    setLaterError(undefined);
  };
  /** Toggles now, or — only when turning on — at the `datetime-local` time `at` (empty: now). */
  const run = (at: string) => {
    const reason = comment.trim() || undefined;
    let input: ToggleInput = { env: env.key, enabled: false, comment: reason };
    if (next) {
      const check = checkApplyAt(at, new Date());
      if (!check.ok) {
        setLaterError(check.error);
        return;
      }
      input = { env: env.key, enabled: true, comment: reason, applyAt: check.applyAt };
    }
    toggle.mutate(input, {
      onSuccess: (result) => {
        close();
        setComment('');
        if (result.kind === 'requested') {
          toast('info', requestedMessage(result.changeRequest, result.merged));
          return;
        }
        toast('success', `${flag.name} is now ${result.config.enabled ? 'on' : 'off'} in ${env.name}`);
        onToggled?.(config, result.config);
      },
      onError: (error) =>
        toast('error', `Could not turn ${next ? 'on' : 'off'} in ${env.name}: ${error.message}`),
    });
  };
  return (
    <div className="kill-switch" style={{ '--env': envColor(env.key, envIndex) } as CSSProperties}>
      <button
        type="button"
        role="switch"
        aria-checked={config.enabled}
        aria-label={`Flag on in ${env.name}`}
        className="switch"
        disabled={!canEdit || toggle.isPending}
        title={canEdit ? undefined : 'Needs the editor role'}
        onClick={() => (isProductionLike(env) ? setConfirming(true) : run(''))}
      >
        <span className="switch-thumb" aria-hidden="true" />
      </button>
      <div className="kill-switch-text">
        <span className="kill-switch-state">
          {config.enabled ? 'On' : 'Off'} in <strong>{env.name}</strong>
        </span>
        <StatusPill config={config} />
        {canEdit && next && !env.requireApproval && (
          <button
            type="button"
            className="button button-ghost"
            aria-haspopup="dialog"
            disabled={toggle.isPending}
            onClick={() => setConfirming(true)}
          >
            Turn on later…
          </button>
        )}
        {turnOnRequested && pending && (
          <span className="badge badge-pending">turn-on requested in #{pending.id}</span>
        )}
        {canEdit && requesting && !turnOnRequested && (
          <button
            type="button"
            className="button button-ghost"
            aria-haspopup="dialog"
            disabled={toggle.isPending}
            onClick={() => setConfirming(true)}
          >
            {pending ? `Add turn-on to request #${pending.id}…` : 'Request to turn on…'}
          </button>
        )}
      </div>
      <DeliveryStatus envKey={env.key} />
      <ErrorBanner error={toggle.error} />
      <ConfirmDialog
        open={confirming}
        title={
          requesting
            ? `Request to turn ${flag.name} on in ${env.name}?`
            : `Turn ${flag.name} ${next ? 'on' : 'off'} in ${env.name}?`
        }
        confirmLabel={
          requesting && pending
            ? `Add to change request #${pending.id}`
            : requesting
              ? 'Request to turn on'
              : next && later !== ''
                ? `Schedule for ${env.name}`
                : next
                  ? `Turn on in ${env.name}`
                  : `Turn off in ${env.name}`
        }
        danger={!next}
        busy={toggle.isPending}
        onConfirm={() => run(next ? later : '')}
        onCancel={() => {
          // A refused time belongs to this dialog: it goes with it.
          if (applyAtErrors(undefined, toggle.error).length > 0) toggle.reset();
          close();
        }}
      >
        <p>
          {requesting && pending
            ? `${env.name} requires a second person's approval to turn a flag on: this is added to your pending change request #${pending.id}, and applies with it once approved. (Turning off never waits.)`
            : requesting
              ? `${env.name} requires a second person's approval to turn a flag on: this creates a change request, and the flag stays off until an approver approves it. (Turning off never waits.)`
              : next
                ? `Every SDK connected to ${env.name} starts serving this flag's targeting within a second${later !== '' ? ' of the time below' : ''}.`
                : `Every SDK connected to ${env.name} serves the off variation within a second.`}
        </p>
        {next && (
          <ApplyLater
            value={later}
            onChange={(value) => {
              setLater(value);
              setLaterError(undefined);
            }}
            errors={applyAtErrors(laterError, toggle.error)}
          />
        )}
        <div className="field">
          <label htmlFor="toggle-comment">Reason (kept in the audit log)</label>
          <input
            id="toggle-comment"
            value={comment}
            placeholder="e.g. incident #4711: checkout errors"
            onChange={(event) => setComment(event.target.value)}
          />
        </div>
        <ErrorBanner error={toggle.error} />
      </ConfirmDialog>
    </div>
  );
}

/** Revision, open SDK streams and when the last change went out to them. */
export function DeliveryStatus({ envKey }: { envKey: string }) {
  const delivery = useDelivery();
  const state = delivery.data?.find((item) => item.environment === envKey);
  if (delivery.isError) return <span className="delivery muted">Delivery status unavailable</span>;
  if (!state) return <span className="delivery muted">Checking SDK delivery…</span>;
  const sent = state.lastPublish;
  return (
    <div className="delivery" data-testid="delivery-status">
      <span className={`delivery-dot ${state.streams > 0 ? 'live' : ''}`} aria-hidden="true" />
      <span>
        {state.streams} SDK stream{state.streams === 1 ? '' : 's'} connected · revision {state.revision}
        {sent && sent.revision === state.revision ? (
          <>
            {' '}
            · delivered{' '}
            <time dateTime={sent.at} title={formatDateTime(sent.at)}>
              {relativeTime(sent.at, new Date())}
            </time>{' '}
            to {sent.streams} stream{sent.streams === 1 ? '' : 's'}
          </>
        ) : sent ? (
          ' · sending…'
        ) : (
          ' · no change sent since the server started'
        )}
      </span>
    </div>
  );
}
