import type { ReactNode } from 'react';
import { Field } from './Field';

/** The shortest password the server accepts. */
export const PASSWORD_MIN_LENGTH = 8;

/**
 * A labelled, required password input. `autoComplete` tells password managers whether it holds the
 * current password or a new one; `checkLength` makes the browser refuse one shorter than
 * {@link PASSWORD_MIN_LENGTH} and says so in a hint.
 *
 * @example
 * <PasswordField label="New password" autoComplete="new-password" checkLength value={next} onChange={setNext} />
 */
export function PasswordField({
  label,
  errors,
  autoComplete,
  checkLength = false,
  value,
  onChange,
}: {
  label: ReactNode;
  errors?: readonly string[];
  autoComplete: 'current-password' | 'new-password';
  checkLength?: boolean;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field
      label={label}
      errors={errors}
      hint={checkLength ? `At least ${PASSWORD_MIN_LENGTH} characters.` : undefined}
    >
      {(p) => (
        <input
          {...p}
          type="password"
          autoComplete={autoComplete}
          required
          minLength={checkLength ? PASSWORD_MIN_LENGTH : undefined}
          value={value}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}
