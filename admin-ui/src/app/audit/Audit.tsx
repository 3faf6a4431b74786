import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { AuditEventItem, KNOWN_ACTIONS } from '../../components/audit/AuditEventItem';
import { useActorLabel } from '../../components/common/ActorName';
import { EmptyState, ErrorBanner, Loading } from '../../components/common/Feedback';
import { useCurrentEnv } from '../../components/layout/current-env';
import { type AuditFilters, auditExportUrl, useAudit, useAuditVerification } from './auditApi';

const FILTERS = ['resourceType', 'resource', 'environment', 'actor', 'action', 'since', 'until'] as const;

/** `datetime-local` value (local time) → ISO 8601, or undefined. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The audit log: every change, filterable, with diffs, chain verification and export. */
export function Audit() {
  const [params, setParams] = useSearchParams();
  const { environments, indexOf } = useCurrentEnv();
  const filters: AuditFilters = useMemo(() => {
    const out: AuditFilters = {};
    for (const name of FILTERS) {
      const value = params.get(name);
      if (!value) continue;
      out[name] = name === 'since' || name === 'until' ? localToIso(value) : value;
    }
    return out;
  }, [params]);
  const audit = useAudit(filters);
  const verify = useAuditVerification();
  const events = audit.data?.pages.flatMap((page) => page.items) ?? [];
  const actors = [...new Map(events.map((e) => [e.actor.id, e.actor])).values()];
  const labelOf = useActorLabel();
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Audit log</h1>
          <p className="muted">
            Who changed what, where, when, and why. Events are hash-chained and never edited.
          </p>
        </div>
        <div className="page-actions">
          <a className="button" href={auditExportUrl(filters, 'ndjson')} download>
            Export NDJSON
          </a>
          <a className="button" href={auditExportUrl(filters, 'csv')} download>
            Export CSV
          </a>
        </div>
      </header>

      <div className="verify" data-testid="chain-status">
        {verify.isPending && <Loading label="Verifying the hash chain…" />}
        {verify.data?.ok && (
          <p className="banner banner-success">
            ✓ Hash chain verified: all {verify.data.count} events are intact and in order
            {verify.data.signedThrough > 0 &&
              `, signed through event #${verify.data.signedThrough} (key ${verify.data.keyId})`}
            .
          </p>
        )}
        {verify.data && !verify.data.ok && (
          <p className="banner banner-error" role="alert">
            ✗ The audit log was altered outside Ringflag.{' '}
            {verify.data.reason ?? `The hash chain is broken at event #${verify.data.firstBadId}.`}
          </p>
        )}
        <ErrorBanner error={verify.error} title="Could not verify the chain" />
      </div>

      <form
        className="toolbar toolbar-wrap"
        aria-label="Filter events"
        onSubmit={(event) => event.preventDefault()}
      >
        <div className="field">
          <label htmlFor="audit-resource">Flag or resource key</label>
          <input
            id="audit-resource"
            value={params.get('resource') ?? ''}
            onChange={(event) => set('resource', event.target.value.trim())}
            placeholder="new-checkout"
          />
        </div>
        <div className="field">
          <label htmlFor="audit-type">Resource type</label>
          <select
            id="audit-type"
            value={params.get('resourceType') ?? ''}
            onChange={(event) => set('resourceType', event.target.value)}
          >
            <option value="">Any</option>
            {['flag', 'segment', 'environment', 'user', 'sdk_key', 'api_token'].map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-env">Environment</label>
          <select
            id="audit-env"
            value={params.get('environment') ?? ''}
            onChange={(event) => set('environment', event.target.value)}
          >
            <option value="">Any</option>
            {environments.map((env) => (
              <option key={env.key} value={env.key}>
                {env.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <input
            id="audit-actor"
            list="audit-actors"
            value={params.get('actor') ?? ''}
            onChange={(event) => set('actor', event.target.value.trim())}
            placeholder="user:1"
          />
          <datalist id="audit-actors">
            {actors.map((actor) => (
              <option key={actor.id} value={actor.id}>
                {labelOf(actor).name}
              </option>
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input
            id="audit-action"
            list="audit-actions"
            value={params.get('action') ?? ''}
            onChange={(event) => set('action', event.target.value.trim())}
            placeholder="flag.config.disable"
          />
          <datalist id="audit-actions">
            {KNOWN_ACTIONS.map((action) => (
              <option key={action} value={action} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="audit-since">From</label>
          <input
            id="audit-since"
            type="datetime-local"
            value={params.get('since') ?? ''}
            onChange={(event) => set('since', event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="audit-until">To</label>
          <input
            id="audit-until"
            type="datetime-local"
            value={params.get('until') ?? ''}
            onChange={(event) => set('until', event.target.value)}
          />
        </div>
        {[...params.keys()].length > 0 && (
          <button
            type="button"
            className="button button-ghost"
            onClick={() => setParams(new URLSearchParams(), { replace: true })}
          >
            Clear filters
          </button>
        )}
      </form>

      {audit.isPending && <Loading label="Loading events…" />}
      <ErrorBanner error={audit.error} />
      {audit.isSuccess && events.length === 0 && <EmptyState title="No events match these filters" />}
      {events.length > 0 && (
        <div className="card">
          <ol className="audit-list" data-testid="audit-list">
            {events.map((event) => (
              <AuditEventItem key={event.id} event={event} envIndex={indexOf} />
            ))}
          </ol>
          {audit.hasNextPage && (
            <button
              type="button"
              className="button"
              onClick={() => void audit.fetchNextPage()}
              disabled={audit.isFetchingNextPage}
            >
              {audit.isFetchingNextPage ? 'Loading…' : 'Load older events'}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
