import { type FlagConfig, LIMITS } from '@ringflag/sdk-node/engine';
import { PayloadTooLargeError } from '../../errors/index.js';
import type { Write } from '../../write/unit-of-work.js';
import { canonicalJson } from '../audit/canonical-json.js';
import { samePerson } from '../auth/four-eyes.js';
import type { Located } from '../flag-configs/apply-config.js';
import { composeConfig, type FlagRow, type FlagView, type SegmentRow } from '../flags/flag-model.js';
import {
  type ChangeRequest,
  type ChangeRequestKind,
  type ChangeRequestRecord,
  type ConfigOperation,
  changeRequestResource,
  changeRequestView,
  type ProposedSegment,
} from './change-request.js';
import {
  insertChangeRequest,
  listPendingConfigRequests,
  updateChangeRequestFrom,
} from './change-requests.store.js';
import { mergeOperations } from './config-operations.js';
import { operationsOf, presentChangeRequest, proposalOf } from './config-requests.js';
import type { Requester } from './requester.js';

/** A config write that cannot apply at once: what the author changed, as operations. */
export interface NewChangeRequest {
  located: Located;
  kind: 'config' | 'toggle';
  /** The author's changes against the live config (a toggle: one `set enabled`). */
  operations: ConfigOperation[];
  requester: Requester;
  comment?: string;
  /** ISO 8601 (UTC), in the future. */
  applyAt?: string;
  /** Whether a second person must approve it (the environment requires approval). */
  needsApproval: boolean;
  /** The largest request body, in bytes: what a request may grow to is bounded by it. */
  bodyLimitBytes: number;
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
  /** A config or toggle request's operations. */
  operations?: ConfigOperation[];
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
    operations: input.operations ?? null,
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

/** Whether every operation only switches the flag on or off. */
function onlyToggles(operations: readonly ConfigOperation[]): boolean {
  return operations.every((op) => op.op === 'set' && op.field === 'enabled');
}

/**
 * Room, beyond the before and after values, for what names each operation: an operation name, a
 * field, rule ids — at most an update and a move for each of the rules a config may hold.
 */
const OPERATION_FRAMING_BYTES = LIMITS.rules * 2 * (2 * LIMITS.keyLength + 64);

/**
 * Refuses (413) a request that would hold more than writes can carry: a config (its targeting; the
 * variations are the flag's) over the body limit — one a direct write could not make either — or
 * operations over twice it (each holds what it changes from and to) plus {@link OPERATION_FRAMING_BYTES}.
 * So the pending requests an author builds up write after write stay bounded by the body limit.
 */
function checkSize(
  operations: readonly ConfigOperation[],
  proposed: FlagConfig,
  bodyLimitBytes: number,
): void {
  const { enabled, offVariation, prerequisites, targets, rules, fallthrough } = proposed;
  const targeting = { enabled, offVariation, prerequisites, targets, rules, fallthrough };
  const config = Buffer.byteLength(canonicalJson(targeting));
  if (config > bodyLimitBytes) {
    throw new PayloadTooLargeError(
      `The change request would make a config of ${config} bytes, over the ${bodyLimitBytes}-byte limit of a write; withdraw it, or change less`,
    );
  }
  const limit = 2 * bodyLimitBytes + OPERATION_FRAMING_BYTES;
  const bytes = Buffer.byteLength(canonicalJson(operations));
  if (bytes > limit) {
    throw new PayloadTooLargeError(
      `The change request's operations would take ${bytes} bytes, over their limit of ${limit}; withdraw it, or change less`,
    );
  }
}

/**
 * Adds a write's operations to its author's pending request (DESIGN §4): an operation on the same
 * field or rule replaces the earlier one, one that leaves its field as it is live drops out. Audited
 * as `change_request.update` (before/after: the operations), and the request's revision goes up, so an
 * approval of the revision a reviewer saw fails; withdrawn (`change_request.withdraw`) when nothing is
 * left. A given `applyAt` or comment replaces the request's. The merged request must be valid (400
 * with field paths) and within the size limits (413). Returns undefined, changing nothing, when the
 * request is no longer `pending` at the revision read (approved or changed by another write first):
 * the update is conditional on both, so an approved or scheduled request is never changed.
 */
async function addToPending(
  w: Write,
  record: ChangeRequestRecord,
  input: NewChangeRequest,
): Promise<ChangeRequest | undefined> {
  const { row } = record;
  const live = composeConfig(input.located.flag, input.located.config);
  const earlier = await operationsOf(w.tx, record);
  const operations = mergeOperations(earlier, input.operations, live);
  const resource = changeRequestResource(record);
  const changeRequestId = String(row.id);
  const revision = row.revision + 1;
  if (operations.length === 0) {
    const withdrawn = await updateChangeRequestFrom(
      w.tx,
      row.id,
      'pending',
      { state: 'withdrawn', operations, revision, updatedAt: w.now },
      row.revision,
    );
    if (!withdrawn) return undefined;
    w.audit({
      action: 'change_request.withdraw',
      resource,
      before: { state: 'pending', operations: earlier },
      after: { state: 'withdrawn', operations },
      comment: input.comment ?? 'nothing left to change',
      changeRequestId,
    });
    return changeRequestView({ ...record, row: withdrawn }, { operations });
  }
  const unchanged =
    canonicalJson(operations) === canonicalJson(earlier) &&
    (input.applyAt === undefined || input.applyAt === row.applyAt) &&
    (input.comment === undefined || input.comment === row.comment) &&
    row.operations !== null;
  if (unchanged) return presentChangeRequest(w.tx, record);
  const proposed = await proposalOf(w.tx, input.located, operations);
  checkSize(operations, proposed, input.bodyLimitBytes);
  const updated = await updateChangeRequestFrom(
    w.tx,
    row.id,
    'pending',
    {
      kind: row.kind === 'toggle' && onlyToggles(operations) ? 'toggle' : 'config',
      operations,
      proposed,
      applyAt: input.applyAt ?? row.applyAt,
      comment: input.comment ?? row.comment,
      revision,
      updatedAt: w.now,
    },
    row.revision,
  );
  if (!updated) return undefined;
  w.audit({
    action: 'change_request.update',
    resource,
    before: earlier,
    after: operations,
    comment: input.comment,
    changeRequestId,
  });
  return presentChangeRequest(w.tx, { ...record, row: updated });
}

/**
 * Records a config or toggle change inside a write. Where approval is needed and the author (the
 * person, whatever token they use) already has a pending request on this flag in this environment,
 * the operations go into that one; otherwise — or when that request stops being pending before the
 * write changes it — a new request opens (`change_request.create`, before = the live config, after =
 * the proposal), `scheduled` at once when no approval is needed. Returns undefined, recording
 * nothing, when the operations change nothing and there is no request to add to. A request that would
 * be invalid is refused (400 with field paths), one over the size limits too (413).
 *
 * @example
 * await runWrite(deps, requester.actor, (w) => requestConfigChange(w, { located, kind: 'config', operations, … }));
 */
export async function requestConfigChange(
  w: Write,
  input: NewChangeRequest,
): Promise<ChangeRequest | undefined> {
  const { flag, env, config } = input.located;
  if (input.needsApproval) {
    const pending = await listPendingConfigRequests(w.tx, flag.id, env.id);
    const own = pending.find((record) =>
      samePerson(input.requester, { actor: record.row.author, userId: record.row.authorUserId }),
    );
    const merged = own && (await addToPending(w, own, input));
    if (merged) return merged;
  }
  const live = composeConfig(flag, config);
  const operations = mergeOperations([], input.operations, live);
  if (operations.length === 0) return undefined;
  const proposed = await proposalOf(w.tx, input.located, operations);
  checkSize(operations, proposed, input.bodyLimitBytes);
  return open(w, {
    record: { flag: flag.key, environment: env.key, segment: null },
    ids: { flagId: flag.id, environmentId: env.id, segmentId: null },
    kind: input.kind,
    environments: [],
    before: live,
    proposed,
    operations,
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
