import { type CSSProperties, useState } from 'react';
import { Link, Navigate, useNavigate, useParams, useSearchParams } from 'react-router';
import { APIError } from '../../api';
import { OpenChangesBanner } from '../../components/changes/OpenChangesBanner';
import { PendingBadge } from '../../components/changes/PendingBadge';
import { ErrorBanner, Loading, ReadOnlyNote } from '../../components/common/Feedback';
import { NotFound } from '../../components/common/NotFound';
import { useToast } from '../../components/common/Toasts';
import { CompareEnvironments } from '../../components/flags/CompareEnvironments';
import { EditFlagDialog } from '../../components/flags/EditFlagDialog';
import { ExposureChart } from '../../components/flags/ExposureChart';
import { FlagHistory } from '../../components/flags/FlagHistory';
import { KillSwitch } from '../../components/flags/KillSwitch';
import { TargetingEditor } from '../../components/flags/TargetingEditor';
import { TestContext } from '../../components/flags/TestContext';
import { useCurrentEnv } from '../../components/layout/current-env';
import { useProjectPath } from '../../components/layout/current-project';
import { EnvSwitcher } from '../../components/layout/EnvSwitcher';
import { ReleasePlan } from '../../components/releases/ReleasePlan';
import { envColor } from '../../lib/env-colors';
import { valueText, variationColor, variationLabel } from '../../lib/variation-colors';
import { useCan, useMe } from '../auth/authApi';
import { myPendingRequest, OPEN_STATES, useChangeRequests } from '../changes/changesApi';
import { useSegments } from '../segments/segmentsApi';
import { requestedMessage, useConfig, useFlag, useUpdateFlag } from './flagsApi';

const TABS = [
  { id: 'targeting', label: 'Targeting' },
  { id: 'exposures', label: 'Exposures' },
  { id: 'test', label: 'Test a context' },
  { id: 'release', label: 'Release' },
  { id: 'compare', label: 'Compare environments' },
  { id: 'history', label: 'History' },
] as const;

/** One flag in one environment: kill switch, targeting, exposures, test, compare, history. */
export function FlagPage() {
  const { key = '', env: envKey } = useParams();
  const { environments, current, indexOf } = useCurrentEnv();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const inProject = useProjectPath();
  const flag = useFlag(key);
  const env = environments.find((e) => e.key === envKey);
  const config = useConfig(key, env?.key ?? '');
  const segments = useSegments();
  const me = useMe().data;
  const canEdit = useCan('editor', env?.key);
  const canArchive = useCan('editor');
  const update = useUpdateFlag(key);
  const openChanges = useChangeRequests({ flag: key, states: OPEN_STATES });
  const toast = useToast();
  const tab = TABS.find((t) => t.id === params.get('tab'))?.id ?? 'targeting';
  const [editing, setEditing] = useState(false);

  if (!envKey && current)
    return <Navigate to={inProject(`/flags/${encodeURIComponent(key)}/${current}`)} replace />;
  if (flag.isPending || environments.length === 0) return <Loading label="Loading flag…" />;
  if (flag.isError && flag.error instanceof APIError && flag.error.status === 404) {
    return (
      <NotFound title={`No flag "${key}"`} back={{ to: '/flags', label: 'All flags' }}>
        <p>
          There is no flag with this key. It may have been mistyped, or the link is from another Ringflag.
        </p>
      </NotFound>
    );
  }
  if (flag.isError) {
    return (
      <div className="page">
        <ErrorBanner error={flag.error} />
        <Link to={inProject('/flags')}>Back to flags</Link>
      </div>
    );
  }
  if (!env) {
    return (
      <NotFound
        title={`No environment "${envKey}"`}
        back={{ to: `/flags/${encodeURIComponent(key)}`, label: `${flag.data.name} in another environment` }}
      >
        <p>Environments: {environments.map((e) => e.name).join(', ')}.</p>
      </NotFound>
    );
  }
  const f = flag.data;
  const envIndex = indexOf(env.key);
  // Saves and turn-ons here are added to this request of mine, if there is one (one per launch).
  const myPending = myPendingRequest(openChanges.data, me, env.key);

  return (
    <div className="page" style={{ '--env': envColor(env.key, envIndex) } as CSSProperties}>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to={inProject('/flags')}>Flags</Link> <span aria-hidden="true">/</span> <span>{f.name}</span>
      </nav>
      <header className="page-header flag-header">
        <div>
          <h1>
            {f.name}
            {f.archived && <span className="badge badge-muted">archived</span>}
            <PendingBadge requests={openChanges.data} />
          </h1>
          <div className="flag-meta">
            <code>{f.key}</code>
            <span className="kind">{f.kind}</span>
            <span className="badge badge-muted">{f.temporary ? 'temporary' : 'permanent'}</span>
            {f.clientSide && <span className="badge badge-muted">client-side</span>}
            {f.tags.map((t) => (
              <Link key={t} className="tag" to={inProject(`/flags?tag=${encodeURIComponent(t)}`)}>
                {t}
              </Link>
            ))}
          </div>
          {f.description && <p className="description">{f.description}</p>}
          <ul className="variations-list" aria-label="Variations">
            {f.variations.map((v) => (
              <li key={v.id}>
                <span
                  className="swatch"
                  style={{ background: variationColor(f.variations, v.id) }}
                  aria-hidden="true"
                />
                {variationLabel(f.variations, v.id)} <span className="mono muted">{valueText(v.value)}</span>
              </li>
            ))}
          </ul>
        </div>
        <div className="page-actions">
          {canArchive && (
            <button type="button" className="button" onClick={() => setEditing(true)}>
              Edit flag
            </button>
          )}
          {canArchive && (
            <button
              type="button"
              className="button button-ghost"
              disabled={update.isPending}
              onClick={() =>
                update.mutate(
                  { archived: !f.archived },
                  {
                    onSuccess: (result) =>
                      result.kind === 'requested'
                        ? toast('info', requestedMessage(result.changeRequest))
                        : toast('success', `${f.name} ${f.archived ? 'restored' : 'archived'}`),
                    onError: (error) => toast('error', error.message),
                  },
                )
              }
            >
              {f.archived ? 'Restore' : 'Archive'}
            </button>
          )}
        </div>
      </header>

      <div className="env-bar">
        <EnvSwitcher
          value={env.key}
          onSelect={(next) =>
            navigate(
              inProject(
                `/flags/${encodeURIComponent(key)}/${next}${tab === 'targeting' ? '' : `?tab=${tab}`}`,
              ),
            )
          }
        />
      </div>

      {config.isPending && <Loading label="Loading config…" />}
      <ErrorBanner error={config.error} />
      {config.data && (
        <section className="card kill-switch-card" aria-label={`State in ${env.name}`}>
          <KillSwitch
            flag={f}
            config={config.data}
            env={env}
            envIndex={envIndex}
            canEdit={canEdit}
            pending={myPending}
          />
        </section>
      )}
      <OpenChangesBanner flag={f.key} environment={env.key} variations={f.variations} me={me} />
      {me && !canEdit && <ReadOnlyNote role={me.role} needs="editor" />}

      <nav className="tabs" aria-label="Flag sections">
        {TABS.map((t) => (
          <Link
            key={t.id}
            to={inProject(
              `/flags/${encodeURIComponent(key)}/${env.key}${t.id === 'targeting' ? '' : `?tab=${t.id}`}`,
            )}
            className={t.id === tab ? 'tab active' : 'tab'}
            aria-current={t.id === tab ? 'page' : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>

      {tab === 'targeting' && config.data && (
        <TargetingEditor
          key={`${f.key}/${env.key}`}
          flag={f}
          config={config.data}
          env={env}
          canEdit={canEdit}
          segments={segments.data ?? []}
          pending={myPending}
        />
      )}
      {tab === 'exposures' && <ExposureChart flag={f} env={env} />}
      {tab === 'test' && <TestContext flag={f} env={env} config={config.data} />}
      {tab === 'release' && (
        <ReleasePlan flag={f} env={env} config={config.data} segments={segments.data ?? []} />
      )}
      {tab === 'compare' && <CompareEnvironments flag={f} environments={environments} />}
      {tab === 'history' && <FlagHistory flagKey={f.key} envIndex={indexOf} />}
      <EditFlagDialog open={editing} flag={f} environments={environments} onClose={() => setEditing(false)} />
    </div>
  );
}
