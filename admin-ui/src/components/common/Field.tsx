import { type ReactNode, useId } from 'react';

/** The props an input needs to point at its errors. */
export function describedBy(errorId: string, errors: readonly string[], hintId?: string) {
  const ids = [errors.length > 0 ? errorId : undefined, hintId].filter(Boolean).join(' ');
  return { 'aria-invalid': errors.length > 0 || undefined, 'aria-describedby': ids || undefined };
}

/** The error messages under a field (each one is the server's words). */
export function FieldMessages({ id, errors }: { id: string; errors: readonly string[] }) {
  if (errors.length === 0) return null;
  return (
    <ul id={id} className="field-errors">
      {errors.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  );
}

/**
 * A labelled input with its hint and errors. The child is rendered by a function that receives the
 * id and ARIA props to spread on the input.
 *
 * @example
 * <Field label="Key" errors={errors.at('key')}>{(p) => <input {...p} value={key} onChange={…} />}</Field>
 */
export function Field({
  label,
  errors = [],
  hint,
  className,
  children,
}: {
  label: ReactNode;
  errors?: readonly string[];
  hint?: ReactNode;
  className?: string;
  children: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-errors`;
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...describedBy(errorId, errors, hintId) })}
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      <FieldMessages id={errorId} errors={errors} />
    </div>
  );
}
