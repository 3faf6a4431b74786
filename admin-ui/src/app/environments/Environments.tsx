import { type CSSProperties, useId, useState } from 'react';
import { ConfirmDialog } from '../../components/common/Dialog';
import { ErrorBanner, Loading, ReadOnlyNote } from '../../components/common/Feedback';
import { Field } from '../../components/common/Field';
import { Icon } from '../../components/common/Icon';
import { KeyNameFields } from '../../components/common/KeyNameFields';
import { useToast } from '../../components/common/Toasts';
import { move } from '../../components/targeting/RulesEditor';
import { envColor } from '../../lib/env-colors';
import { FieldErrors } from '../../lib/field-errors';
import type { Environment } from '../../types';
import { useCan, useMe } from '../auth/authApi';
import {
  useCreateEnvironment,
  useEnvironments,
  useReorderEnvironments,
  useUpdateEnvironment,
} from './environmentsApi';

/** The origins typed into the box, one per line (commas work too), without blanks. */
export function parseOrigins(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
}

/**
 * Environment settings: the pipeline order, each environment's name, whether changes there need a
 * second person's approval, and the browser origins its client keys answer; and new environments.
 * Everyone may look; changes are for admins (the server refuses anyone else).
 */
export function Environments() {
  const environments = useEnvironments();
  const me = useMe().data;
  const isAdmin = useCan('admin');
  const reorder = useReorderEnvironments();
  const toast = useToast();
  const items = environments.data ?? [];

  const moveBy = (index: number, delta: number) => {
    const order = move(
      items.map((env) => env.key),
      index,
      delta,
    );
    reorder.mutate(order, {
      onSuccess: (next) => toast('success', `Pipeline order: ${next.map((env) => env.name).join(' → ')}`),
      onError: (error) => toast('error', error.message),
    });
  };

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Environments</h1>
          <p className="muted">
            In pipeline order: a change usually goes from the first to the last, and flag pages compare and
            promote in this order.
          </p>
        </div>
      </header>
      {me && !isAdmin && <ReadOnlyNote role={me.role} needs="admin" />}
      {environments.isPending && <Loading />}
      <ErrorBanner error={environments.error} />
      <ol className="environment-list">
        {items.map((env, index) => (
          <li key={env.key}>
            <EnvironmentCard
              env={env}
              index={index}
              count={items.length}
              canEdit={isAdmin}
              moving={reorder.isPending}
              onMove={(delta) => moveBy(index, delta)}
            />
          </li>
        ))}
      </ol>
      {isAdmin && <NewEnvironmentForm />}
    </div>
  );
}

function EnvironmentCard({
  env,
  index,
  count,
  canEdit,
  moving,
  onMove,
}: {
  env: Environment;
  index: number;
  count: number;
  canEdit: boolean;
  moving: boolean;
  onMove: (delta: number) => void;
}) {
  const id = useId();
  const update = useUpdateEnvironment();
  const approval = useUpdateEnvironment();
  const toast = useToast();
  const [name, setName] = useState(env.name);
  const [origins, setOrigins] = useState(env.corsOrigins.join('\n'));
  const [asking, setAsking] = useState(false);
  const [comment, setComment] = useState('');
  const errors = FieldErrors.of(update.error);
  const changes = {
    ...(name.trim() !== env.name ? { name: name.trim() } : {}),
    ...(JSON.stringify(parseOrigins(origins)) !== JSON.stringify(env.corsOrigins)
      ? { corsOrigins: parseOrigins(origins) }
      : {}),
  };
  const dirty = Object.keys(changes).length > 0;
  const turningOff = env.requireApproval;

  const closeApproval = () => {
    setAsking(false);
    setComment('');
    approval.reset();
  };

  return (
    <section
      className="card environment-card"
      aria-labelledby={`${id}-title`}
      style={{ '--env': envColor(env.key, index) } as CSSProperties}
    >
      <header className="card-header">
        <div>
          <h2 id={`${id}-title`}>
            <span className="env-dot" aria-hidden="true" /> {env.name}
          </h2>
          <p className="muted">
            <code>{env.key}</code> · stage {index + 1} of {count}
            {env.requireApproval ? ' · approval required' : ''}
          </p>
        </div>
        {canEdit && (
          <div className="rule-actions">
            <button
              type="button"
              className="icon-button"
              aria-label={`Move ${env.name} earlier`}
              disabled={index === 0 || moving}
              onClick={() => onMove(-1)}
            >
              <Icon name="up" />
            </button>
            <button
              type="button"
              className="icon-button"
              aria-label={`Move ${env.name} later`}
              disabled={index === count - 1 || moving}
              onClick={() => onMove(1)}
            >
              <Icon name="down" />
            </button>
          </div>
        )}
      </header>

      <div className="card-row">
        <div>
          <h3 id={`${id}-approval`}>Approval</h3>
          <p className="muted">
            {env.requireApproval
              ? `Changes that alter what ${env.name} serves wait for someone else with the approver role. Turning this off is itself a sensitive change: only admins may, it applies at once, and it is kept in the audit log with your reason.`
              : `Changes to ${env.name} apply at once. Require approval to have a second person approve each change that alters what ${env.name} serves.`}
          </p>
        </div>
        <button
          type="button"
          role="switch"
          className="switch"
          aria-checked={env.requireApproval}
          aria-label={`Approval required in ${env.name}`}
          disabled={!canEdit || approval.isPending}
          onClick={() => setAsking(true)}
        >
          <span className="switch-thumb" aria-hidden="true" />
        </button>
      </div>

      <form
        className="form"
        aria-label={`Settings of ${env.name}`}
        onSubmit={(event) => {
          event.preventDefault();
          if (!dirty) return;
          update.mutate(
            { key: env.key, ...changes },
            {
              onSuccess: (saved) => {
                setName(saved.name);
                setOrigins(saved.corsOrigins.join('\n'));
                toast('success', `Saved ${saved.name}`);
              },
            },
          );
        }}
      >
        <fieldset disabled={!canEdit} className="plain">
          <legend className="visually-hidden">Settings of {env.name}</legend>
          <Field label="Name" errors={errors.at('name')}>
            {(p) => <input {...p} required value={name} onChange={(event) => setName(event.target.value)} />}
          </Field>
          <Field
            label="Allowed browser origins"
            errors={errors.at('corsOrigins', 'origin')}
            hint={
              <>
                One per line, like <code>https://app.example.com</code> (scheme, host and port, no path), or{' '}
                <code>*</code> for any. Browsers on these origins may call Ringflag with this environment's
                client keys; none listed means no browser may.
              </>
            }
          >
            {(p) => (
              <textarea
                {...p}
                className="mono"
                rows={Math.max(2, parseOrigins(origins).length + 1)}
                value={origins}
                placeholder="https://app.example.com"
                onChange={(event) => setOrigins(event.target.value)}
              />
            )}
          </Field>
          {update.error && errors.size === 0 && <ErrorBanner error={update.error} />}
          {canEdit && (
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={!dirty || update.isPending}>
                {update.isPending ? 'Saving…' : `Save ${env.name}`}
              </button>
            </div>
          )}
        </fieldset>
      </form>

      <ConfirmDialog
        open={asking}
        title={turningOff ? `Turn approval off in ${env.name}?` : `Require approval in ${env.name}?`}
        confirmLabel={turningOff ? 'Turn approval off' : 'Require approval'}
        danger={turningOff}
        busy={approval.isPending}
        onCancel={closeApproval}
        onConfirm={() =>
          approval.mutate(
            {
              key: env.key,
              requireApproval: !env.requireApproval,
              ...(comment.trim() ? { comment: comment.trim() } : {}),
            },
            {
              onSuccess: (saved) => {
                closeApproval();
                toast(
                  'success',
                  saved.requireApproval
                    ? `${saved.name} now requires approval`
                    : `${saved.name} no longer requires approval`,
                );
              },
            },
          )
        }
      >
        {turningOff ? (
          <p>
            From now on, changes to {env.name} apply at once, without a second person. Change requests already
            waiting there still wait for an approver. This is recorded in the audit log.
          </p>
        ) : (
          <p>
            Every change that would alter what {env.name} serves becomes a change request that someone else
            with the approver role approves. Changes scheduled there without a review go back to waiting for
            one.
          </p>
        )}
        <div className="field">
          <label htmlFor={`${id}-comment`}>Why (kept in the audit log)</label>
          <input
            id={`${id}-comment`}
            value={comment}
            maxLength={1000}
            placeholder={turningOff ? 'e.g. the release freeze is over' : 'e.g. customers use it now'}
            onChange={(event) => setComment(event.target.value)}
          />
        </div>
        <ErrorBanner error={approval.error} />
      </ConfirmDialog>
    </section>
  );
}

function NewEnvironmentForm() {
  const create = useCreateEnvironment();
  const toast = useToast();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [requireApproval, setRequireApproval] = useState(false);
  const errors = FieldErrors.of(create.error);
  return (
    <form
      className="card form"
      aria-label="New environment"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate(
          { key: key.trim(), name: name.trim(), requireApproval },
          {
            onSuccess: (env) => {
              toast('success', `Created ${env.name}: every flag is off there`);
              setKey('');
              setName('');
              setRequireApproval(false);
            },
          },
        );
      }}
    >
      <h3>New environment</h3>
      <p className="muted">It joins the end of the pipeline, with every flag off.</p>
      <div className="form-grid">
        <KeyNameFields
          errors={errors}
          keyInput={{
            label: 'Key',
            hint: 'a-z, 0-9, dash, underscore; it cannot change later.',
            placeholder: 'eu-production',
            value: key,
            onChange: setKey,
          }}
          nameInput={{
            label: 'Environment name',
            placeholder: 'EU production',
            value: name,
            onChange: setName,
          }}
        />
      </div>
      <div className="checks">
        <label>
          <input
            type="checkbox"
            checked={requireApproval}
            onChange={(event) => setRequireApproval(event.target.checked)}
          />
          Require approval (four eyes) for changes here
        </label>
      </div>
      {create.error && errors.size === 0 && <ErrorBanner error={create.error} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create environment'}
        </button>
      </div>
    </form>
  );
}
