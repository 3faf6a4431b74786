import { useId } from 'react';
import { useAudit } from '../../app/audit/auditApi';
import { AuditEventItem } from '../audit/AuditEventItem';
import { EmptyState, ErrorBanner, Loading } from '../common/Feedback';

/** The flag's own audit trail, every environment, newest first. */
export function FlagHistory({ flagKey, envIndex }: { flagKey: string; envIndex: (key: string) => number }) {
  const id = useId();
  const audit = useAudit({ resourceType: 'flag', resource: flagKey }, 25);
  const events = audit.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <header className="card-header">
        <div>
          <h3 id={`${id}-title`}>History</h3>
          <p className="muted">Every change to this flag, who made it and what it changed.</p>
        </div>
      </header>
      {audit.isPending && <Loading label="Loading history…" />}
      <ErrorBanner error={audit.error} />
      {audit.isSuccess && events.length === 0 && <EmptyState title="No changes yet" />}
      <ol className="audit-list" data-testid="flag-history">
        {events.map((event) => (
          <AuditEventItem key={event.id} event={event} envIndex={envIndex} showResource={false} />
        ))}
      </ol>
      {audit.hasNextPage && (
        <button
          type="button"
          className="button"
          onClick={() => void audit.fetchNextPage()}
          disabled={audit.isFetchingNextPage}
        >
          {audit.isFetchingNextPage ? 'Loading…' : 'Show older changes'}
        </button>
      )}
    </section>
  );
}
