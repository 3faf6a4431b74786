import { useState } from 'react';
import { ConfirmDialog } from '../../components/common/Dialog';
import { EmptyState, ErrorBanner, Loading, ReadOnlyNote } from '../../components/common/Feedback';
import { useToast } from '../../components/common/Toasts';
import { useCurrentEnv } from '../../components/layout/current-env';
import { EnvSwitcher } from '../../components/layout/EnvSwitcher';
import { formatDateTime, relativeTime } from '../../lib/time';
import type { SdkKey } from '../../types';
import { useCan, useMe } from '../auth/authApi';
import { useCreateSdkKey, useRevokeSdkKey, useSdkKeys } from './keysApi';
import { SecretOnce } from './SecretOnce';

/** SDK keys per environment: server keys (secret) and client keys (public). */
export function SdkKeys() {
  const { environments, current } = useCurrentEnv();
  const env = environments.find((e) => e.key === current);
  const me = useMe().data;
  const canList = useCan('editor', current);
  const canManage = useCan('admin', current);
  const keys = useSdkKeys(current, canList);
  const create = useCreateSdkKey(current);
  const revoke = useRevokeSdkKey(current);
  const toast = useToast();
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<SdkKey | null>(null);
  const make = (type: 'server' | 'client') =>
    create.mutate(type, {
      onSuccess: (key) => setSecret(key.key),
      onError: (error) => toast('error', error.message),
    });

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>SDK keys</h1>
          <p className="muted">
            Server keys (<code>rf_srv_…</code>) are secrets for backend SDKs; client keys (
            <code>rf_cli_…</code>) are public, for browsers, and see only client-side flags.
          </p>
        </div>
        <div className="page-actions">
          <EnvSwitcher />
        </div>
      </header>
      {me && !canList && <ReadOnlyNote role={me.role} needs="editor" />}
      {canManage && (
        <div className="toolbar">
          <button
            type="button"
            className="button button-primary"
            disabled={create.isPending}
            onClick={() => make('server')}
          >
            + New server key for {env?.name}
          </button>
          <button type="button" className="button" disabled={create.isPending} onClick={() => make('client')}>
            + New client key for {env?.name}
          </button>
        </div>
      )}
      {canList && keys.isPending && <Loading label="Loading keys…" />}
      <ErrorBanner error={keys.error} />
      {keys.isSuccess && keys.data.length === 0 && (
        <EmptyState title={`No SDK keys for ${env?.name ?? current} yet`} />
      )}
      {keys.isSuccess && keys.data.length > 0 && (
        <div className="card card-flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Type</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} className={key.revokedAt ? 'revoked' : undefined}>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{key.type}</td>
                  <td title={formatDateTime(key.createdAt)}>{relativeTime(key.createdAt, new Date())}</td>
                  <td>
                    {key.revokedAt ? (
                      <span className="badge badge-muted">revoked</span>
                    ) : (
                      <span className="badge badge-ok">active</span>
                    )}
                  </td>
                  <td className="actions-cell">
                    {canManage && !key.revokedAt && (
                      <button
                        type="button"
                        className="button button-small button-ghost danger"
                        onClick={() => setRevoking(key)}
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
      <SecretOnce
        title={`New SDK key for ${env?.name ?? current}`}
        secret={secret}
        onClose={() => setSecret(null)}
      />
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke ${revoking?.prefix ?? ''}…?`}
        confirmLabel="Revoke key"
        danger
        busy={revoke.isPending}
        onConfirm={() =>
          revoking &&
          revoke.mutate(revoking.id, {
            onSuccess: () => {
              setRevoking(null);
              toast('success', 'Key revoked; its streams are closed');
            },
          })
        }
        onCancel={() => setRevoking(null)}
      >
        <p>SDKs using this key lose access at once and their streams close.</p>
        <ErrorBanner error={revoke.error} />
      </ConfirmDialog>
    </div>
  );
}
