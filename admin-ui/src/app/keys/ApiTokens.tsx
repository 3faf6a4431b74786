import { useState } from 'react';
import { ConfirmDialog } from '../../components/common/Dialog';
import { EmptyState, ErrorBanner, Loading, ReadOnlyNote } from '../../components/common/Feedback';
import { Field } from '../../components/common/Field';
import { RoleOptions } from '../../components/common/RoleOptions';
import { useToast } from '../../components/common/Toasts';
import { useCurrentEnv } from '../../components/layout/current-env';
import { FieldErrors } from '../../lib/field-errors';
import { relativeTime } from '../../lib/time';
import type { ApiToken, Role } from '../../types';
import { useCan, useMe } from '../auth/authApi';
import { useApiTokens, useCreateApiToken, useRevokeApiToken } from './keysApi';
import { SecretOnce } from './SecretOnce';

/** API tokens for CI and scripts: a role, optionally limited to some environments (admins only). */
export function ApiTokens() {
  const me = useMe().data;
  const isAdmin = useCan('admin');
  const tokens = useApiTokens(isAdmin);
  const create = useCreateApiToken();
  const revoke = useRevokeApiToken();
  const toast = useToast();
  const { environments } = useCurrentEnv();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [limited, setLimited] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const errors = FieldErrors.of(create.error);

  if (me && !isAdmin) {
    return (
      <div className="page">
        <h1>API tokens</h1>
        <ReadOnlyNote role={me.role} needs="admin" />
      </div>
    );
  }
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>API tokens</h1>
          <p className="muted">
            For CI pipelines and scripts: send as <code>Authorization: Bearer rf_api_…</code>.
          </p>
        </div>
      </header>
      <form
        className="card form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { name: name.trim(), role, ...(limited.length > 0 ? { environments: limited } : {}) },
            {
              onSuccess: (token) => {
                setSecret(token.token);
                setName('');
                setLimited([]);
              },
            },
          );
        }}
      >
        <h3>New token</h3>
        <div className="form-grid">
          <Field label="Name" errors={errors.at('name')}>
            {(p) => (
              <input
                {...p}
                required
                value={name}
                placeholder="deploy pipeline"
                onChange={(event) => setName(event.target.value)}
              />
            )}
          </Field>
          <Field label="Role" errors={errors.at('role')}>
            {(p) => (
              <select {...p} value={role} onChange={(event) => setRole(event.target.value as Role)}>
                <RoleOptions />
              </select>
            )}
          </Field>
        </div>
        <fieldset className="checks-inline">
          <legend>Limit to environments (none checked: all)</legend>
          {environments.map((env) => (
            <label key={env.key}>
              <input
                type="checkbox"
                checked={limited.includes(env.key)}
                onChange={(event) =>
                  setLimited(
                    event.target.checked ? [...limited, env.key] : limited.filter((k) => k !== env.key),
                  )
                }
              />
              {env.name}
            </label>
          ))}
        </fieldset>
        {create.error && errors.size === 0 && <ErrorBanner error={create.error} />}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            Create token
          </button>
        </div>
      </form>
      {tokens.isPending && <Loading />}
      <ErrorBanner error={tokens.error} />
      {tokens.isSuccess && tokens.data.length === 0 && <EmptyState title="No API tokens yet" />}
      {tokens.isSuccess && tokens.data.length > 0 && (
        <div className="card card-flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Token</th>
                <th scope="col">Role</th>
                <th scope="col">Environments</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((token) => (
                <tr key={token.id} className={token.revokedAt ? 'revoked' : undefined}>
                  <td>{token.name}</td>
                  <td>
                    <code>{token.prefix}…</code>
                  </td>
                  <td>
                    <span className={`role role-${token.role}`}>{token.role}</span>
                  </td>
                  <td>{token.environments?.join(', ') ?? 'all'}</td>
                  <td>{relativeTime(token.createdAt, new Date())}</td>
                  <td className="actions-cell">
                    {token.revokedAt ? (
                      <span className="badge badge-muted">revoked</span>
                    ) : (
                      <button
                        type="button"
                        className="button button-small button-ghost danger"
                        onClick={() => setRevoking(token)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <SecretOnce title="New API token" secret={secret} onClose={() => setSecret(null)} />
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke ${revoking?.name ?? ''}?`}
        confirmLabel="Revoke token"
        danger
        busy={revoke.isPending}
        onConfirm={() =>
          revoking &&
          revoke.mutate(revoking.id, {
            onSuccess: () => {
              setRevoking(null);
              toast('success', 'Token revoked');
            },
          })
        }
        onCancel={() => setRevoking(null)}
      >
        <p>Anything using this token is refused from now on.</p>
        <ErrorBanner error={revoke.error} />
      </ConfirmDialog>
    </div>
  );
}
