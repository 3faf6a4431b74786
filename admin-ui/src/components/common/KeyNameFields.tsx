import type { ReactNode } from 'react';
import type { FieldErrors } from '../../lib/field-errors';
import { Field } from './Field';

/** One of the two inputs of {@link KeyNameFields}: its label, hint, placeholder and value. */
export interface KeyNameInput {
  label: ReactNode;
  hint?: ReactNode;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}

/**
 * The key and name inputs of a create form: a required, monospaced `key` input and a `name` input,
 * each showing the server's errors for its field. `autoFocus` focuses the key input;
 * `nameOptional` lets the name be left empty.
 *
 * @example
 * <KeyNameFields errors={errors}
 *   keyInput={{ label: 'Key', hint: 'a-z, 0-9, dash.', placeholder: 'eu', value: key, onChange: setKey }}
 *   nameInput={{ label: 'Name', placeholder: 'EU', value: name, onChange: setName }} />
 */
export function KeyNameFields({
  keyInput,
  nameInput,
  errors,
  autoFocus = false,
  nameOptional = false,
}: {
  keyInput: KeyNameInput;
  nameInput: KeyNameInput;
  errors: FieldErrors;
  autoFocus?: boolean;
  nameOptional?: boolean;
}) {
  return (
    <>
      <Field label={keyInput.label} errors={errors.at('key')} hint={keyInput.hint}>
        {(p) => (
          <input
            {...p}
            className="mono"
            required
            // biome-ignore lint/a11y/noAutofocus: only when asked, for the first input of a dialog that just opened.
            autoFocus={autoFocus}
            value={keyInput.value}
            placeholder={keyInput.placeholder}
            onChange={(event) => keyInput.onChange(event.target.value)}
          />
        )}
      </Field>
      <Field label={nameInput.label} errors={errors.at('name')} hint={nameInput.hint}>
        {(p) => (
          <input
            {...p}
            required={!nameOptional}
            value={nameInput.value}
            placeholder={nameInput.placeholder}
            onChange={(event) => nameInput.onChange(event.target.value)}
          />
        )}
      </Field>
    </>
  );
}
