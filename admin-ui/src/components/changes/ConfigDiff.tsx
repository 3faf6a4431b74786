import { describeChanges, describeConflict, describeOperations } from '../../lib/describe';
import { diffJson } from '../../lib/diff';
import type { ConfigConflict, ConfigOperation, Rule, Variation } from '../../types';

/** Fields that change with every write and say nothing. */
const NOISE = /^(version|updatedAt|createdAt)$/;

const json = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const rulesOf = (value: unknown): Rule[] =>
  isRecord(value) && Array.isArray(value.rules) ? (value.rules as Rule[]) : [];
const variationsOf = (value: unknown): Variation[] =>
  isRecord(value) && Array.isArray(value.variations) ? (value.variations as Variation[]) : [];

/**
 * What a change does or did, in words: a change request's steps (`operations`) when it has them,
 * else the difference from `before` to `after` (a config, flag, segment or anything else). Conflicts
 * are listed per field. The raw JSON of every changed field is one click away ("Show JSON").
 *
 * @example
 * <ConfigDiff before={current} after={request.proposed} operations={request.operations} />
 */
export function ConfigDiff({
  before,
  after,
  operations = [],
  conflicts,
  label = 'Proposed changes',
  empty = 'No difference from the current config.',
}: {
  before: unknown;
  after: unknown;
  operations?: readonly ConfigOperation[];
  conflicts?: readonly ConfigConflict[] | null;
  /** The accessible name of the list. */
  label?: string;
  /** What to say when nothing changes; nothing at all when null. */
  empty?: string | null;
}) {
  const rules = [...rulesOf(before), ...rulesOf(after)];
  const variations = variationsOf(after).length > 0 ? variationsOf(after) : variationsOf(before);
  const lines =
    operations.length > 0
      ? describeOperations(operations, { variations, rules })
      : describeChanges(before, after);
  const raw = diffJson(before, after).filter((change) => !NOISE.test(change.path));
  return (
    <div className="change-summary">
      {lines.length === 0 ? (
        empty !== null && <p className="muted">{empty}</p>
      ) : (
        <ul className="compact-list" aria-label={label}>
          {lines.map((line, index) => (
            // Two steps may read alike; their place in the list tells them apart.
            // biome-ignore lint/suspicious/noArrayIndexKey: the list is rebuilt whole, never reordered.
            <li key={index}>{line}</li>
          ))}
        </ul>
      )}
      {conflicts && conflicts.length > 0 && (
        <div className="banner banner-warning">
          <strong>Conflicts</strong>
          <ul aria-label="Conflicts">
            {conflicts.map((conflict) => (
              <li key={`${conflict.path}:${conflict.message}`}>{describeConflict(conflict, rules)}</li>
            ))}
          </ul>
        </div>
      )}
      {raw.length > 0 && (
        <details className="audit-diff show-json">
          <summary>Show JSON</summary>
          <table className="diff-table">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {raw.map((change) => (
                <tr key={`${change.path}:${change.kind}`} className={`diff-${change.kind}`}>
                  <td className="mono">{change.path || '(all)'}</td>
                  <td className="diff-before mono">{json(change.before)}</td>
                  <td className="diff-after mono">{json(change.after)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}
