import { useId, useState } from 'react';
import { APIError } from '../../api';
import type { ConfigChangeRequest } from '../../app/changes/changesApi';
import { requestedMessage, useSaveConfig } from '../../app/flags/flagsApi';
import { checkApplyAt } from '../../lib/apply-at';
import { describeConfigChange } from '../../lib/describe';
import { diffJson } from '../../lib/diff';
import { isProductionLike } from '../../lib/env-colors';
import { FieldErrors } from '../../lib/field-errors';
import { valueText, variationLabel } from '../../lib/variation-colors';
import type { Environment, Flag, FlagConfig, Targeting } from '../../types';
import { ApplyLater, applyAtErrors } from '../changes/ApplyLater';
import { ConfirmDialog } from '../common/Dialog';
import { ErrorBanner } from '../common/Feedback';
import { describedBy, FieldMessages } from '../common/Field';
import { useToast } from '../common/Toasts';
import { FieldErrorsContext } from '../targeting/errors-context';
import { PrerequisitesEditor } from '../targeting/PrerequisitesEditor';
import { RulesEditor } from '../targeting/RulesEditor';
import { ServeEditor } from '../targeting/ServeEditor';
import { TargetsEditor } from '../targeting/TargetsEditor';
import { isBlueGreen, TrafficSplit } from './TrafficSplit';

/** The part of a config this editor changes. */
export function targetingOf(config: FlagConfig): Targeting {
  return {
    offVariation: config.offVariation,
    prerequisites: config.prerequisites,
    targets: config.targets,
    rules: config.rules,
    fallthrough: config.fallthrough,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Edits one environment's targeting as a draft: individual targets, rules, the default rule and the
 * off variation, saved in one PUT at the version it started from. Server errors land next to their
 * inputs by path. A toggle of the kill switch meanwhile does not lose the draft. The review dialog
 * (always in production, "Schedule…" elsewhere) can set a time to apply the change later. With the
 * signed-in person's pending change request here (`pending`), a save is added to it, and the editor
 * can show the draft: the live config with the request's changes applied (its `proposed`).
 */
export function TargetingEditor({
  flag,
  config,
  env,
  canEdit,
  segments,
  pending,
}: {
  flag: Flag;
  config: FlagConfig;
  env: Environment;
  canEdit: boolean;
  segments: readonly { key: string; name: string }[];
  /** The signed-in person's pending change request for this config, which saves here add to. */
  pending?: ConfigChangeRequest;
}) {
  const id = useId();
  const save = useSaveConfig(flag.key);
  const toast = useToast();
  const [showPending, setShowPending] = useState(false);
  // What the editor starts from: the live config, or the live config with the pending request applied.
  const source: FlagConfig =
    showPending && pending ? { ...config, ...targetingOf(pending.proposed) } : config;
  const [draft, setDraft] = useState(() => ({ base: source, targeting: targetingOf(source) }));
  const [reviewing, setReviewing] = useState(false);
  const [comment, setComment] = useState('');
  const [later, setLater] = useState('');
  const [laterError, setLaterError] = useState<string>();
  if (source.version !== draft.base.version || !same(targetingOf(source), targetingOf(draft.base))) {
    const dirtyNow = !same(draft.targeting, targetingOf(draft.base));
    if (!dirtyNow) setDraft({ base: source, targeting: targetingOf(source) });
    // Only the on/off state moved (the kill switch): keep the edits on the new version.
    else if (same(targetingOf(draft.base), targetingOf(source)))
      setDraft({ base: source, targeting: draft.targeting });
  }
  const dirty = !same(draft.targeting, targetingOf(draft.base));
  const conflict = draft.base.version !== config.version;
  const errors = FieldErrors.of(save.error);
  const set = (patch: Partial<Targeting>) =>
    setDraft((d) => ({ ...d, targeting: { ...d.targeting, ...patch } }));
  const t = draft.targeting;
  const offErrors = errors.at('offVariation');
  const changes = diffJson(targetingOf(draft.base), t);
  const described = describeConfigChange(targetingOf(draft.base), t, flag.variations);
  const asking = env.requireApproval
    ? pending
      ? `Add to change request #${pending.id}`
      : 'Request approval'
    : null;

  const closeReview = () => {
    setReviewing(false);
    setLater('');
    setLaterError(undefined);
  };
  /** Saves now, or at the `datetime-local` time `at` (empty: now); a bad time sends nothing. */
  const doSave = (at: string) => {
    const check = checkApplyAt(at, new Date());
    if (!check.ok) {
      setLaterError(check.error);
      return;
    }
    save.mutate(
      {
        env: env.key,
        version: draft.base.version,
        enabled: config.enabled,
        targeting: t,
        comment: comment.trim() || undefined,
        applyAt: check.applyAt,
      },
      {
        onSuccess: (result) => {
          closeReview();
          setComment('');
          if (result.kind === 'requested') {
            // Nothing changed yet: the proposal now lives in the change request, not in this draft.
            setDraft({ base: source, targeting: targetingOf(source) });
            toast('info', requestedMessage(result.changeRequest, result.merged));
            return;
          }
          setDraft({ base: result.config, targeting: targetingOf(result.config) });
          toast('success', `Saved targeting in ${env.name}`);
        },
        // A refused time is fixed in the dialog, next to its input; anything else shows on the form.
        onError: (error) => {
          if (applyAtErrors(undefined, error).length === 0) closeReview();
        },
      },
    );
  };
  const discard = () => {
    save.reset();
    setDraft({ base: source, targeting: targetingOf(source) });
  };

  return (
    <FieldErrorsContext.Provider value={errors}>
      {isBlueGreen(flag) && (
        <TrafficSplit
          flag={flag}
          config={config}
          env={env}
          canEdit={canEdit}
          blocked={dirty ? 'Save or discard the changes below before shifting traffic.' : undefined}
        />
      )}
      <form
        className="targeting"
        aria-label={`Targeting in ${env.name}`}
        onSubmit={(event) => {
          event.preventDefault();
          if (isProductionLike(env)) setReviewing(true);
          else doSave('');
        }}
      >
        <fieldset disabled={!canEdit} className="plain">
          <legend className="visually-hidden">Targeting in {env.name}</legend>
          {save.error && (
            <ErrorBanner
              error={save.error}
              title={
                save.error instanceof APIError && save.error.status === 412
                  ? 'Someone changed this config meanwhile'
                  : undefined
              }
            />
          )}
          {pending && (
            <div className="banner banner-info pending-draft" data-testid="pending-draft">
              <span>
                {showPending ? (
                  <>
                    Showing the live targeting with your pending change request #{pending.id} applied. Saving
                    adds your edits to it; to drop one of its changes, withdraw the request.
                  </>
                ) : (
                  <>
                    Showing the live targeting. Your change request #{pending.id} is waiting for approval;
                    saving adds to it.
                  </>
                )}
              </span>{' '}
              <button
                type="button"
                className="link-button"
                disabled={dirty}
                title={dirty ? 'Save or discard your edits first' : undefined}
                onClick={() => setShowPending((shown) => !shown)}
              >
                {showPending ? 'Show live targeting' : `Show with request #${pending.id} applied`}
              </button>
            </div>
          )}
          {conflict && (
            <p className="banner banner-warning">
              This config changed (now version {config.version}) while you were editing version{' '}
              {draft.base.version}.{' '}
              <button type="button" className="link-button" onClick={discard}>
                Discard my changes and reload
              </button>
            </p>
          )}

          <section className="card" aria-labelledby={`${id}-targets`}>
            <header className="card-header">
              <div>
                <h3 id={`${id}-targets`}>Individual targets</h3>
                <p className="muted">Context keys listed here get their variation before any rule.</p>
              </div>
            </header>
            <TargetsEditor
              targets={t.targets}
              variations={flag.variations}
              onChange={(targets) => set({ targets })}
            />
          </section>

          <section className="card" aria-labelledby={`${id}-rules`}>
            <header className="card-header">
              <div>
                <h3 id={`${id}-rules`}>Rules</h3>
                <p className="muted">Checked in order; the first rule whose conditions all match serves.</p>
              </div>
            </header>
            <RulesEditor
              rules={t.rules}
              variations={flag.variations}
              offVariation={t.offVariation}
              segments={segments}
              onChange={(rules) => set({ rules })}
            />
          </section>

          <section className="card" aria-labelledby={`${id}-default`} data-testid="default-rule">
            <header className="card-header">
              <div>
                <h3 id={`${id}-default`}>Default rule</h3>
                <p className="muted">Everyone else, while the flag is on.</p>
              </div>
            </header>
            <ServeEditor
              serve={t.fallthrough}
              variations={flag.variations}
              path="fallthrough"
              label="Serve"
              onChange={(fallthrough) => set({ fallthrough })}
            />
          </section>

          <section className="card card-row" aria-labelledby={`${id}-off`}>
            <div>
              <h3 id={`${id}-off`}>When off</h3>
              <p className="muted">
                What everyone gets while the kill switch is off or a prerequisite fails.
              </p>
            </div>
            <div className="field field-inline">
              <label htmlFor={`${id}-off-variation`}>Serve</label>
              <select
                id={`${id}-off-variation`}
                value={t.offVariation}
                onChange={(event) => set({ offVariation: event.target.value })}
                {...describedBy(`${id}-off-errors`, offErrors)}
              >
                {flag.variations.map((v) => (
                  <option key={v.id} value={v.id}>
                    {variationLabel(flag.variations, v.id)} ({valueText(v.value)})
                  </option>
                ))}
              </select>
              <FieldMessages id={`${id}-off-errors`} errors={offErrors} />
            </div>
          </section>

          <section className="card" aria-labelledby={`${id}-prereq`}>
            <header className="card-header">
              <div>
                <h3 id={`${id}-prereq`}>Prerequisites</h3>
                <p className="muted">
                  Other flags that must serve a given variation in {env.name}; if one does not, this flag
                  serves its off variation.
                </p>
              </div>
            </header>
            <PrerequisitesEditor
              flagKey={flag.key}
              prerequisites={t.prerequisites}
              onChange={(prerequisites) => set({ prerequisites })}
            />
          </section>
        </fieldset>

        {canEdit && dirty && (
          <section className="save-bar" aria-label="Unsaved changes">
            <span>
              Unsaved changes to <strong>{env.name}</strong> ({changes.length} field
              {changes.length === 1 ? '' : 's'})
            </span>
            <button type="button" className="button button-ghost" onClick={discard}>
              Discard
            </button>
            {!isProductionLike(env) && (
              <button
                type="button"
                className="button"
                aria-haspopup="dialog"
                disabled={save.isPending}
                onClick={() => setReviewing(true)}
              >
                Schedule…
              </button>
            )}
            <button type="submit" className="button button-primary" disabled={save.isPending}>
              {save.isPending ? 'Saving…' : (asking ?? 'Save changes')}
            </button>
          </section>
        )}
      </form>
      <ConfirmDialog
        open={reviewing}
        title={
          env.requireApproval && pending
            ? `Add these changes to your change request #${pending.id}?`
            : env.requireApproval
              ? `Ask for approval of these changes to ${env.name}?`
              : `Save these changes to ${env.name}?`
        }
        confirmLabel={asking ? asking : later !== '' ? `Schedule for ${env.name}` : `Save to ${env.name}`}
        busy={save.isPending}
        onConfirm={() => doSave(later)}
        onCancel={() => {
          // A refused time belongs to this dialog: it goes with it.
          if (applyAtErrors(undefined, save.error).length > 0) save.reset();
          closeReview();
        }}
      >
        <p>
          {env.requireApproval && pending
            ? `${env.name} requires a second person's approval: these changes join your pending change request #${pending.id} (a change to the same field replaces the earlier one), and nothing changes until an approver approves it.`
            : env.requireApproval
              ? `${env.name} requires a second person's approval: this creates a change request, and nothing changes until an approver approves it.`
              : later !== ''
                ? `This creates a scheduled change: SDKs connected to ${env.name} apply it at that time.`
                : `SDKs connected to ${env.name} apply them within a second.`}
        </p>
        <ul className="compact-list" aria-label="Changes to save">
          {described.map((line, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the list is rebuilt whole, never reordered.
            <li key={index}>{line}</li>
          ))}
        </ul>
        <div className="field">
          <label htmlFor={`${id}-comment`}>
            {env.requireApproval
              ? 'Why (shown to the reviewer and kept in the audit log)'
              : 'Why (kept in the audit log)'}
          </label>
          <input
            id={`${id}-comment`}
            value={comment}
            maxLength={1000}
            placeholder="e.g. open the beta to EU customers"
            onChange={(event) => setComment(event.target.value)}
          />
        </div>
        <ApplyLater
          value={later}
          onChange={(value) => {
            setLater(value);
            setLaterError(undefined);
          }}
          errors={applyAtErrors(laterError, save.error)}
        />
      </ConfirmDialog>
    </FieldErrorsContext.Provider>
  );
}
