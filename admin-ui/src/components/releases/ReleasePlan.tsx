import { useMutation } from '@tanstack/react-query';
import { type CSSProperties, type FormEvent, useState } from 'react';
import { useCan, useMe } from '../../app/auth/authApi';
import {
  GUARD_DEFAULTS,
  type NewReleasePlan,
  type ReleasePlan as Plan,
  previewRelease,
  type ReleaseAction,
  type ReleaseOnTrip,
  type ReleasePreview,
  type ReleaseStage,
  releaseTemplate,
  useReleaseAction,
  useReleasePlan,
  useRingExposures,
  useStartRelease,
} from '../../app/releases/releasesApi';
import { describeServe } from '../../lib/describe';
import { formatPercent, weightOf } from '../../lib/rollout';
import { formatDateTime, relativeTime } from '../../lib/time';
import { variationLabel } from '../../lib/variation-colors';
import type { Environment, Flag, FlagConfig, Segment, Variation } from '../../types';
import { ActorName } from '../common/ActorName';
import { ConfirmDialog } from '../common/Dialog';
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
const stageRow: CSSProperties = {
  display: 'grid',
  gridTemplateColumns: '2rem minmax(8rem, 1fr) minmax(8rem, 1fr) 6rem 7rem auto auto',
  gap: '0.5rem',
  alignItems: 'center',
};

/** A rate (events per exposure, 0–1) as a percentage of exposures, rounded: 0.05 → "5%". */
export function ratePercent(rate: number): string {
  return formatPercent(Math.round(rate * 100_000));
}

/** A stage as people count it: "stage 2 of 4: canary". */
export function stageLabel(plan: { stages: readonly { name: string }[] }, index: number): string {
  const stage = plan.stages[index];
  return `stage ${index + 1} of ${plan.stages.length}${stage ? `: ${stage.name}` : ''}`;
}

/** What a guard trip does, in words. */
function onTripText(onTrip: ReleaseOnTrip, offLabel: string): string {
  return onTrip === 'revert'
    ? 'restores the config from before the plan'
    : `switches the flag off (everyone gets ${offLabel})`;
}

/** Where a config serves a variation to someone (a switched-off flag serves only its off variation). */
function servesVariation(config: FlagConfig, variation: string, variations: readonly Variation[]): string[] {
  const label = variationLabel(variations, variation);
  if (!config.enabled)
    return config.offVariation === variation ? [`the flag is off and serves ${label}`] : [];
  const found: string[] = [];
  const keys = config.targets.filter((t) => t.variation === variation).reduce((n, t) => n + t.keys.length, 0);
  if (keys > 0) found.push(`${keys} targeted key${keys === 1 ? '' : 's'}`);
  config.rules.forEach((rule, index) => {
    if (weightOf(rule.serve, variation) > 0) found.push(`rule ${index + 1} “${rule.name ?? rule.id}”`);
  });
  const rest = weightOf(config.fallthrough, variation);
  if (rest > 0) found.push(`${formatPercent(rest)} of everyone else`);
  return found;
}

/** What rolling back will do, for the confirmation. */
function rollbackText(plan: Plan, flag: Flag): { restores: string; warning: string | null } {
  if (plan.currentStage < 0) {
    return { restores: 'The plan has not served anyone yet: the config stays as it is.', warning: null };
  }
  if (!plan.before) {
    return {
      restores: "The plan's rules are removed and everyone else gets the off variation.",
      warning: null,
    };
  }
  const before = plan.before;
  const restores =
    `Restores the config from before the plan started (version ${before.version}): the flag ` +
    `${before.enabled ? 'on' : 'off'}, everyone else ${describeServe(before.fallthrough, flag.variations)}. ` +
    'Rules, targets and prerequisites changed since stay as they are; a flag switched off meanwhile stays off.';
  const serves = servesVariation(before, plan.variation, flag.variations);
  return {
    restores,
    warning:
      serves.length === 0
        ? null
        : `That config itself serves ${variationLabel(flag.variations, plan.variation)}: ${serves.join(', ')}.`,
  };
}

/** Whether the signed-in user is the one who created the plan (who may not approve it). */
function useIsCreator(plan: Plan | null | undefined): boolean {
  const me = useMe().data;
  if (!me || !plan) return false;
  return plan.createdBy.id === `${me.kind}:${me.id}`;
}

/**
 * The release tab of a flag in one environment: the plan as a row of stages (numbered from 1) with
 * the current one highlighted, exposures of the released variation per stage, the next advance, the
 * actions the user's role allows, the incident when the guard tripped, and a form to start a plan
 * from the template or custom stages, previewed before it starts.
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
  const [confirmRollback, setConfirmRollback] = useState(false);
  const [warnings, setWarnings] = useState<string[]>([]);
  const active = plan.state === 'running' || plan.state === 'paused';
  const next = plan.currentStage + 1;
  const gated = plan.stages[next]?.approval === true && !plan.approvals.some((a) => a.stage === next);
  const offLabel = variationLabel(flag.variations, plan.before?.offVariation ?? 'off');
  const rollback = rollbackText(plan, flag);

  const run = (name: ReleaseAction) =>
    action.mutate(
      { action: name, comment: comment || undefined },
      {
        onSuccess: (result) => {
          setComment('');
          setConfirmRollback(false);
          setWarnings('warnings' in result ? result.warnings : []);
          const where = result.currentStage >= 0 ? `, ${stageLabel(result, result.currentStage)}` : '';
          toast(
            'success',
            'summary' in result
              ? `Release ${STATE_LABEL[result.state]}: ${result.summary}`
              : `Release ${STATE_LABEL[result.state]}${where}`,
          );
        },
        onError: (error) => {
          setConfirmRollback(false);
          toast('error', error.message);
        },
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
          plan #{plan.id} by <ActorName actor={plan.createdBy} />, {relativeTime(plan.createdAt, new Date())}
        </span>
      </div>
      <div className="card-inner">
        {plan.incident && (
          <div className="banner banner-error" role="alert">
            <strong>
              Guard tripped {relativeTime(plan.incident.at, new Date())}:{' '}
              {plan.onTrip === 'revert'
                ? 'the config from before the plan was restored'
                : `the flag was switched off in ${env.name}`}
            </strong>
            <span>
              {plan.incident.events} “{plan.incident.event}” events over {plan.incident.exposures} exposures:
              rate {ratePercent(plan.incident.rate)} &gt; max {ratePercent(plan.incident.maxRate)}
            </span>
          </div>
        )}
        {warnings.length > 0 && (
          <div className="banner banner-warning" role="status" aria-label="Rollback warnings">
            <ul>
              {warnings.map((warning) => (
                <li key={warning}>{warning}</li>
              ))}
            </ul>
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
                  {index + 1}. {stage.name}
                </strong>
                <div>
                  {formatPercent(stage.percentage * 1000)}
                  {stage.segments ? ` + ${stage.segments.join(', ')}` : ''}
                </div>
                <div className="muted">
                  {stage.holdMinutes === undefined ? 'manual' : `hold ${stage.holdMinutes} min`}
                </div>
                {stage.approval && (
                  <div className="muted">
                    {approval ? (
                      <>
                        approved by <ActorName actor={approval.by} />
                      </>
                    ) : (
                      'needs approval'
                    )}
                  </div>
                )}
                {ringExposures !== undefined && <div className="muted">{ringExposures} exposures</div>}
              </li>
            );
          })}
        </ol>
        <p>
          {plan.currentStage >= 0 && active ? `In ${stageLabel(plan, plan.currentStage)}. ` : ''}
          {plan.currentStage < 0 && active ? 'Waiting for the first stage to be approved. ' : ''}
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
            Guard: trips when “{plan.guard.event}” exceeds {ratePercent(plan.guard.maxRate)} of exposures
            after {plan.guard.minExposures} exposures; a trip {onTripText(plan.onTrip, offLabel)}.
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
                  Approve stage {next + 1}
                </button>
              </>
            )}
            {canApprove && gated && isCreator && (
              <span className="muted">Another approver must approve stage {next + 1}.</span>
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
                  onClick={() => setConfirmRollback(true)}
                >
                  Roll back
                </button>
              </>
            )}
          </div>
        )}
      </div>
      <ConfirmDialog
        open={confirmRollback}
        title={`Roll back the release of ${flag.name}?`}
        confirmLabel="Roll back"
        danger
        busy={action.isPending}
        onConfirm={() => run('rollback')}
        onCancel={() => setConfirmRollback(false)}
      >
        <p>{rollback.restores}</p>
        {rollback.warning && <p className="banner banner-warning">{rollback.warning}</p>}
      </ConfirmDialog>
    </section>
  );
}

/** A stage as the custom stages editor holds it: numbers as typed, a key for the list. */
interface DraftStage {
  key: number;
  name: string;
  segments: string[];
  percentage: string;
  /** Minutes; empty = waits for a manual advance. */
  hold: string;
  approval: boolean;
}

let draftKeys = 0;
const draftOf = (stage: ReleaseStage): DraftStage => ({
  key: ++draftKeys,
  name: stage.name,
  segments: stage.segments ?? [],
  percentage: String(stage.percentage),
  hold: stage.holdMinutes === undefined ? '' : String(stage.holdMinutes),
  approval: stage.approval === true,
});
const stageOf = (draft: DraftStage): ReleaseStage => ({
  name: draft.name,
  ...(draft.segments.length > 0 ? { segments: draft.segments } : {}),
  percentage: Number(draft.percentage),
  ...(draft.hold.trim() === '' ? {} : { holdMinutes: Number(draft.hold) }),
  ...(draft.approval ? { approval: true } : {}),
});

/** Custom stages: add, remove, reorder; each with a name, segments, percentage, hold and approval. */
function StagesEditor({
  stages,
  segments,
  onChange,
}: {
  stages: DraftStage[];
  segments: Segment[];
  onChange: (stages: DraftStage[]) => void;
}) {
  const update = (index: number, patch: Partial<DraftStage>) =>
    onChange(stages.map((stage, i) => (i === index ? { ...stage, ...patch } : stage)));
  const move = (index: number, by: number) => {
    const next = [...stages];
    const [moved] = next.splice(index, 1);
    if (moved) next.splice(index + by, 0, moved);
    onChange(next);
  };
  return (
    <fieldset className="stages-editor">
      <legend>Stages (percentages never decrease)</legend>
      <ol
        style={{ listStyle: 'none', padding: 0, display: 'grid', gap: '0.5rem' }}
        aria-label="Custom stages"
      >
        {stages.map((stage, index) => {
          const n = index + 1;
          return (
            <li key={stage.key} style={stageRow}>
              <strong>{n}.</strong>
              <input
                aria-label={`Stage ${n} name`}
                required
                value={stage.name}
                onChange={(e) => update(index, { name: e.target.value })}
              />
              <select
                aria-label={`Stage ${n} segments`}
                multiple
                value={stage.segments}
                onChange={(e) =>
                  update(index, { segments: [...e.target.selectedOptions].map((o) => o.value) })
                }
              >
                {segments.map((s) => (
                  <option key={s.key} value={s.key}>
                    {s.name || s.key}
                  </option>
                ))}
              </select>
              <input
                aria-label={`Stage ${n} percentage`}
                type="number"
                min={0}
                max={100}
                step="any"
                required
                value={stage.percentage}
                onChange={(e) => update(index, { percentage: e.target.value })}
              />
              <input
                aria-label={`Stage ${n} hold (minutes)`}
                type="number"
                min={0}
                placeholder="manual"
                value={stage.hold}
                onChange={(e) => update(index, { hold: e.target.value })}
              />
              <label className="check-inline">
                <input
                  type="checkbox"
                  aria-label={`Stage ${n} needs approval`}
                  checked={stage.approval}
                  onChange={(e) => update(index, { approval: e.target.checked })}
                />{' '}
                approval
              </label>
              <span>
                <button
                  type="button"
                  className="button"
                  aria-label={`Move stage ${n} up`}
                  disabled={index === 0}
                  onClick={() => move(index, -1)}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="button"
                  aria-label={`Move stage ${n} down`}
                  disabled={index === stages.length - 1}
                  onClick={() => move(index, 1)}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="button"
                  aria-label={`Remove stage ${n}`}
                  disabled={stages.length === 1}
                  onClick={() => onChange(stages.filter((_, i) => i !== index))}
                >
                  ✕
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        className="button"
        onClick={() =>
          onChange([
            ...stages,
            draftOf({ name: `stage ${stages.length + 1}`, percentage: 100, holdMinutes: 60 }),
          ])
        }
      >
        Add stage
      </button>
    </fieldset>
  );
}

/** The preview of a plan before it starts: its warnings and what each stage serves. */
function PreviewPanel({
  preview,
  busy,
  onStart,
  onBack,
}: {
  preview: ReleasePreview;
  busy: boolean;
  onStart: () => void;
  onBack: () => void;
}) {
  return (
    <section aria-label="Release preview" className="release-preview">
      <h3>Before it starts</h3>
      {preview.warnings.length > 0 ? (
        <div className="banner banner-warning" role="alert">
          <ul>
            {preview.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="muted">Nothing in the current config needs attention.</p>
      )}
      <ol aria-label="Stages preview">
        {preview.stages.map((stage) => (
          <li key={stage.index}>
            <strong>{stageLabel(preview, stage.index)}</strong> ({formatPercent(stage.percentage * 1000)}
            {stage.approval ? ', needs approval' : ''}): <span className="muted">{stage.summary}</span>
          </li>
        ))}
      </ol>
      <div className="form-actions">
        <button type="button" className="button" onClick={onBack}>
          Change plan
        </button>
        <button type="button" className="button button-primary" disabled={busy} onClick={onStart}>
          Start release
        </button>
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
  const start = useStartRelease(flag, env);
  const candidates = flag.variations.filter((v) => v.id !== config?.offVariation);
  const [variation, setVariation] = useState(
    candidates.find((v) => v.value === true)?.id ?? candidates[0]?.id ?? '',
  );
  const [staff, setStaff] = useState<string[]>(segments.some((s) => s.key === 'staff') ? ['staff'] : []);
  const [hold, setHold] = useState(60);
  const [custom, setCustom] = useState<DraftStage[] | null>(null);
  const [guarded, setGuarded] = useState(false);
  const [guard, setGuard] = useState({
    event: '',
    maxPercent: GUARD_DEFAULTS.maxPercent,
    minExposures: GUARD_DEFAULTS.minExposures,
  });
  const [onTrip, setOnTrip] = useState<ReleaseOnTrip>('off');
  const [previewed, setPreviewed] = useState<{ body: string; preview: ReleasePreview } | null>(null);
  const preview = useMutation({
    mutationFn: (body: NewReleasePlan) => previewRelease(flag.key, env.key, body),
  });
  const offLabel = variationLabel(flag.variations, config?.offVariation ?? 'off');

  const body: NewReleasePlan = {
    variation,
    stages: custom ? custom.map(stageOf) : releaseTemplate(staff, hold),
    ...(guarded
      ? {
          guard: {
            event: guard.event,
            // The wire's rate is events per exposure; rounding keeps 0.07% exact.
            maxRate: Number((guard.maxPercent / 100).toFixed(5)),
            minExposures: guard.minExposures,
          },
          onTrip,
        }
      : {}),
  };
  // A preview stands only for the plan it was made for.
  const current = previewed && previewed.body === JSON.stringify(body) ? previewed.preview : null;

  const review = (event: FormEvent) => {
    event.preventDefault();
    const sent = JSON.stringify(body);
    preview.mutate(body, {
      onSuccess: (result) => setPreviewed({ body: sent, preview: result }),
    });
  };
  // The hook shows the toast: the started plan replaces this form.
  const confirm = () => start.mutate(body);

  return (
    <form className="card form" aria-label="New release plan" onSubmit={review}>
      <div className="card-inner">
        <h2>Start a release</h2>
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
        </div>
        <fieldset>
          <legend>Stages</legend>
          <label className="check-inline">
            <input
              type="radio"
              name="stages-kind"
              checked={custom === null}
              onChange={() => setCustom(null)}
            />{' '}
            Template: staff → 1% → 10% → 50% → 100%
          </label>
          <label className="check-inline">
            <input
              type="radio"
              name="stages-kind"
              checked={custom !== null}
              onChange={() => setCustom(releaseTemplate(staff, hold).map(draftOf))}
            />{' '}
            Custom stages
          </label>
        </fieldset>
        {custom === null ? (
          <div className="form-grid">
            <Field label="Staff segments" hint="Stage 1: these segments only (0% of everyone else).">
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
            <Field label="Hold per stage (minutes)" hint="0 means each stage waits for a manual advance.">
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
        ) : (
          <StagesEditor stages={custom} segments={segments} onChange={setCustom} />
        )}
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
            <Field
              label="Max error rate (% of exposures)"
              hint={`Events per 100 exposures of the released variation; default ${GUARD_DEFAULTS.maxPercent}%.`}
            >
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={0}
                  max={100}
                  step="any"
                  value={guard.maxPercent}
                  onChange={(e) => setGuard({ ...guard, maxPercent: Number(e.target.value) })}
                />
              )}
            </Field>
            <Field label="Min exposures" hint="Exposures in the stage before the guard may trip.">
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
            <Field label="When the guard trips">
              {(p) => (
                <select {...p} value={onTrip} onChange={(e) => setOnTrip(e.target.value as ReleaseOnTrip)}>
                  <option value="off">Switch the flag off (everyone gets {offLabel})</option>
                  <option value="revert">Restore the config from before the plan</option>
                </select>
              )}
            </Field>
          </div>
        )}
        <ErrorBanner error={preview.error ?? start.error} />
        {current ? (
          <PreviewPanel
            preview={current}
            busy={start.isPending}
            onStart={confirm}
            onBack={() => setPreviewed(null)}
          />
        ) : (
          <div className="form-actions">
            <button
              type="submit"
              className="button button-primary"
              disabled={preview.isPending || variation === ''}
            >
              Review and start
            </button>
          </div>
        )}
      </div>
    </form>
  );
}
