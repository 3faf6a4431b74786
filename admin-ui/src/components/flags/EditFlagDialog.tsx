import { useId, useState } from 'react';
import { APIError } from '../../api';
import { type FlagChangesInput, requestedMessage, useUpdateFlag } from '../../app/flags/flagsApi';
import { splitList } from '../../lib/context-form';
import { FieldErrors } from '../../lib/field-errors';
import type { Environment, Flag, Variation } from '../../types';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/Feedback';
import { Field, FieldMessages } from '../common/Field';
import { useToast } from '../common/Toasts';
import { parseVariations, type VariationRow, VariationsEditor, withName } from './VariationsEditor';

function rowOf(flag: Flag, variation: Variation): VariationRow {
  const value =
    flag.kind === 'string' && typeof variation.value === 'string'
      ? variation.value
      : JSON.stringify(variation.value);
  return { id: variation.id, value, name: variation.name ?? '', existing: true };
}

/** Variations as SDKs see them: ids and values in order (display names serve nothing). */
const served = (variations: readonly Variation[]) =>
  JSON.stringify(variations.map((variation) => [variation.id, variation.value]));

/**
 * What of `flag` the form changed, field by field (unchanged fields are left out, so a PATCH says only
 * what the person changed). `variations` carry their names; an empty name is no name.
 */
export function flagChanges(
  flag: Flag,
  form: {
    name: string;
    description: string;
    tags: string[];
    temporary: boolean;
    clientSide: boolean;
    variations: Variation[];
  },
): Omit<FlagChangesInput, 'archived' | 'comment'> {
  const changes: Omit<FlagChangesInput, 'archived' | 'comment'> = {};
  if (form.name !== flag.name) changes.name = form.name;
  if (form.description !== flag.description) changes.description = form.description;
  if (JSON.stringify(form.tags) !== JSON.stringify(flag.tags)) changes.tags = form.tags;
  if (form.temporary !== flag.temporary) changes.temporary = form.temporary;
  if (form.clientSide !== flag.clientSide) changes.clientSide = form.clientSide;
  if (JSON.stringify(form.variations) !== JSON.stringify(flag.variations))
    changes.variations = form.variations;
  return changes;
}

/**
 * Whether changes alter what SDKs serve (variation ids or values, or exposing the flag to browser
 * keys): where an environment requires approval, such a change waits for an approver there.
 */
export function changesServedValues(flag: Flag, changes: Omit<FlagChangesInput, 'archived'>): boolean {
  const variations =
    changes.variations !== undefined && served(changes.variations) !== served(flag.variations);
  return variations || (changes.clientSide === true && !flag.clientSide);
}

/**
 * Edits a flag after creation: name, description, tags, temporary or permanent, browser visibility,
 * and variations (values and names; new ones added, unused ones removed — the server refuses removing
 * one that anything still serves, and says where). Saved in one PATCH at the version shown; where it
 * changes what an approval-required environment serves, the answer is a change request.
 */
export function EditFlagDialog({
  open,
  flag,
  environments,
  onClose,
}: {
  open: boolean;
  flag: Flag;
  environments: readonly Environment[];
  onClose: () => void;
}) {
  return (
    <Dialog open={open} title={`Edit ${flag.name}`} onClose={onClose} wide>
      {/* Mounted per opening: the form starts from the flag as it is now. */}
      {open && <EditFlagForm flag={flag} environments={environments} onClose={onClose} />}
    </Dialog>
  );
}

function EditFlagForm({
  flag,
  environments,
  onClose,
}: {
  flag: Flag;
  environments: readonly Environment[];
  onClose: () => void;
}) {
  const id = useId();
  const update = useUpdateFlag(flag.key);
  const toast = useToast();
  const [name, setName] = useState(flag.name);
  const [description, setDescription] = useState(flag.description);
  const [tags, setTags] = useState(flag.tags.join(', '));
  const [temporary, setTemporary] = useState(flag.temporary);
  const [clientSide, setClientSide] = useState(flag.clientSide);
  const [rows, setRows] = useState<VariationRow[]>(() => flag.variations.map((v) => rowOf(flag, v)));
  const [comment, setComment] = useState('');
  const [localErrors, setLocalErrors] = useState<{ path: string; message: string }[]>([]);
  const serverErrors = update.error instanceof APIError ? update.error.errors : [];
  const errors = new FieldErrors([...localErrors, ...serverErrors]);
  const boolean = flag.kind === 'boolean';

  // A boolean flag's values stay as they are; other kinds read the values as typed.
  const parsed = boolean
    ? {
        variations: flag.variations.map((variation, i) => withName(variation, rows[i]?.name ?? '')),
        errors: [],
      }
    : parseVariations(flag.kind, rows);
  const variations = parsed.variations;
  const changes = flagChanges(flag, {
    name: name.trim(),
    description: description.trim(),
    tags: splitList(tags),
    temporary,
    clientSide,
    variations,
  });
  const changed = Object.keys(changes).length > 0;
  const gated = flag.archived ? [] : environments.filter((env) => env.requireApproval);
  const needsApproval = gated.length > 0 && changesServedValues(flag, changes);
  const gatedNames = gated.map((env) => env.name).join(', ');

  const submit = () => {
    setLocalErrors(parsed.errors);
    if (parsed.errors.length > 0 || !changed) return;
    update.mutate(
      { ...changes, ...(comment.trim() ? { comment: comment.trim() } : {}) },
      {
        onSuccess: (result) => {
          if (result.kind === 'requested') toast('info', requestedMessage(result.changeRequest));
          else toast('success', `Saved ${result.flag.name}`);
          onClose();
        },
      },
    );
  };

  return (
    <form
      className="form"
      aria-label={`Edit ${flag.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <div className="form-grid">
        <Field label="Name" errors={errors.at('name')}>
          {(p) => <input {...p} required value={name} onChange={(event) => setName(event.target.value)} />}
        </Field>
        <Field label="Tags" errors={errors.at('tags', 'tag')} hint="Comma-separated.">
          {(p) => <input {...p} value={tags} onChange={(event) => setTags(event.target.value)} />}
        </Field>
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
      <div className="checks">
        <fieldset className="segmented">
          <legend className="visually-hidden">Lifetime</legend>
          <label className={temporary ? 'selected' : ''}>
            <input
              type="radio"
              name={`${id}-lifetime`}
              checked={temporary}
              onChange={() => setTemporary(true)}
            />
            Temporary
          </label>
          <label className={temporary ? '' : 'selected'}>
            <input
              type="radio"
              name={`${id}-lifetime`}
              checked={!temporary}
              onChange={() => setTemporary(false)}
            />
            Permanent
          </label>
        </fieldset>
        <p className="hint">
          A temporary flag is a release flag to remove once launched, and is flagged when stale; a permanent
          one (an entitlement, an operations switch) stays.
        </p>
        <label>
          <input
            type="checkbox"
            checked={clientSide}
            onChange={(event) => setClientSide(event.target.checked)}
          />
          Visible to browser SDKs (client-side)
        </label>
        <FieldMessages id={`${id}-client-errors`} errors={errors.at('clientSide')} />
      </div>

      <VariationsEditor rows={rows} onChange={setRows} errors={errors} fixedValues={boolean} />

      {needsApproval && (
        <p className="banner banner-info" data-testid="flag-edit-approval">
          This changes what {gatedNames} serve{gated.length === 1 ? 's' : ''} (variation values or browser
          visibility), which requires a second person's approval there: saving creates a change request, and
          nothing changes anywhere until an approver approves it.
        </p>
      )}
      <Field
        label={
          needsApproval
            ? 'Why (shown to the reviewer and kept in the audit log)'
            : 'Why (kept in the audit log)'
        }
      >
        {(p) => (
          <input
            {...p}
            value={comment}
            maxLength={1000}
            placeholder="e.g. rename after the launch"
            onChange={(event) => setComment(event.target.value)}
          />
        )}
      </Field>
      {update.error && serverErrors.length > 0 && (
        // The fields above show where; this says what.
        <p className="banner banner-error" role="alert">
          {update.error.message}
        </p>
      )}
      {update.error && serverErrors.length === 0 && (
        <ErrorBanner
          error={update.error}
          title={
            update.error instanceof APIError && update.error.status === 412
              ? 'Someone changed this flag meanwhile: close and reopen to edit the current version'
              : undefined
          }
        />
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={update.isPending || !changed}>
          {update.isPending ? 'Saving…' : needsApproval ? 'Request approval' : 'Save flag'}
        </button>
      </div>
    </form>
  );
}
