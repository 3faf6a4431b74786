import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Dialog } from '../../components/common/Dialog';
import { EmptyState, ErrorBanner, Loading } from '../../components/common/Feedback';
import { KeyNameFields } from '../../components/common/KeyNameFields';
import { useProjectPath } from '../../components/layout/current-project';
import { FieldErrors } from '../../lib/field-errors';
import { relativeTime } from '../../lib/time';
import { useCan } from '../auth/authApi';
import { useCreateSegment, useSegments } from './segmentsApi';

/** Segments: reusable audiences. */
export function Segments() {
  const inProject = useProjectPath();
  const segments = useSegments();
  const canEdit = useCan('editor');
  const [creating, setCreating] = useState(false);
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Segments</h1>
          <p className="muted">
            Reusable audiences (staff, beta testers, EU customers) for flag rules in every environment.
          </p>
        </div>
        {canEdit && (
          <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
            + Create segment
          </button>
        )}
      </header>
      {segments.isPending && <Loading label="Loading segments…" />}
      <ErrorBanner error={segments.error} />
      {segments.isSuccess && segments.data.length === 0 && (
        <EmptyState title="No segments yet">
          A segment names an audience once, so rules can say “is in beta testers”.
        </EmptyState>
      )}
      {segments.isSuccess && segments.data.length > 0 && (
        <div className="card card-flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Segment</th>
                <th scope="col">Included</th>
                <th scope="col">Excluded</th>
                <th scope="col">Rules</th>
                <th scope="col">Last change</th>
              </tr>
            </thead>
            <tbody>
              {segments.data.map((segment) => (
                <tr key={segment.key}>
                  <td>
                    <Link
                      to={inProject(`/segments/${encodeURIComponent(segment.key)}`)}
                      className="flag-name"
                    >
                      {segment.name || segment.key}
                    </Link>
                    <div className="flag-meta">
                      <code>{segment.key}</code>
                      {segment.description && <span className="muted">{segment.description}</span>}
                    </div>
                  </td>
                  <td>{segment.included.length}</td>
                  <td>{segment.excluded.length}</td>
                  <td>{segment.rules.length}</td>
                  <td className="time-cell">{relativeTime(segment.updatedAt, new Date())}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewSegmentDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function NewSegmentDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const inProject = useProjectPath();
  const create = useCreateSegment();
  const navigate = useNavigate();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const errors = FieldErrors.of(create.error);
  const close = () => {
    create.reset();
    onClose();
  };
  return (
    <Dialog open={open} title="Create a segment" onClose={close}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            {
              key: key.trim(),
              ...(name.trim() ? { name: name.trim() } : {}),
              included: [],
              excluded: [],
              rules: [],
            },
            { onSuccess: (segment) => navigate(inProject(`/segments/${encodeURIComponent(segment.key)}`)) },
          );
        }}
      >
        <KeyNameFields
          errors={errors}
          autoFocus
          nameOptional
          keyInput={{
            label: 'Key',
            hint: 'a-z, 0-9, dot, dash, underscore.',
            placeholder: 'beta-testers',
            value: key,
            onChange: setKey,
          }}
          nameInput={{ label: 'Name', placeholder: 'Beta testers', value: name, onChange: setName }}
        />
        {create.error && errors.size === 0 && <ErrorBanner error={create.error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            Create segment
          </button>
        </div>
      </form>
    </Dialog>
  );
}
