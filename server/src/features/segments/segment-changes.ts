import type { z } from '@hono/zod-openapi';
import type { FlagConfig, Segment } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import type { Write } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import type { ProposedSegment } from '../change-requests/change-request.js';
import { listOpenChangeRequests } from '../change-requests/change-requests.store.js';
import { listEnvironments } from '../environments/environments.store.js';
import { type SegmentRow, segmentWire } from '../flags/flag-model.js';
import { listAllConfigs } from '../flags/flags.store.js';
import { projectInScope } from '../projects/project-scope.js';
import type { ReleaseStage } from '../releases/release-schemas.js';
import { listActivePlans } from '../releases/releases.store.js';
import type { segmentViewSchema } from './segment-schemas.js';
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

/** Something that names a segment, and the approval-required environment it ties the segment to. */
export interface SegmentDependent {
  /** How a 409 names it: `flag "checkout" in production`, `change request #4`, `release plan #2 …`. */
  what: string;
  /** The approval-required environment whose served values it would change, or null. */
  gates: string | null;
}

/**
 * Everything that names the segment: the configs of every flag (archived ones too, as an unarchive
 * would serve them again) in every environment; the open change requests (pending, or approved and
 * waiting for their time) whose proposed config uses it or that change it; and the stages of active
 * release plans (later stages included, as advancing serves them). Those in approval-required
 * environments pin it: a change to its members or rules there needs a second person, so that what an
 * approver saw is what serves.
 */
export async function segmentDependents(
  q: Queryable,
  segment: Pick<SegmentRow, 'id' | 'key'>,
): Promise<SegmentDependent[]> {
  const environments = new Map((await listEnvironments(q)).map((env) => [env.id, env]));
  const gates = (environmentId: number | null) => {
    const env = environmentId === null ? undefined : environments.get(environmentId);
    return env?.requireApproval ? env.key : null;
  };
  const dependents: SegmentDependent[] = [];
  for (const { flag, config } of await listAllConfigs(q)) {
    if (!usesSegment({ rules: config.rules as FlagConfig['rules'] }, segment.key)) continue;
    const env = environments.get(config.environmentId)?.key ?? String(config.environmentId);
    dependents.push({ what: `flag "${flag.key}" in ${env}`, gates: gates(config.environmentId) });
  }
  for (const request of await listOpenChangeRequests(q)) {
    const usesIt =
      request.kind === 'segment'
        ? request.segmentId === segment.id
        : (request.kind === 'config' || request.kind === 'toggle') &&
          usesSegment(request.proposed as FlagConfig, segment.key);
    if (!usesIt) continue;
    dependents.push({
      what: `change request #${request.id}`,
      gates: request.kind === 'segment' ? null : gates(request.environmentId),
    });
  }
  for (const { plan, flagKey, environmentKey } of await listActivePlans(q, projectInScope().id)) {
    const stages = plan.stages as ReleaseStage[];
    if (!stages.some((stage) => stage.segments?.includes(segment.key))) continue;
    dependents.push({
      what: `release plan #${plan.id} of flag "${flagKey}" in ${environmentKey}`,
      gates: gates(plan.environmentId),
    });
  }
  return dependents;
}

/** The approval-required environments a change to this segment's members or rules would change. */
export async function segmentGatedEnvironments(
  q: Queryable,
  segment: Pick<SegmentRow, 'id' | 'key'>,
): Promise<string[]> {
  const gated = new Set<string>();
  for (const { gates } of await segmentDependents(q, segment)) if (gates !== null) gated.add(gates);
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
export async function applySegment(
  w: Write,
  before: SegmentRow,
  next: ProposedSegment,
  entry: SegmentWriteEntry,
): Promise<SegmentRow> {
  const row = await updateSegment(w.tx, before.id, {
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
  await publishSegment(w, row.key, segmentWire(row));
  return row;
}

/** Notes inside a write that a segment changed (its wire form, or null when deleted) in every environment. */
export async function publishSegment(w: Write, key: string, segment: Segment | null): Promise<void> {
  for (const env of await listEnvironments(w.tx)) w.changed(env.ref, { segments: { [key]: segment } });
}

/** A segment as the API and the audit trail show it: the wire segment plus name and description. */
export type SegmentView = z.infer<typeof segmentViewSchema>;

export function segmentView(row: SegmentRow): SegmentView {
  return { ...proposedSegment(row), createdAt: row.createdAt, updatedAt: row.updatedAt };
}
