import { useId, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { APIError } from '../../api';
import { ConfirmDialog } from '../../components/common/Dialog';
import { EmptyState, ErrorBanner, Loading, ReadOnlyNote } from '../../components/common/Feedback';
import { Field } from '../../components/common/Field';
import { Icon } from '../../components/common/Icon';
import { NotFound } from '../../components/common/NotFound';
import { useToast } from '../../components/common/Toasts';
import { useProjectPath } from '../../components/layout/current-project';
import { ClauseEditor } from '../../components/targeting/ClauseEditor';
import { FieldErrorsContext } from '../../components/targeting/errors-context';
import { newClause } from '../../components/targeting/RulesEditor';
import { splitList } from '../../lib/context-form';
import { FieldErrors } from '../../lib/field-errors';
import type { Segment, SegmentRule } from '../../types';
import { useCan, useMe } from '../auth/authApi';
import { useDeleteSegment, useSaveSegment, useSegment, useSegmentUsage } from './segmentsApi';

/** One segment: included and excluded keys, rules, and where it is used. */
export function SegmentPage() {
  const inProject = useProjectPath();
  const { key = '' } = useParams();
  const segment = useSegment(key);
  if (segment.isPending) return <Loading label="Loading segment…" />;
  if (segment.isError && segment.error instanceof APIError && segment.error.status === 404) {
    return (
      <NotFound title={`No segment "${key}"`} back={{ to: '/segments', label: 'All segments' }}>
        <p>There is no segment with this key. It may have been deleted, or the link is mistyped.</p>
      </NotFound>
    );
  }
  if (segment.isError)
    return (
      <div className="page">
        <ErrorBanner error={segment.error} />
        <Link to={inProject('/segments')}>Back to segments</Link>
      </div>
    );
  return <SegmentEditor key={segment.data.version} segment={segment.data} />;
}

function SegmentEditor({ segment }: { segment: Segment }) {
  const inProject = useProjectPath();
  const id = useId();
  const me = useMe().data;
  const canEdit = useCan('editor');
  const save = useSaveSegment(segment.key);
  const remove = useDeleteSegment(segment.key);
  const usage = useSegmentUsage(segment.key);
  const toast = useToast();
  const navigate = useNavigate();
  const [name, setName] = useState(segment.name);
  const [description, setDescription] = useState(segment.description);
  const [included, setIncluded] = useState(segment.included.join('\n'));
  const [excluded, setExcluded] = useState(segment.excluded.join('\n'));
  const [rules, setRules] = useState<SegmentRule[]>(segment.rules);
  const [deleting, setDeleting] = useState(false);
  const errors = FieldErrors.of(save.error);

  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to={inProject('/segments')}>Segments</Link> <span aria-hidden="true">/</span>{' '}
        <span>{segment.name || segment.key}</span>
      </nav>
      <header className="page-header">
        <div>
          <h1>{segment.name || segment.key}</h1>
          <div className="flag-meta">
            <code>{segment.key}</code>
            <span className="muted">version {segment.version}</span>
          </div>
        </div>
        {canEdit && (
          <button type="button" className="button button-ghost danger" onClick={() => setDeleting(true)}>
            Delete segment
          </button>
        )}
      </header>
      {me && !canEdit && <ReadOnlyNote role={me.role} needs="editor" />}
      <FieldErrorsContext.Provider value={errors}>
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            // The hook says how it went: saving re-keys this editor, so no callback here would run.
            save.mutate({
              version: segment.version,
              name: name.trim() || segment.key,
              description,
              included: splitList(included),
              excluded: splitList(excluded),
              rules,
            });
          }}
        >
          <fieldset disabled={!canEdit} className="plain">
            <legend className="visually-hidden">Segment {segment.key}</legend>
            <ErrorBanner error={save.error} />
            <section className="card">
              <div className="form-grid">
                <Field label="Name" errors={errors.at('name')}>
                  {(p) => <input {...p} value={name} onChange={(event) => setName(event.target.value)} />}
                </Field>
                <Field label="Description" errors={errors.at('description')}>
                  {(p) => (
                    <input
                      {...p}
                      value={description}
                      onChange={(event) => setDescription(event.target.value)}
                    />
                  )}
                </Field>
              </div>
              <div className="form-grid">
                <Field
                  label="Included keys"
                  errors={errors.at('included')}
                  hint="Always in the segment. One per line or comma-separated."
                >
                  {(p) => (
                    <textarea
                      {...p}
                      rows={5}
                      className="mono"
                      value={included}
                      onChange={(event) => setIncluded(event.target.value)}
                    />
                  )}
                </Field>
                <Field
                  label="Excluded keys"
                  errors={errors.at('excluded')}
                  hint="Never in the segment, whatever the rules say."
                >
                  {(p) => (
                    <textarea
                      {...p}
                      rows={5}
                      className="mono"
                      value={excluded}
                      onChange={(event) => setExcluded(event.target.value)}
                    />
                  )}
                </Field>
              </div>
            </section>
            <section className="card" aria-labelledby={`${id}-rules`}>
              <header className="card-header">
                <div>
                  <h3 id={`${id}-rules`}>Rules</h3>
                  <p className="muted">A context matching any rule (all its conditions) is in the segment.</p>
                </div>
              </header>
              {rules.length === 0 && (
                <p className="muted">No rules: only the included keys are in the segment.</p>
              )}
              {rules.map((rule, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: segment rules may have no id.
                <div className="rule card-inner" key={i}>
                  <header className="rule-header">
                    <h4>Rule {i + 1}</h4>
                    <button
                      type="button"
                      className="icon-button danger"
                      aria-label={`Delete rule ${i + 1}`}
                      onClick={() => setRules(rules.filter((_, j) => j !== i))}
                    >
                      <Icon name="trash" />
                    </button>
                  </header>
                  {rule.clauses.map((clause, c) => (
                    <ClauseEditor
                      // biome-ignore lint/suspicious/noArrayIndexKey: clauses have no identity.
                      key={c}
                      clause={clause}
                      path={`rules[${i}].clauses[${c}]`}
                      label={c === 0 ? 'If' : 'and'}
                      name={`Rule ${i + 1}, condition ${c + 1}`}
                      segments={[]}
                      allowSegments={false}
                      onChange={(next) =>
                        setRules(
                          rules.map((r, j) =>
                            j === i ? { ...r, clauses: r.clauses.map((x, k) => (k === c ? next : x)) } : r,
                          ),
                        )
                      }
                      onRemove={
                        rule.clauses.length > 1
                          ? () =>
                              setRules(
                                rules.map((r, j) =>
                                  j === i ? { ...r, clauses: r.clauses.filter((_, k) => k !== c) } : r,
                                ),
                              )
                          : undefined
                      }
                    />
                  ))}
                  <button
                    type="button"
                    className="button button-small button-ghost"
                    onClick={() =>
                      setRules(
                        rules.map((r, j) => (j === i ? { ...r, clauses: [...r.clauses, newClause()] } : r)),
                      )
                    }
                  >
                    + Add condition
                  </button>
                </div>
              ))}
              <button
                type="button"
                className="button"
                onClick={() => setRules([...rules, { clauses: [newClause()] }])}
              >
                + Add rule
              </button>
            </section>
            {canEdit && (
              <div className="form-actions">
                <button type="submit" className="button button-primary" disabled={save.isPending}>
                  {save.isPending ? 'Saving…' : 'Save segment'}
                </button>
              </div>
            )}
          </fieldset>
        </form>
      </FieldErrorsContext.Provider>

      <section className="card" aria-labelledby={`${id}-usage`}>
        <h3 id={`${id}-usage`}>Where it is used</h3>
        {usage.isPending && <Loading />}
        <ErrorBanner error={usage.error} />
        {usage.isSuccess && usage.data.length === 0 && <EmptyState title="No flag rule uses this segment" />}
        {usage.isSuccess && usage.data.length > 0 && (
          <ul className="usage-list">
            {usage.data.map((use) => (
              <li key={`${use.flag}/${use.environment}`}>
                <Link to={inProject(`/flags/${encodeURIComponent(use.flag)}/${use.environment}`)}>
                  {use.flag}
                </Link>{' '}
                in <strong>{use.environment}</strong>:{' '}
                {use.rules
                  .map((rule) => `rule ${rule.index + 1}${rule.name ? ` “${rule.name}”` : ''}`)
                  .join(', ')}
              </li>
            ))}
          </ul>
        )}
      </section>
      <ConfirmDialog
        open={deleting}
        title={`Delete segment ${segment.key}?`}
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        onConfirm={() =>
          remove.mutate(undefined, {
            onSuccess: () => {
              toast('success', `Deleted segment ${segment.key}`);
              navigate(inProject('/segments'));
            },
          })
        }
        onCancel={() => {
          setDeleting(false);
          remove.reset();
        }}
      >
        <p>Flags that use it must stop first; the server refuses otherwise.</p>
        <ErrorBanner error={remove.error} />
      </ConfirmDialog>
    </div>
  );
}
