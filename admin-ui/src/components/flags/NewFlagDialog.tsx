import { useState } from 'react';
import { APIError } from '../../api';
import { useCreateFlag } from '../../app/flags/flagsApi';
import { splitList } from '../../lib/context-form';
import { FieldErrors } from '../../lib/field-errors';
import type { Flag, FlagKind } from '../../types';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/Feedback';
import { Field } from '../common/Field';
import { KeyNameFields } from '../common/KeyNameFields';
import { newVariationRow, parseVariations, type VariationRow, VariationsEditor } from './VariationsEditor';

const DEFAULT_ROWS: Record<Exclude<FlagKind, 'boolean'>, VariationRow[]> = {
  string: [newVariationRow('blue', 'blue'), newVariationRow('green', 'green')],
  number: [newVariationRow('low', '10'), newVariationRow('high', '100')],
  json: [
    newVariationRow('control', '{"layout": "classic"}'),
    newVariationRow('treatment', '{"layout": "compact"}'),
  ],
};

/** Creates a flag: key, name, kind and variations, tags, temporary, client-side. Off everywhere at first. */
export function NewFlagDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (flag: Flag) => void;
}) {
  const create = useCreateFlag();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<FlagKind>('boolean');
  const [rows, setRows] = useState<VariationRow[]>([]);
  const [tags, setTags] = useState('');
  const [temporary, setTemporary] = useState(true);
  const [clientSide, setClientSide] = useState(false);
  const [localErrors, setLocalErrors] = useState<{ path: string; message: string }[]>([]);
  const serverErrors = create.error instanceof APIError ? create.error.errors : [];
  const errors = new FieldErrors([...localErrors, ...serverErrors]);

  const close = () => {
    create.reset();
    setLocalErrors([]);
    onClose();
  };

  const submit = () => {
    const parsed = kind === 'boolean' ? { variations: undefined, errors: [] } : parseVariations(kind, rows);
    setLocalErrors(parsed.errors);
    if (parsed.errors.length > 0) return;
    create.mutate(
      {
        key: key.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(description.trim() ? { description: description.trim() } : {}),
        kind,
        ...(parsed.variations ? { variations: parsed.variations } : {}),
        tags: splitList(tags),
        temporary,
        clientSide,
      },
      {
        onSuccess: (flag) => {
          setKey('');
          setName('');
          setDescription('');
          setTags('');
          create.reset();
          onCreated(flag);
        },
      },
    );
  };

  return (
    <Dialog open={open} title="Create a flag" onClose={close} wide>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div className="form-grid">
          <KeyNameFields
            errors={errors}
            autoFocus
            nameOptional
            keyInput={{
              label: 'Key',
              hint: 'Used in code: a-z, 0-9, dot, dash, underscore.',
              placeholder: 'new-checkout',
              value: key,
              onChange: setKey,
            }}
            nameInput={{ label: 'Name', placeholder: 'New checkout', value: name, onChange: setName }}
          />
        </div>
        <Field label="Description" errors={errors.at('description')}>
          {(p) => (
            <textarea
              {...p}
              rows={2}
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
          )}
        </Field>
        <div className="form-grid">
          <Field label="Kind" errors={errors.at('kind')}>
            {(p) => (
              <select
                {...p}
                value={kind}
                onChange={(event) => {
                  const next = event.target.value as FlagKind;
                  setKind(next);
                  setRows(next === 'boolean' ? [] : DEFAULT_ROWS[next]);
                }}
              >
                <option value="boolean">Boolean (on / off)</option>
                <option value="string">String (e.g. blue / green)</option>
                <option value="number">Number</option>
                <option value="json">JSON</option>
              </select>
            )}
          </Field>
          <Field label="Tags" errors={errors.at('tags')} hint="Comma-separated.">
            {(p) => (
              <input
                {...p}
                value={tags}
                placeholder="checkout, team-payments"
                onChange={(event) => setTags(event.target.value)}
              />
            )}
          </Field>
        </div>
        {kind !== 'boolean' && <VariationsEditor rows={rows} onChange={setRows} errors={errors} />}
        <div className="checks">
          <label>
            <input
              type="checkbox"
              checked={temporary}
              onChange={(event) => setTemporary(event.target.checked)}
            />
            Temporary (a release flag to remove later; flagged when stale)
          </label>
          <label>
            <input
              type="checkbox"
              checked={clientSide}
              onChange={(event) => setClientSide(event.target.checked)}
            />
            Visible to browser SDKs (client-side)
          </label>
        </div>
        {create.error && serverErrors.length === 0 && <ErrorBanner error={create.error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create flag'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
