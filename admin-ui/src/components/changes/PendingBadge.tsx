import { whereOf } from '../../app/changes/changesApi';
import type { ChangeRequest } from '../../types';

/**
 * "2 pending" next to a flag with open change requests; the title says where and what.
 *
 * @example
 * <PendingBadge requests={openByFlag(items).get(flag.key)} />
 */
export function PendingBadge({ requests }: { requests: readonly ChangeRequest[] | undefined }) {
  if (!requests || requests.length === 0) return null;
  const pending = requests.filter((r) => r.state === 'pending').length;
  const scheduled = requests.length - pending;
  const label = [pending > 0 && `${pending} pending`, scheduled > 0 && `${scheduled} scheduled`]
    .filter(Boolean)
    .join(', ');
  const title = requests.map((r) => `#${r.id} ${r.state} in ${whereOf(r)}`).join('\n');
  return (
    <span className="badge badge-pending" title={title} data-testid="pending-badge">
      {label}
    </span>
  );
}
