import { useState } from 'react';
import { APIError } from '../../api';
import { Dialog } from '../../components/common/Dialog';
import { ErrorBanner, Loading, ReadOnlyNote } from '../../components/common/Feedback';
import { Field } from '../../components/common/Field';
import { PasswordField } from '../../components/common/PasswordField';
import { useToast } from '../../components/common/Toasts';
import { FieldErrors } from '../../lib/field-errors';
import { relativeTime } from '../../lib/time';
import { ROLES, type Role, type User } from '../../types';
import { useCan, useMe } from '../auth/authApi';
import { useCreateUser, useUpdateUser, useUsers } from './usersApi';

/** Users and their roles (admins only). */
export function Users() {
  const me = useMe().data;
  const isAdmin = useCan('admin');
  const users = useUsers(isAdmin);
  const create = useCreateUser();
  const update = useUpdateUser();
  const toast = useToast();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [resetting, setResetting] = useState<User | null>(null);
  const errors = create.error instanceof APIError ? new FieldErrors(create.error.errors) : FieldErrors.none;
  const change = (id: number, changes: { role?: Role; disabled?: boolean }, what: string) =>
    update.mutate(
      { id, ...changes },
      { onSuccess: () => toast('success', what), onError: (error) => toast('error', error.message) },
    );

  if (me && !isAdmin) {
    return (
      <div className="page">
        <h1>Users</h1>
        <ReadOnlyNote role={me.role} needs="admin" />
      </div>
    );
  }
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Users</h1>
          <p className="muted">
            viewer &lt; editor &lt; approver &lt; admin: each role can do what the ones before it can.
          </p>
        </div>
      </header>
      <form
        className="card form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}), password, role },
            {
              onSuccess: (user) => {
                toast('success', `Added ${user.email}: give them the password privately`);
                setEmail('');
                setName('');
                setPassword('');
              },
            },
          );
        }}
      >
        <h3>Add a user</h3>
        <p className="muted">
          Ringflag sends no email: the user signs in with this email and the password you set here. Give it to
          them privately; they can change it under Your account.
        </p>
        <div className="form-grid form-grid-4">
          <Field label="Email" errors={errors.at('email')}>
            {(p) => (
              <input
                {...p}
                type="email"
                required
                value={email}
                onChange={(event) => setEmail(event.target.value)}
              />
            )}
          </Field>
          <Field label="Name" errors={errors.at('name')}>
            {(p) => <input {...p} value={name} onChange={(event) => setName(event.target.value)} />}
          </Field>
          <PasswordField
            label="Initial password"
            errors={errors.at('password')}
            autoComplete="new-password"
            value={password}
            onChange={setPassword}
          />
          <Field label="Role" errors={errors.at('role')}>
            {(p) => (
              <select {...p} value={role} onChange={(event) => setRole(event.target.value as Role)}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {create.error && errors.size === 0 && <ErrorBanner error={create.error} />}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            Add user
          </button>
        </div>
      </form>
      {users.isPending && <Loading />}
      <ErrorBanner error={users.error} />
      {users.data && (
        <div className="card card-flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <tr key={user.id} className={user.disabled ? 'revoked' : undefined}>
                  <td>
                    <strong>{user.name}</strong>
                    <div className="muted">{user.email}</div>
                  </td>
                  <td>
                    <label
                      className="visually-hidden"
                      htmlFor={`role-${user.id}`}
                    >{`Role of ${user.email}`}</label>
                    <select
                      id={`role-${user.id}`}
                      value={user.role}
                      disabled={update.isPending}
                      onChange={(event) =>
                        change(
                          user.id,
                          { role: event.target.value as Role },
                          `${user.email} is now ${event.target.value}`,
                        )
                      }
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    {user.disabled ? (
                      <span className="badge badge-muted">disabled</span>
                    ) : (
                      <span className="badge badge-ok">active</span>
                    )}
                  </td>
                  <td>{relativeTime(user.createdAt, new Date())}</td>
                  <td className="actions-cell">
                    <button
                      type="button"
                      className="button button-small button-ghost"
                      aria-label={`Reset the password of ${user.email}`}
                      onClick={() => setResetting(user)}
                    >
                      Reset password
                    </button>
                    <button
                      type="button"
                      className="button button-small button-ghost"
                      disabled={update.isPending}
                      onClick={() =>
                        change(
                          user.id,
                          { disabled: !user.disabled },
                          `${user.email} ${user.disabled ? 'enabled' : 'disabled'}`,
                        )
                      }
                    >
                      {user.disabled ? 'Enable' : 'Disable'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ResetPasswordDialog
        user={resetting}
        self={me?.id === resetting?.id}
        onClose={() => setResetting(null)}
      />
    </div>
  );
}

/** An admin sets another user's password: their sessions end, and the reset is audited. */
function ResetPasswordDialog({
  user,
  self,
  onClose,
}: {
  user: User | null;
  self: boolean;
  onClose: () => void;
}) {
  const update = useUpdateUser();
  const toast = useToast();
  const [password, setPassword] = useState('');
  const errors = update.error instanceof APIError ? new FieldErrors(update.error.errors) : FieldErrors.none;
  const close = () => {
    setPassword('');
    update.reset();
    onClose();
  };
  return (
    <Dialog open={user !== null} title={`Reset the password of ${user?.email ?? ''}`} onClose={close}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!user) return;
          update.mutate(
            { id: user.id, password },
            {
              onSuccess: () => {
                toast('success', `New password set for ${user.email}; their sessions were signed out`);
                close();
              },
            },
          );
        }}
      >
        <p>
          {self
            ? 'This is you: setting it here signs you out everywhere, this browser included. Your account page changes it and keeps you signed in.'
            : `${user?.email ?? ''} is signed out everywhere and signs in with the new password, which you give them privately. The reset is recorded in the audit log.`}
        </p>
        <PasswordField
          label="New password"
          errors={errors.at('password')}
          autoComplete="new-password"
          checkLength
          value={password}
          onChange={setPassword}
        />
        {update.error && errors.size === 0 && <ErrorBanner error={update.error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={update.isPending}>
            {update.isPending ? 'Setting…' : 'Set new password'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
