import { useState } from 'react';
import { APIError } from '../../api';
import { ErrorBanner, Loading, ReadOnlyNote } from '../../components/common/Feedback';
import { Field } from '../../components/common/Field';
import { useToast } from '../../components/common/Toasts';
import { FieldErrors } from '../../lib/field-errors';
import { relativeTime } from '../../lib/time';
import { ROLES, type Role } from '../../types';
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
                toast('success', `Created ${user.email}`);
                setEmail('');
                setName('');
                setPassword('');
              },
            },
          );
        }}
      >
        <h3>Invite a user</h3>
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
          <Field label="Initial password" errors={errors.at('password')}>
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="new-password"
                required
                value={password}
                onChange={(event) => setPassword(event.target.value)}
              />
            )}
          </Field>
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
            Create user
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
    </div>
  );
}
