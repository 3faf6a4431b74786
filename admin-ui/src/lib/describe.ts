import type { Clause, ClauseOp, Prerequisite, Rule, Serve, Target, Variation } from '../types';
import { formatPercent } from './rollout';
import { variationLabel } from './variation-colors';

/** Operators as people say them. */
export const OP_LABELS: Record<ClauseOp, string> = {
  in: 'is one of',
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
  matches: 'matches regex',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  before: 'is before',
  after: 'is after',
  semverEq: 'semver =',
  semverLt: 'semver <',
  semverGt: 'semver >',
  inSegment: 'is in segment',
};

/**
 * A condition in one line.
 *
 * @example
 * describeClause({ attribute: 'groups', op: 'in', values: ['beta'] }); // "groups is one of beta"
 */
export function describeClause(clause: Clause): string {
  const values = clause.values.map(String).join(', ');
  const subject = clause.op === 'inSegment' ? 'context' : (clause.attribute ?? '?');
  return `${subject} ${clause.negate ? 'not ' : ''}${OP_LABELS[clause.op]} ${values}`;
}

/** What a serve gives: "on", or "off 75% · on 25%". */
export function describeServe(serve: Serve, variations: readonly Variation[]): string {
  if ('variation' in serve) return variationLabel(variations, serve.variation);
  return serve.rollout.variations
    .filter((v) => v.weight > 0)
    .map((v) => `${variationLabel(variations, v.variation)} ${formatPercent(v.weight)}`)
    .join(' · ');
}

/** A rule in one line: "If groups is one of beta → on". */
export function describeRule(rule: Rule, variations: readonly Variation[]): string {
  const conditions = rule.clauses.map(describeClause).join(' and ');
  return `${rule.name ? `${rule.name}: ` : ''}if ${conditions} → ${describeServe(rule.serve, variations)}`;
}

/** Individual targets in one line: "on: user-1, user-2". */
export function describeTargets(targets: readonly Target[], variations: readonly Variation[]): string {
  const parts = targets
    .filter((t) => t.keys.length > 0)
    .map(
      (t) =>
        `${variationLabel(variations, t.variation)}: ${t.keys.length} key${t.keys.length === 1 ? '' : 's'}`,
    );
  return parts.length === 0 ? 'none' : parts.join(' · ');
}
/** "payments-v2 must serve on". */
export function describePrerequisite(prerequisite: Prerequisite): string {
  return `${prerequisite.flag} must serve ${prerequisite.variation}`;
}
