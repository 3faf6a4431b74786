import { diffJson, preview } from '../../lib/diff';

/** Fields that change with every write and say nothing. */
const NOISE = /^(version|updatedAt|createdAt)$/;

/**
 * What a change would do to a config, field by field: the same before/after table as the audit log.
 *
 * @example
 * <ConfigDiff before={current} after={request.proposed} />
 */
export function ConfigDiff({ before, after }: { before: unknown; after: unknown }) {
  const changes = diffJson(before, after).filter((change) => !NOISE.test(change.path));
  if (changes.length === 0) return <p className="muted">No difference from the current config.</p>;
  return (
    <table className="diff-table" aria-label="Proposed changes">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Now</th>
          <th scope="col">Proposed</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change) => (
          <tr key={`${change.path}:${change.kind}`} className={`diff-${change.kind}`}>
            <td className="mono">{change.path || '(all)'}</td>
            <td className="diff-before mono">{change.kind === 'added' ? '' : preview(change.before)}</td>
            <td className="diff-after mono">{change.kind === 'removed' ? '' : preview(change.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
