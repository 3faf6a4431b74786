import type { CSSProperties } from 'react';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { PendingBadge } from '../../components/changes/PendingBadge';
import { EmptyState, ErrorBanner, Loading } from '../../components/common/Feedback';
import { NewFlagDialog } from '../../components/flags/NewFlagDialog';
import { StatusPill } from '../../components/flags/StatusPill';
import { useCurrentEnv } from '../../components/layout/current-env';
import { useProjectPath } from '../../components/layout/current-project';
import { EnvSwitcher } from '../../components/layout/EnvSwitcher';
import { envColor } from '../../lib/env-colors';
import { DEFAULT_STALE_DAYS, isStale } from '../../lib/stale';
import { formatDateTime, latest, relativeTime } from '../../lib/time';
import { useCan } from '../auth/authApi';
import { openByFlag, useOpenChangeRequests } from '../changes/changesApi';
import { useFlagStates, useFlags } from './flagsApi';

const STALE_KEY = 'ringflag.staleDays';

/** The flags list: what is on where, at a glance. */
export function Flags() {
  const inProject = useProjectPath();
  const flags = useFlags();
  const states = useFlagStates();
  const openChanges = useOpenChangeRequests();
  const open = useMemo(() => openByFlag(openChanges.data ?? []), [openChanges.data]);
  const { environments, current } = useCurrentEnv();
  const canCreate = useCan('editor');
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const [staleDays, setStaleDays] = useState(
    () => Number(localStorage.getItem(STALE_KEY)) || DEFAULT_STALE_DAYS,
  );
  const search = params.get('q') ?? '';
  const tag = params.get('tag') ?? '';
  const kind = params.get('kind') ?? '';
  const archived = params.get('archived') === 'true';
  const staleOnly = params.get('stale') === 'true';
  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };

  const now = new Date();
  const allTags = useMemo(() => [...new Set((flags.data ?? []).flatMap((f) => f.tags))].sort(), [flags.data]);
  const visible = (flags.data ?? []).filter((flag) => {
    if (flag.archived !== archived) return false;
    if (tag && !flag.tags.includes(tag)) return false;
    if (kind && flag.kind !== kind) return false;
    if (staleOnly && !isStale(flag, states.data?.get(flag.key), staleDays, now)) return false;
    const q = search.trim().toLowerCase();
    return (
      q === '' ||
      [flag.key, flag.name, flag.description, ...flag.tags].some((text) => text.toLowerCase().includes(q))
    );
  });

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Flags</h1>
          <p className="muted">
            {flags.data
              ? `${visible.length} of ${flags.data.filter((f) => f.archived === archived).length} flags`
              : ' '}
          </p>
        </div>
        <div className="page-actions">
          <EnvSwitcher />
          {canCreate && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              + Create flag
            </button>
          )}
        </div>
      </header>

      <search className="toolbar">
        <div className="field field-grow">
          <label htmlFor="flag-search" className="visually-hidden">
            Search flags
          </label>
          <input
            id="flag-search"
            type="search"
            placeholder="Search by key, name, description or tag"
            value={search}
            onChange={(event) => setParam('q', event.target.value)}
          />
        </div>
        <div className="field field-inline">
          <label htmlFor="flag-tag">Tag</label>
          <select id="flag-tag" value={tag} onChange={(event) => setParam('tag', event.target.value)}>
            <option value="">Any</option>
            {allTags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor="flag-kind">Kind</label>
          <select id="flag-kind" value={kind} onChange={(event) => setParam('kind', event.target.value)}>
            <option value="">Any</option>
            <option value="boolean">Boolean</option>
            <option value="string">String</option>
            <option value="number">Number</option>
            <option value="json">JSON</option>
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor="stale-days">Stale after</label>
          <input
            id="stale-days"
            type="number"
            min={1}
            max={3650}
            className="input-small"
            value={staleDays}
            onChange={(event) => {
              const days = Math.max(1, Number(event.target.value) || DEFAULT_STALE_DAYS);
              setStaleDays(days);
              localStorage.setItem(STALE_KEY, String(days));
            }}
          />
          <span className="muted">days</span>
        </div>
        <label className="check-inline">
          <input
            type="checkbox"
            checked={staleOnly}
            onChange={(event) => setParam('stale', event.target.checked ? 'true' : '')}
          />
          Stale only
        </label>
        <label className="check-inline">
          <input
            type="checkbox"
            checked={archived}
            onChange={(event) => setParam('archived', event.target.checked ? 'true' : '')}
          />
          Archived
        </label>
      </search>

      <ErrorBanner error={flags.error ?? states.error} />
      {flags.isPending && <Loading label="Loading flags…" />}
      {flags.isSuccess && flags.data.length === 0 && (
        <EmptyState title="No flags yet">
          <p>A flag lets you ship code dark and turn it on for some people, then everyone.</p>
          {canCreate && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              Create your first flag
            </button>
          )}
        </EmptyState>
      )}
      {flags.isSuccess && flags.data.length > 0 && visible.length === 0 && (
        <EmptyState title="No flag matches these filters" />
      )}
      {visible.length > 0 && (
        <div className="card card-flush">
          <table className="flags-table">
            <thead>
              <tr>
                <th scope="col">Flag</th>
                {environments.map((env, i) => (
                  <th
                    key={env.key}
                    scope="col"
                    className={env.key === current ? 'env-col current' : 'env-col'}
                    style={{ '--env': envColor(env.key, i) } as CSSProperties}
                  >
                    <span className="env-badge">
                      <span className="env-dot" aria-hidden="true" />
                      {env.name}
                    </span>
                  </th>
                ))}
                <th scope="col">Last change</th>
                <th scope="col">Last evaluated</th>
              </tr>
            </thead>
            <tbody>
              {visible.map((flag) => {
                const state = states.data?.get(flag.key);
                const envStates = Object.values(state?.environments ?? {});
                const changed = envStates.reduce<string | null>(
                  (at, s) => latest(at, s.updatedAt),
                  flag.updatedAt,
                );
                const evaluated = envStates.reduce<string | null>(
                  (at, s) => latest(at, s.lastEvaluatedAt),
                  null,
                );
                const stale = isStale(flag, state, staleDays, now);
                return (
                  <tr key={flag.key} data-flag={flag.key}>
                    <td className="flag-cell">
                      <Link
                        to={inProject(`/flags/${encodeURIComponent(flag.key)}/${current}`)}
                        className="flag-name"
                      >
                        {flag.name}
                      </Link>
                      <div className="flag-meta">
                        <code>{flag.key}</code>
                        <span className="kind">{flag.kind}</span>
                        {flag.temporary ? null : <span className="badge badge-muted">permanent</span>}
                        <PendingBadge requests={open.get(flag.key)} />
                        {stale && (
                          <span
                            className="badge badge-stale"
                            title={`No change or evaluation in ${staleDays} days`}
                          >
                            stale
                          </span>
                        )}
                        {flag.tags.map((t) => (
                          <button key={t} type="button" className="tag" onClick={() => setParam('tag', t)}>
                            {t}
                          </button>
                        ))}
                      </div>
                    </td>
                    {environments.map((env) => (
                      <td key={env.key} className={env.key === current ? 'env-col current' : 'env-col'}>
                        <button
                          type="button"
                          className="pill-button"
                          aria-label={`${flag.name} in ${env.name}`}
                          onClick={() =>
                            navigate(inProject(`/flags/${encodeURIComponent(flag.key)}/${env.key}`))
                          }
                        >
                          <StatusPill config={state?.environments[env.key]?.config} envName={env.name} />
                        </button>
                      </td>
                    ))}
                    <td className="time-cell">
                      {changed ? (
                        <time dateTime={changed} title={formatDateTime(changed)}>
                          {relativeTime(changed, now)}
                        </time>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className="time-cell">
                      {evaluated ? (
                        <time dateTime={evaluated} title={formatDateTime(evaluated)}>
                          {relativeTime(evaluated, now)}
                        </time>
                      ) : (
                        <span className="muted">never</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <NewFlagDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(flag) => {
          setCreating(false);
          navigate(inProject(`/flags/${encodeURIComponent(flag.key)}/${current}`));
        }}
      />
    </div>
  );
}
