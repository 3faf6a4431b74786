import { useState } from 'react';
import { ErrorBanner } from '../../components/common/Feedback';
import { PasswordField } from '../../components/common/PasswordField';
import { useToast } from '../../components/common/Toasts';
import { FieldErrors } from '../../lib/field-errors';
import { useChangePassword, useMe } from '../auth/authApi';

/** The signed-in person's own account: who they are, and changing their password. */
export function Account() {
  const me = useMe().data;
  const change = useChangePassword();
  const toast = useToast();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const errors = FieldErrors.of(change.error);

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Your account</h1>
          {me && (
            <p className="muted">
              Signed in as <strong>{me.name}</strong> with the <strong>{me.role}</strong> role.
            </p>
          )}
        </div>
      </header>
      <form
        className="card form"
        aria-label="Change password"
        onSubmit={(event) => {
          event.preventDefault();
          if (next !== again) {
            setMismatch(true);
            return;
          }
          setMismatch(false);
          change.mutate(
            { currentPassword: current, newPassword: next },
            {
              onSuccess: () => {
                setCurrent('');
                setNext('');
                setAgain('');
                toast('success', 'Password changed. Your other sessions were signed out.');
              },
            },
          );
        }}
      >
        <h3>Change password</h3>
        <p className="muted">
          You stay signed in here; every other session of yours (another browser, a stolen cookie) ends.
        </p>
        {/* Lets password managers tie the new password to this account. */}
        <input type="hidden" name="username" autoComplete="username" value={me?.name ?? ''} readOnly />
        <div className="form-grid">
          <PasswordField
            label="Current password"
            errors={errors.at('currentPassword')}
            autoComplete="current-password"
            value={current}
            onChange={setCurrent}
          />
        </div>
        <div className="form-grid">
          <PasswordField
            label="New password"
            errors={errors.at('newPassword')}
            autoComplete="new-password"
            checkLength
            value={next}
            onChange={setNext}
          />
          <PasswordField
            label="New password again"
            errors={mismatch ? ['does not match the new password'] : []}
            autoComplete="new-password"
            value={again}
            onChange={setAgain}
          />
        </div>
        {change.error && errors.size === 0 && <ErrorBanner error={change.error} />}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={change.isPending}>
            {change.isPending ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </div>
  );
}
