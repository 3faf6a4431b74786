import { useId } from 'react';
import type { FieldErrors } from '../../lib/field-errors';
import type { FlagKind, JsonValue, Variation } from '../../types';
import { Field, FieldMessages } from '../common/Field';

/** One variation as a form edits it: the value as typed; `existing` ones keep their id. */
export interface VariationRow {
  id: string;
  value: string;
  name: string;
  existing: boolean;
}

/** A blank row for a variation the person adds. */
export const newVariationRow = (id = '', value = ''): VariationRow => ({
  id,
  value,
  name: '',
  existing: false,
});

/** `variation` with the display name typed for it; an empty name is no name. */
export function withName(variation: Variation, name: string): Variation {
  const label = name.trim();
  return label === '' ? { id: variation.id, value: variation.value } : { ...variation, name: label };
}

/** Turns the variation rows into variations of `kind`, with their names; errors are keyed like the server's. */
export function parseVariations(
  kind: FlagKind,
  rows: readonly VariationRow[],
): { variations: Variation[]; errors: { path: string; message: string }[] } {
  const errors: { path: string; message: string }[] = [];
  const variations = rows.map((row, i): Variation => {
    let value: JsonValue = row.value;
    if (kind === 'number') {
      value = Number(row.value);
      if (row.value.trim() === '' || !Number.isFinite(value))
        errors.push({ path: `variations[${i}].value`, message: 'must be a number' });
    } else if (kind === 'json') {
      try {
        value = JSON.parse(row.value) as JsonValue;
      } catch {
        errors.push({ path: `variations[${i}].value`, message: 'must be valid JSON' });
      }
    }
    return withName({ id: row.id.trim(), value }, row.name);
  });
  return { variations, errors };
}

/**
 * The variations of a flag as form lines: id, value and display name each, a button to remove one
 * (while more than one is left) and one to add one. With `fixedValues` (a boolean flag's false and
 * true) only the names can change.
 */
export function VariationsEditor({
  rows,
  onChange,
  errors,
  fixedValues = false,
}: {
  rows: readonly VariationRow[];
  onChange: (rows: VariationRow[]) => void;
  errors: FieldErrors;
  fixedValues?: boolean;
}) {
  const id = useId();
  const setRow = (index: number, patch: Partial<VariationRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <fieldset className="variations-editor">
      <legend>Variations</legend>
      {fixedValues && (
        <p className="hint">A boolean flag keeps its false and true variations; you can name them.</p>
      )}
      {rows.map((row, i) => (
        <div className="form-grid form-grid-4" key={row.existing ? row.id : `new-${i}`}>
          <Field label={`Variation ${i + 1} id`} errors={errors.at(`variations[${i}].id`)}>
            {(p) => (
              <input
                {...p}
                className="mono"
                value={row.id}
                readOnly={row.existing}
                required
                onChange={(event) => setRow(i, { id: event.target.value })}
              />
            )}
          </Field>
          <Field label={`Variation ${i + 1} value`} errors={errors.at(`variations[${i}].value`)}>
            {(p) => (
              <input
                {...p}
                className="mono"
                value={row.value}
                readOnly={fixedValues}
                onChange={(event) => setRow(i, { value: event.target.value })}
              />
            )}
          </Field>
          <Field label={`Variation ${i + 1} name`} errors={errors.at(`variations[${i}].name`)}>
            {(p) => (
              <input
                {...p}
                value={row.name}
                placeholder={row.id || 'optional'}
                onChange={(event) => setRow(i, { name: event.target.value })}
              />
            )}
          </Field>
          <div className="field">
            {!fixedValues && rows.length > 1 && (
              <button
                type="button"
                className="button button-small button-ghost"
                aria-label={`Remove variation ${i + 1}`}
                onClick={() => onChange(rows.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            )}
          </div>
        </div>
      ))}
      {!fixedValues && (
        <div className="row-actions">
          <button
            type="button"
            className="button button-small"
            onClick={() => onChange([...rows, newVariationRow()])}
          >
            + Add variation
          </button>
        </div>
      )}
      <FieldMessages id={`${id}-errors`} errors={errors.exact('variations')} />
    </fieldset>
  );
}
