import { localInputValue } from '../../lib/apply-at';
import { FieldErrors } from '../../lib/field-errors';
import { Field } from '../common/Field';

/** The messages to show under "Apply later": the form's own check, then the server's for `applyAt`. */
export function applyAtErrors(local: string | undefined, serverError: unknown): string[] {
  const server = FieldErrors.of(serverError).exact('applyAt');
  return [...(local ? [local] : []), ...server];
}

/**
 * The optional "Apply later" time of a change: a labelled `datetime-local` input in the browser's
 * time zone, with its errors next to it. Empty means at once. Never offered for turning a flag off.
 *
 * @example
 * <ApplyLater value={applyAt} onChange={setApplyAt} errors={applyAtErrors(checkError, save.error)} />
 */
export function ApplyLater({
  value,
  onChange,
  errors,
  now = new Date(),
}: {
  value: string;
  onChange: (value: string) => void;
  errors: readonly string[];
  now?: Date;
}) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <Field
      label="Apply later (optional)"
      errors={errors}
      hint={`Leave empty to apply at once. Your local time${zone ? ` (${zone})` : ''}.`}
    >
      {(props) => (
        <input
          {...props}
          type="datetime-local"
          value={value}
          min={localInputValue(now)}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}
