import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { Write } from '../../write/unit-of-work.js';
import type { Located } from '../flag-configs/apply-config.js';
import { composeConfig, type FlagRow, type FlagView, type SegmentRow } from '../flags/flag-model.js';
import {
  type ChangeRequest,
  type ChangeRequestKind,
  type ChangeRequestRecord,
  changeRequestResource,
  changeRequestView,
  type ProposedSegment,
} from './change-request.js';
import { insertChangeRequest } from './change-requests.store.js';
import type { Requester } from './requester.js';

/** What a write that cannot apply at once leaves behind. */
export interface NewChangeRequest {
  located: Located;
  kind: ChangeRequestKind;
  /** The validated config that would result. */
  proposed: FlagConfig;
  requester: Requester;
  comment?: string;
  /** ISO 8601 (UTC), in the future. */
  applyAt?: string;
  /** Whether a second person must approve it (the environment requires approval). */
  needsApproval: boolean;
}

/** A global change (a flag's global part, or a segment) that approval-required environments gate. */
export type NewGlobalChangeRequest = {
  requester: Requester;
  comment?: string;
  /** The approval-required environments whose served values it would change (never empty). */
  environments: string[];
} & (
  | { kind: 'flag' | 'archive' | 'unarchive'; flag: FlagRow; before: FlagView; proposed: FlagView }
  | { kind: 'segment'; segment: SegmentRow; before: ProposedSegment; proposed: ProposedSegment }
);

interface Insert {
  record: Omit<ChangeRequestRecord, 'row'>;
  ids: { flagId: number | null; environmentId: number | null; segmentId: number | null };
  kind: ChangeRequestKind;
  environments: string[];
  before: unknown;
  proposed: unknown;
  baseVersion: number;
  requester: Requester;
  comment?: string;
  applyAt?: string;
  needsApproval: boolean;
}

/** Inserts the row and its `change_request.create` audit event (before = now, after = the proposal). */
async function open(w: Write, input: Insert): Promise<ChangeRequest> {
  const row = await insertChangeRequest(w.tx, {
    ...input.ids,
    kind: input.kind,
    environments: input.environments,
    state: input.needsApproval ? 'pending' : 'scheduled',
    proposed: input.proposed,
    baseVersion: input.baseVersion,
    author: input.requester.actor,
    authorUserId: input.requester.userId,
    comment: input.comment ?? null,
    applyAt: input.applyAt ?? null,
    createdAt: w.now,
    updatedAt: w.now,
  });
  const record = { ...input.record, row };
  w.audit({
    action: 'change_request.create',
    resource: changeRequestResource(record),
    before: input.before,
    after: input.proposed,
    comment: input.comment,
    changeRequestId: String(row.id),
  });
  return changeRequestView(record);
}

/**
 * Records a change request for one config inside a write, with its audit event
 * (`change_request.create`, before = the current config, after = the proposal). Without approval it
 * is `scheduled` at once.
 *
 * @example
 * await runWrite(deps, requester.actor, (w) => openChangeRequest(w, { located, kind: 'config', proposed, … }));
 */
export async function openChangeRequest(w: Write, input: NewChangeRequest): Promise<ChangeRequest> {
  const { flag, env, config } = input.located;
  return open(w, {
    record: { flag: flag.key, environment: env.key, segment: null },
    ids: { flagId: flag.id, environmentId: env.id, segmentId: null },
    kind: input.kind,
    environments: [],
    before: composeConfig(flag, config),
    proposed: input.proposed,
    baseVersion: config.version,
    requester: input.requester,
    comment: input.comment,
    applyAt: input.applyAt,
    needsApproval: input.needsApproval,
  });
}

/**
 * Records a pending change request for a global change — a flag's variations, clientSide or
 * archiving, or a segment — that would change what approval-required environments serve. Its base
 * version is the flag's or segment's version now.
 *
 * @example
 * await openGlobalChangeRequest(w, { kind: 'segment', segment, before, proposed, environments: ['production'], requester });
 */
export async function openGlobalChangeRequest(
  w: Write,
  input: NewGlobalChangeRequest,
): Promise<ChangeRequest> {
  const subject =
    input.kind === 'segment'
      ? {
          record: { flag: null, environment: null, segment: input.segment.key },
          ids: { flagId: null, environmentId: null, segmentId: input.segment.id },
          baseVersion: input.segment.version,
        }
      : {
          record: { flag: input.flag.key, environment: null, segment: null },
          ids: { flagId: input.flag.id, environmentId: null, segmentId: null },
          baseVersion: input.flag.version,
        };
  return open(w, {
    ...subject,
    kind: input.kind,
    environments: input.environments,
    before: input.before,
    proposed: input.proposed,
    requester: input.requester,
    comment: input.comment,
    needsApproval: true,
  });
}
