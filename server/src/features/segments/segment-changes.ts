import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import type { Write } from '../../db/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import type { ProposedSegment } from '../change-requests/change-request.js';
import { listApprovedConfigProposals } from '../change-requests/change-requests.store.js';
import { listEnvironments } from '../environments/environments.store.js';
import { type SegmentRow, segmentWire } from '../flags/flag-model.js';
import { listAllConfigs } from '../flags/flags.store.js';
import { updateSegment } from './segments.store.js';

/** How a segment write is recorded in the audit trail. */
export interface SegmentWriteEntry {
  comment?: string;
  changeRequestId?: string;
  onBehalfOf?: Actor;
}

/** Whether a config's rules name the segment. */
export function usesSegment(config: Pick<FlagConfig, 'rules'>, key: string): boolean {
  return config.rules.some((rule) =>
    rule.clauses.some((clause) => clause.op === 'inSegment' && clause.values.includes(key)),
  );
}

/**
 * The approval-required environments whose served values a change to this segment would change:
 * those where a live flag's config uses it, or where an approved change waiting for its time will
 * (so that what was approved is what applies).
 */
export function segmentGatedEnvironments(db: Queryable, key: string): string[] {
  const gated = new Set<string>();
  const approval = new Map(
    listEnvironments(db)
      .filter((env) => env.requireApproval)
      .map((env) => [env.id, env.key]),
  );
  for (const { flag, config } of listAllConfigs(db)) {
    const env = approval.get(config.environmentId);
    if (
      env !== undefined &&
      !flag.archived &&
      usesSegment({ rules: config.rules as FlagConfig['rules'] }, key)
    ) {
      gated.add(env);
    }
  }
  for (const { environment, proposed } of listApprovedConfigProposals(db)) {
    if (approval.has(environment.id) && usesSegment(proposed as FlagConfig, key)) gated.add(environment.key);
  }
  return [...gated].sort();
}

/** A segment as a change request proposes it (and as its `before` shows it). */
export function proposedSegment(row: SegmentRow): ProposedSegment {
  return { ...segmentWire(row), name: row.name, description: row.description };
}

/**
 * Stores `next` (validated, with the next version) as the segment inside a write: the row, its
 * `segment.update` audit event, and a patch for every environment.
 */
export function applySegment(
  w: Write,
  before: SegmentRow,
  next: ProposedSegment,
  entry: SegmentWriteEntry,
): SegmentRow {
  const row = updateSegment(w.tx, before.id, {
    name: next.name,
    description: next.description,
    version: next.version,
    included: next.included,
    excluded: next.excluded,
    rules: next.rules,
    updatedAt: w.now,
  });
  w.audit({
    ...entry,
    action: 'segment.update',
    resource: { type: 'segment', key: row.key },
    before: segmentView(before),
    after: segmentView(row),
  });
  for (const env of listEnvironments(w.tx)) w.changed(env.key, { segments: { [row.key]: segmentWire(row) } });
  return row;
}

/** A segment as the API and the audit trail show it: the wire segment plus name and description. */
export interface SegmentView extends ProposedSegment {
  createdAt: string;
  updatedAt: string;
}

export function segmentView(row: SegmentRow): SegmentView {
  return { ...proposedSegment(row), createdAt: row.createdAt, updatedAt: row.updatedAt };
}
