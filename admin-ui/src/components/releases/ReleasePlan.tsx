import { type CSSProperties, type FormEvent, useState } from 'react';
import { useCan, useMe } from '../../app/auth/authApi';
import {
  type ReleasePlan as Plan,
  type ReleaseAction,
  releaseTemplate,
  useReleaseAction,
  useReleasePlan,
  useRingExposures,
  useStartRelease,
} from '../../app/releases/releasesApi';
import { formatDateTime, relativeTime } from '../../lib/time';
import { variationLabel } from '../../lib/variation-colors';
import type { Environment, Flag, FlagConfig, Segment } from '../../types';
import { ErrorBanner, Loading } from '../common/Feedback';
import { Field } from '../common/Field';
import { useToast } from '../common/Toasts';

const STATE_LABEL: Record<Plan['state'], string> = {
  running: 'running',
  paused: 'paused',
  completed: 'completed',
  rolled_back: 'rolled back',
};

const ringRow: CSSProperties = {
  display: 'flex',
  gap: '0.5rem',
  flexWrap: 'wrap',
  listStyle: 'none',
  padding: 0,
};
const ringStyle = (current: boolean, done: boolean): CSSProperties => ({
  flex: '1 1 8rem',
  border: current ? '2px solid var(--env, #4c6ef5)' : '1px solid #d0d5dd',
  borderRadius: '0.5rem',
  padding: '0.5rem 0.75rem',
  background: current ? 'rgba(76, 110, 245, 0.08)' : done ? '#f6f8fa' : 'transparent',
});

/** Whether the signed-in user is the one who created the plan (who may not approve it). */
function useIsCreator(plan: Plan | null | undefined): boolean {
  const me = useMe().data;
  if (!me || !plan) return false;
  return plan.createdBy.id === `${me.kind}:${me.id}`;
}

/**
 * The release tab of a flag in one environment: the plan as a row of rings with the current one
 * highlighted, exposures of the released variation per ring, the next advance, the actions the
 * user's role allows, the incident when the guard tripped, and a form to start a plan from the
 * staff → 1% → 10% → 50% → 100% template.
 */
export function ReleasePlan({
  flag,
  env,
  config,
  segments,
}: {
  flag: Flag;
  env: Environment;
  config: FlagConfig | undefined;
  segments: Segment[];
}) {
  const plan = useReleasePlan(flag.key, env.key);
  const canEdit = useCan('editor', env.key);
  if (plan.isPending) return <Loading label="Loading release plan…" />;
  if (plan.isError) return <ErrorBanner error={plan.error} />;
  const active = plan.data && (plan.data.state === 'running' || plan.data.state === 'paused');
  return (
    <div className="release">
      {plan.data && <PlanCard flag={flag} env={env} plan={plan.data} />}
      {!plan.data && <p className="muted">No release plan for this flag in {env.name} yet.</p>}
      {!active && canEdit && <NewPlanForm flag={flag} env={env} config={config} segments={segments} />}
    </div>
  );
}

function PlanCard({ flag, env, plan }: { flag: Flag; env: Environment; plan: Plan }) {
  const canEdit = useCan('editor', env.key);
  const canApprove = useCan('approver', env.key);
  const isCreator = useIsCreator(plan);
  const exposures = useRingExposures(plan);
  const action = useReleaseAction(flag.key, env.key);
  const toast = useToast();
  const [comment, setComment] = useState('');
  const active = plan.state === 'running' || plan.state === 'paused';
  const next = plan.currentStage + 1;
  const gated = plan.stages[next]?.approval === true && !plan.approvals.some((a) => a.stage === next);

  const run = (name: ReleaseAction) =>
    action.mutate(
      { action: name, comment: comment || undefined },
      {
        onSuccess: (result) => {
          setComment('');
          toast(
            'success',
            `Release ${STATE_LABEL[result.state]}, stage ${result.currentStage + 1} of ${result.stages.length}`,
          );
        },
        onError: (error) => toast('error', error.message),
      },
    );

  return (
    <section className="card" aria-label="Release plan">
      <div className="card-header">
        <h2>
          Releasing {variationLabel(flag.variations, plan.variation)}{' '}
          <span className={plan.state === 'rolled_back' ? 'badge badge-stale' : 'badge badge-ok'}>
            {STATE_LABEL[plan.state]}
          </span>
        </h2>
        <span className="muted">
          plan #{plan.id} by {plan.createdBy.name}, {relativeTime(plan.createdAt, new Date())}
        </span>
      </div>
      <div className="card-inner">
        {plan.incident && (
          <div className="banner banner-error" role="alert">
            <strong>Guard tripped: rolled back {relativeTime(plan.incident.at, new Date())}</strong>
            <span>
              {plan.incident.events} “{plan.incident.event}” events over {plan.incident.exposures} exposures:
              rate {(plan.incident.rate * 100).toFixed(2)}% &gt; max{' '}
              {(plan.incident.maxRate * 100).toFixed(2)}%
            </span>
          </div>
        )}
        <ol style={ringRow} aria-label="Rings">
          {plan.stages.map((stage, index) => {
            const current = index === plan.currentStage;
            const approval = plan.approvals.find((a) => a.stage === index);
            const ringExposures = exposures.data?.get(index);
            return (
              <li
                key={stage.name}
                style={ringStyle(current, index < plan.currentStage)}
                aria-current={current ? 'step' : undefined}
              >
                <strong>
                  {index}. {stage.name}
                </strong>
                <div>
                  {stage.percentage}%{stage.segments ? ` + ${stage.segments.join(', ')}` : ''}
                </div>
                <div className="muted">
                  {stage.holdMinutes === undefined ? 'manual' : `hold ${stage.holdMinutes} min`}
                </div>
                {stage.approval && (
                  <div className="muted">
                    {approval ? `approved by ${approval.by.name}` : 'needs approval'}
                  </div>
                )}
                {ringExposures !== undefined && <div className="muted">{ringExposures} exposures</div>}
              </li>
            );
          })}
        </ol>
        <p>
          {plan.currentStage < 0 ? 'Waiting for the first stage to be approved. ' : ''}
          {plan.nextAdvanceAt
            ? `Next advance ${relativeTime(plan.nextAdvanceAt, new Date())} (${formatDateTime(plan.nextAdvanceAt)}).`
            : active && gated
              ? 'The next stage waits for an approval.'
              : active
                ? 'The next stage waits for a manual advance.'
                : ''}
        </p>
        {plan.guard && (
          <p className="muted">
            Guard: rolls back when “{plan.guard.event}” exceeds {(plan.guard.maxRate * 100).toFixed(2)}% of
            exposures after {plan.guard.minExposures} exposures.
          </p>
        )}
        <ErrorBanner error={action.error} />
        {active && (canEdit || canApprove) && (
          <div className="form-actions">
            {canApprove && gated && !isCreator && (
              <>
                <input
                  aria-label="Approval comment"
                  placeholder="Approval comment"
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                />
                <button
                  type="button"
                  className="button button-primary"
                  disabled={action.isPending}
                  onClick={() => run('approve')}
                >
                  Approve stage {next}
                </button>
              </>
            )}
            {canApprove && gated && isCreator && (
              <span className="muted">Another approver must approve stage {next}.</span>
            )}
            {canEdit && (
              <>
                <button
                  type="button"
                  className="button"
                  disabled={action.isPending || gated}
                  onClick={() => run('advance')}
                >
                  Advance
                </button>
                {plan.state === 'running' ? (
                  <button
                    type="button"
                    className="button"
                    disabled={action.isPending}
                    onClick={() => run('pause')}
                  >
                    Pause
                  </button>
                ) : (
                  <button
                    type="button"
                    className="button"
                    disabled={action.isPending}
                    onClick={() => run('resume')}
                  >
                    Resume
                  </button>
                )}
                <button
                  type="button"
                  className="button button-danger"
                  disabled={action.isPending}
                  onClick={() => run('rollback')}
                >
                  Roll back
                </button>
              </>
            )}
          </div>
        )}
      </div>
    </section>
  );
}

function NewPlanForm({
  flag,
  env,
  config,
  segments,
}: {
  flag: Flag;
  env: Environment;
  config: FlagConfig | undefined;
  segments: Segment[];
}) {
  const start = useStartRelease(flag.key, env.key);
  const toast = useToast();
  const candidates = flag.variations.filter((v) => v.id !== config?.offVariation);
  const [variation, setVariation] = useState(
    candidates.find((v) => v.value === true)?.id ?? candidates[0]?.id ?? '',
  );
  const [staff, setStaff] = useState<string[]>(segments.some((s) => s.key === 'staff') ? ['staff'] : []);
  const [hold, setHold] = useState(60);
  const [guarded, setGuarded] = useState(false);
  const [guard, setGuard] = useState({ event: '', maxRate: 5, minExposures: 500 });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.mutate(
      {
        variation,
        stages: releaseTemplate(staff, hold),
        ...(guarded
          ? { guard: { event: guard.event, maxRate: guard.maxRate / 100, minExposures: guard.minExposures } }
          : {}),
      },
      {
        onSuccess: () => toast('success', `Release of ${flag.name} started in ${env.name}`),
        onError: (error) => toast('error', error.message),
      },
    );
  };

  return (
    <form className="card form" aria-label="New release plan" onSubmit={submit}>
      <div className="card-inner">
        <h2>Start a release: staff → 1% → 10% → 50% → 100%</h2>
        {env.requireApproval && (
          <p className="banner banner-info">
            {env.name} requires approval: the first stage waits for an approver.
          </p>
        )}
        <div className="form-grid">
          <Field label="Variation to release">
            {(p) => (
              <select {...p} value={variation} onChange={(e) => setVariation(e.target.value)}>
                {candidates.map((v) => (
                  <option key={v.id} value={v.id}>
                    {variationLabel(flag.variations, v.id)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Staff segments" hint="The first ring: these segments only (0% of everyone else).">
            {(p) => (
              <select
                {...p}
                multiple
                value={staff}
                onChange={(e) => setStaff([...e.target.selectedOptions].map((o) => o.value))}
              >
                {segments.map((s) => (
                  <option key={s.key} value={s.key}>
                    {s.name || s.key}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Hold per ring (minutes)" hint="0 means each ring waits for a manual advance.">
            {(p) => (
              <input
                {...p}
                type="number"
                min={0}
                value={hold}
                onChange={(e) => setHold(Number(e.target.value))}
              />
            )}
          </Field>
        </div>
        <label className="check-inline">
          <input type="checkbox" checked={guarded} onChange={(e) => setGuarded(e.target.checked)} /> Guard the
          rollout
        </label>
        {guarded && (
          <div className="form-grid">
            <Field label="Error event">
              {(p) => (
                <input
                  {...p}
                  required
                  value={guard.event}
                  placeholder="checkout-error"
                  onChange={(e) => setGuard({ ...guard, event: e.target.value })}
                />
              )}
            </Field>
            <Field label="Max rate (% of exposures)">
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={0}
                  max={100}
                  step="any"
                  value={guard.maxRate}
                  onChange={(e) => setGuard({ ...guard, maxRate: Number(e.target.value) })}
                />
              )}
            </Field>
            <Field label="Min exposures">
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={1}
                  value={guard.minExposures}
                  onChange={(e) => setGuard({ ...guard, minExposures: Number(e.target.value) })}
                />
              )}
            </Field>
          </div>
        )}
        <ErrorBanner error={start.error} />
        <div className="form-actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={start.isPending || variation === ''}
          >
            Start release
          </button>
        </div>
      </div>
    </form>
  );
}
