import { useState } from 'react';
import { Dialog } from '../../components/common/Dialog';
import { ErrorBanner, Loading } from '../../components/common/Feedback';
import { Field } from '../../components/common/Field';
import { PasswordField } from '../../components/common/PasswordField';
import { RoleOptions } from '../../components/common/RoleOptions';
import { useToast } from '../../components/common/Toasts';
import { FieldErrors } from '../../lib/field-errors';
import { relativeTime } from '../../lib/time';
import type { Role, User } from '../../types';
import { useIsOrgAdmin, useMe } from '../auth/authApi';
import { useCreateUser, useUpdateUser, useUsers } from './usersApi';

/** What "no role in the default project" is called in the role selects. */
const NO_ROLE = 'none';

/**
 * Users (org admins only): who is an organisation admin, each user's role in the default project
 * (set here) and in the other projects (set in each project's settings).
 */
export function Users() {
  const me = useMe().data;
  const isAdmin = useIsOrgAdmin();
  const users = useUsers(isAdmin);
  const create = useCreateUser();
  const update = useUpdateUser();
  const toast = useToast();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role | typeof NO_ROLE>('viewer');
  const [orgAdmin, setOrgAdmin] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const errors = FieldErrors.of(create.error);
  const change = (
    id: number,
    changes: { role?: Role | null; orgAdmin?: boolean; disabled?: boolean },
    what: string,
  ) =>
    update.mutate(
      { id, ...changes },
      { onSuccess: () => toast('success', what), onError: (error) => toast('error', error.message) },
    );

  if (me && !isAdmin) {
    return (
      <div className="page">
        <h1>Users</h1>
        <p className="banner banner-info">
          Organisation admins manage users. Who is in this project, and with which role, is under project
          settings.
        </p>
      </div>
    );
  }
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Users</h1>
          <p className="muted">
            viewer &lt; editor &lt; approver &lt; admin: each role can do what the ones before it can, in each
            project separately. Organisation admins manage users and projects and are admins in every project.
          </p>
        </div>
      </header>
      <form
        className="card form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            {
              email: email.trim(),
              ...(name.trim() ? { name: name.trim() } : {}),
              password,
              ...(role === NO_ROLE ? {} : { role }),
              orgAdmin,
            },
            {
              onSuccess: (user) => {
                toast('success', `Added ${user.email}: give them the password privately`);
                setEmail('');
                setName('');
                setPassword('');
                setOrgAdmin(false);
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
          <Field
            label="Role"
            errors={errors.at('role')}
            hint="In the default project; other projects add people in their settings."
          >
            {(p) => (
              <select
                {...p}
                value={role}
                onChange={(event) => setRole(event.target.value as Role | typeof NO_ROLE)}
              >
                <RoleOptions />
                <option value={NO_ROLE}>no role</option>
              </select>
            )}
          </Field>
        </div>
        <div className="checks">
          <label>
            <input
              type="checkbox"
              checked={orgAdmin}
              onChange={(event) => setOrgAdmin(event.target.checked)}
            />
            Organisation admin (manages users and projects, admin in every project)
          </label>
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
                <th scope="col">Org admin</th>
                <th scope="col">Default project</th>
                <th scope="col">Projects</th>
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
                    <input
                      type="checkbox"
                      aria-label={`${user.email} is an organisation admin`}
                      checked={user.orgAdmin}
                      disabled={update.isPending}
                      onChange={(event) =>
                        change(
                          user.id,
                          { orgAdmin: event.target.checked },
                          `${user.email} is ${event.target.checked ? 'now' : 'no longer'} an organisation admin`,
                        )
                      }
                    />
                  </td>
                  <td>
                    <label
                      className="visually-hidden"
                      htmlFor={`role-${user.id}`}
                    >{`Role of ${user.email} in the default project`}</label>
                    <select
                      id={`role-${user.id}`}
                      value={user.role ?? NO_ROLE}
                      disabled={update.isPending}
                      onChange={(event) => {
                        const next = event.target.value;
                        change(
                          user.id,
                          { role: next === NO_ROLE ? null : (next as Role) },
                          next === NO_ROLE
                            ? `${user.email} has no role in the default project now`
                            : `${user.email} is now ${next} in the default project`,
                        );
                      }}
                    >
                      <RoleOptions />
                      <option value={NO_ROLE}>no role</option>
                    </select>
                  </td>
                  <td>
                    <ProjectRoles user={user} />
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

/** A user's role in each project they are a member of (an org admin is admin in every one). */
function ProjectRoles({ user }: { user: User }) {
  if (user.orgAdmin) return <span className="muted">admin everywhere</span>;
  if (user.projects.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="project-roles" aria-label={`Projects of ${user.email}`}>
      {user.projects.map((project) => (
        <li key={project.key}>
          <span className="mono">{project.key}</span>: {project.role}
        </li>
      ))}
    </ul>
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
  const errors = FieldErrors.of(update.error);
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
