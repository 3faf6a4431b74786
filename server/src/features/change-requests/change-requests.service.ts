import type { FlagConfig } from '@ringflag/sdk-node/engine';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors/index.js';
import { tentatively } from '../../write/savepoint.js';
import { runWrite, type Write, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { type Person, requireApprover, samePerson } from '../auth/four-eyes.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { type ConfigWriteEntry, locateConfig, writeConfig } from '../flag-configs/apply-config.js';
import { applyArchived, applyFlagChanges, type FlagWriteEntry } from '../flags/flag-changes.js';
import { composeConfig } from '../flags/flag-model.js';
import { findFlag, findSegment } from '../flags/flags.store.js';
import { inProject } from '../projects/project-scope.js';
import { applySegment, type SegmentWriteEntry } from '../segments/segment-changes.js';
import {
  type ChangeRequest,
  type ChangeRequestRecord,
  type ChangeRequestState,
  type ConfigConflict,
  changeRequestResource,
  changeRequestView,
  type FlagChangeRequest,
  type SegmentChangeRequest,
} from './change-request.js';
import {
  type ChangeRequestFilter,
  findChangeRequest,
  listChangeRequests,
  listDueChangeRequests,
  listUnreviewedScheduledIds,
  updateChangeRequestFrom,
} from './change-requests.store.js';
import { applyOperations, conflictSentence } from './config-operations.js';
import {
  invalidConflicts,
  liveConfigs,
  operationsOf,
  presentChangeRequest,
  proposalOf,
} from './config-requests.js';
import { type Requester, requesterOf } from './requester.js';

/** The actor of scheduled changes; their audit events name the author in `onBehalfOf`. */
export const SCHEDULER_ACTOR: Actor = { type: 'system', id: 'scheduler', name: 'scheduler' };

/**
 * A review's body: why, and the revision of the request the reviewer saw (a request whose author
 * changed it since is not reviewed: 409).
 */
export interface ReviewInput {
  comment?: string;
  revision?: number;
}

/** What an approval did: applied or scheduled the change, or found the config moved (a conflict). */
export type ApprovalOutcome =
  | { kind: 'approved'; changeRequest: ChangeRequest }
  | { kind: 'conflict'; changeRequest: ChangeRequest };

/**
 * The four-eyes workflow and the scheduler's work. Review actions take the caller's principal: who
 * stands behind it (the creator of an API token) is resolved inside the write.
 */
export interface ChangeRequestService {
  /** Newest first. */
  list(filter: ChangeRequestFilter, limit: number): Promise<ChangeRequest[]>;
  get(id: number): Promise<ChangeRequest>;
  /**
   * Approves a pending request (approver role, never its author — not through a token either):
   * applies it at once, or schedules it when its `applyAt` lies ahead. A config that moved since the
   * base version makes it `conflict`, committed, with nothing else changed. With `revision`, only
   * that revision is approved: one its author changed since is a 409 that changes nothing.
   */
  approve(principal: Principal, id: number, input?: ReviewInput): Promise<ApprovalOutcome>;
  /** Rejects a pending request (approver role, not its author); `revision` as for approve. */
  reject(principal: Principal, id: number, input?: ReviewInput): Promise<ChangeRequest>;
  /** Withdraws a pending request (its author only). */
  withdraw(principal: Principal, id: number, comment?: string): Promise<ChangeRequest>;
  /** Cancels a scheduled request (its author, or an admin). */
  cancel(principal: Principal, id: number, comment?: string): Promise<ChangeRequest>;
  /**
   * Applies every `scheduled` request whose time has come, as the scheduler; returns them. Each
   * applies in a write of its own, only if it is still `scheduled` then, so a request never applies
   * twice, even when two passes run at once.
   */
  applyDue(): Promise<ChangeRequest[]>;
}

interface Transition {
  state: ChangeRequestState;
  action: string;
  comment?: string;
  review?: { reviewer: Actor; reviewComment: string | null };
  onBehalfOf?: Actor;
}

/**
 * Moves a request from the state and revision it was read in to a new state, with its audit event
 * (before/after: the state). Returns undefined, changing nothing, when another write moved or
 * changed it first.
 */
async function transition(
  w: Write,
  record: ChangeRequestRecord,
  to: Transition,
): Promise<ChangeRequestRecord | undefined> {
  const review = to.review
    ? { reviewer: to.review.reviewer, reviewComment: to.review.reviewComment, reviewedAt: w.now }
    : {};
  const row = await updateChangeRequestFrom(
    w.tx,
    record.row.id,
    record.row.state,
    { state: to.state, updatedAt: w.now, ...review },
    record.row.revision,
  );
  if (!row) return undefined;
  w.audit({
    action: to.action,
    resource: changeRequestResource(record),
    before: { state: record.row.state },
    after: { state: to.state },
    comment: to.comment,
    changeRequestId: String(row.id),
    onBehalfOf: to.onBehalfOf,
  });
  return { ...record, row };
}

/** {@link transition}, answering 409 when another write moved the request first. */
async function mustTransition(
  w: Write,
  record: ChangeRequestRecord,
  to: Transition,
): Promise<ChangeRequestRecord> {
  const moved = await transition(w, record, to);
  if (!moved) {
    throw new ConflictError(
      `Change request ${record.row.id} changed meanwhile; it is no longer ${record.row.state}`,
    );
  }
  return moved;
}

/**
 * When an environment starts requiring approval, the changes scheduled there without a review wait for
 * one: each goes back to `pending` (audited), and applies only once someone else with the approver role
 * approves it. Returns how many.
 *
 * @example
 * await requireReviewOfScheduled(w, env.id); // inside the write that turns requireApproval on
 */
export async function requireReviewOfScheduled(w: Write, environmentId: number): Promise<number> {
  let count = 0;
  for (const id of await listUnreviewedScheduledIds(w.tx, environmentId)) {
    const record = await findChangeRequest(w.tx, id);
    if (!record) continue;
    const moved = await transition(w, record, {
      state: 'pending',
      action: 'change_request.require_review',
      comment: 'approval is now required in this environment',
    });
    if (moved) count++;
  }
  return count;
}

/** The author of a request, as four eyes compares people. */
function authorOf(record: ChangeRequestRecord): Person {
  return { actor: record.row.author, userId: record.row.authorUserId };
}

/**
 * How applying a proposal went: `applied` (with what a config request wrote), or why it cannot apply
 * (a config request names the fields and rules that moved).
 */
type ApplyResult =
  | { kind: 'applied'; proposed?: unknown; operations?: unknown[] }
  | { kind: 'conflict'; conflict: string; conflicts?: ConfigConflict[] };

const APPLIED: ApplyResult = { kind: 'applied' };

/**
 * Applies a config or toggle request's operations to its config as it is now; a field or rule they
 * change that moved underneath them is a conflict, anything else changed meanwhile is kept.
 */
async function applyConfigProposal(
  w: Write,
  record: ChangeRequestRecord,
  entry: Omit<ConfigWriteEntry, 'action'>,
): Promise<ApplyResult> {
  const located = await locateConfig(w.tx, record.flag ?? '', record.environment ?? '');
  const operations = await operationsOf(w.tx, record);
  const applied = applyOperations(composeConfig(located.flag, located.config), operations);
  const { conflicts } = applied;
  if (conflicts.length > 0) return { kind: 'conflict', conflict: conflictSentence(conflicts), conflicts };
  let next: FlagConfig;
  try {
    next = await proposalOf(w.tx, located, operations);
  } catch (error) {
    // A segment or prerequisite flag it names is gone, say: the conflicts name the fields and rules.
    if (!(error instanceof ValidationError)) throw error;
    const invalid = invalidConflicts(error, applied.config);
    const details = invalid.map((c) => (c.path ? `${c.path}: ${c.message}` : c.message)).join('; ');
    return { kind: 'conflict', conflict: `The proposal is no longer valid: ${details}`, conflicts: invalid };
  }
  const action =
    record.row.kind === 'config'
      ? 'flag.config.update'
      : next.enabled
        ? 'flag.config.enable'
        : 'flag.config.disable';
  const written = await writeConfig(w, located, next, { ...entry, action });
  return { kind: 'applied', proposed: written, operations };
}

/** Applies a flag-level proposal (fields or archiving), if the flag is still at the base version. */
async function applyFlagProposal(
  w: Write,
  request: FlagChangeRequest,
  entry: FlagWriteEntry,
): Promise<ApplyResult> {
  const flag = await findFlag(w.tx, request.flag);
  if (!flag) throw new NotFoundError(`No flag "${request.flag}"`);
  if (flag.version !== request.baseVersion) {
    return {
      kind: 'conflict',
      conflict: `The flag is at version ${flag.version}, not ${request.baseVersion} as when the change was proposed; propose it again`,
    };
  }
  if (request.kind !== 'flag') {
    await applyArchived(w, flag, request.kind === 'archive', entry);
    return APPLIED;
  }
  const { name, description, variations, tags, owner, temporary, clientSide } = request.proposed;
  await applyFlagChanges(
    w,
    flag,
    { name, description, variations, tags, owner, temporary, clientSide },
    entry,
  );
  return APPLIED;
}

/** Applies a segment proposal, if the segment is still at the base version. */
async function applySegmentProposal(
  w: Write,
  request: SegmentChangeRequest,
  entry: SegmentWriteEntry,
): Promise<ApplyResult> {
  const segment = request.segment === null ? undefined : await findSegment(w.tx, request.segment);
  if (!segment) throw new NotFoundError(`No segment "${request.proposed.key}"`);
  if (segment.version !== request.baseVersion) {
    return {
      kind: 'conflict',
      conflict: `The segment is at version ${segment.version}, not ${request.baseVersion} as when the change was proposed; propose it again`,
    };
  }
  await applySegment(w, segment, { ...request.proposed, version: segment.version + 1 }, entry);
  return APPLIED;
}

/** Applies a request's proposal; a proposal that can no longer apply is the returned conflict. */
async function applyChange(w: Write, record: ChangeRequestRecord, onBehalfOf?: Actor): Promise<ApplyResult> {
  const { row } = record;
  const request = changeRequestView(record);
  const entry = { comment: row.comment ?? undefined, changeRequestId: String(row.id), onBehalfOf };
  try {
    // Nothing of a failed application may stay: the savepoint undoes it, then the conflict is recorded.
    return await tentatively(w, `change_request_${row.id}`, (inner) => {
      switch (request.kind) {
        case 'config':
        case 'toggle':
          return applyConfigProposal(inner, record, entry);
        case 'segment':
          return applySegmentProposal(inner, request, entry);
        default:
          return applyFlagProposal(inner, request, entry);
      }
    });
  } catch (error) {
    if (error instanceof ValidationError) {
      const details = error.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      return {
        kind: 'conflict',
        conflict: `The proposal is no longer valid: ${details || error.message}`,
        conflicts: error.errors.map((e) => ({ path: e.path, message: e.message })),
      };
    }
    if (error instanceof ConflictError) {
      return { kind: 'conflict', conflict: `The proposal can no longer apply: ${error.message}` };
    }
    throw error;
  }
}

/**
 * Applies a request's proposal if it still fits: a config or toggle request's operations where the
 * fields and rules they change did not move underneath them; a flag or segment proposal if what it
 * changes is still at the base version. Either must still be valid (segments and flags it names may
 * have gone, a flag may have become a prerequisite). Otherwise marks it `conflict` and changes
 * nothing. The request must still be in the state it was read in (`approved` or `scheduled`): the
 * first write claims it, so two writes never both apply it. Returns undefined, having changed
 * nothing, when another write moved it first.
 */
async function applyProposal(
  w: Write,
  record: ChangeRequestRecord,
  onBehalfOf?: Actor,
): Promise<ChangeRequestRecord | undefined> {
  const { row } = record;
  const claimed = await updateChangeRequestFrom(w.tx, row.id, row.state, { updatedAt: w.now });
  if (!claimed) return undefined;
  const result = await applyChange(w, record, onBehalfOf);
  const config = row.kind === 'config' || row.kind === 'toggle';
  const conflictsOf = (conflict: ApplyResult & { kind: 'conflict' }) =>
    config ? (conflict.conflicts ?? null) : null;
  const values =
    result.kind === 'applied'
      ? {
          state: 'applied' as const,
          appliedAt: w.now,
          updatedAt: w.now,
          ...(result.proposed === undefined ? {} : { proposed: result.proposed }),
          ...(result.operations === undefined ? {} : { operations: result.operations }),
        }
      : {
          state: 'conflict' as const,
          conflict: result.conflict,
          conflicts: conflictsOf(result),
          ...(config ? { operations: await operationsOf(w.tx, record) } : {}),
          updatedAt: w.now,
        };
  const updated = await updateChangeRequestFrom(w.tx, row.id, row.state, values);
  if (!updated) throw new Error(`change request ${row.id} moved inside the write that claimed it`);
  if (result.kind === 'conflict') {
    w.audit({
      action: 'change_request.conflict',
      resource: changeRequestResource(record),
      before: { state: row.state },
      after: {
        state: 'conflict',
        conflict: result.conflict,
        ...(config ? { conflicts: conflictsOf(result) } : {}),
      },
      changeRequestId: String(row.id),
      onBehalfOf,
    });
  }
  return { ...record, row: updated };
}

/**
 * Builds the change request service.
 *
 * @example
 * const changeRequests = createChangeRequestService({ database, changes, clock, logger });
 * const outcome = await changeRequests.approve(principal, 7, { comment: 'LGTM', revision: 2 });
 */
export function createChangeRequestService(deps: WriteDeps): ChangeRequestService {
  /** Finds a request the requester may act on, in the state the action needs. */
  const load = async (w: Write, requester: Requester, id: number, state: ChangeRequestState) => {
    const record = await findChangeRequest(w.tx, id);
    if (!record) throw new NotFoundError(`No change request ${id}`);
    const allowed = requester.environments;
    const outside =
      allowed === null ? undefined : changeRequestView(record).environments.find((e) => !allowed.includes(e));
    if (outside !== undefined) {
      throw new ForbiddenError(`This token may not act on environment "${outside}"`);
    }
    if (record.row.state !== state) {
      throw new ConflictError(`Change request ${id} is ${record.row.state}, not ${state}`);
    }
    return record;
  };

  /**
   * Loads a pending request for review: an approver's, never its author's, and — when the reviewer
   * names the revision they saw — still at that revision.
   */
  const review = async (w: Write, requester: Requester, id: number, verb: string, revision?: number) => {
    requireApprover(requester.role, `${verb} a change request`);
    const record = await load(w, requester, id, 'pending');
    if (samePerson(requester, authorOf(record))) {
      throw new ForbiddenError(`Someone other than its author must ${verb} change request ${record.row.id}`);
    }
    if (revision !== undefined && revision !== record.row.revision) {
      throw new ConflictError(
        `Change request ${id} changed since it was loaded: it is at revision ${record.row.revision}, not ${revision}; review it again`,
      );
    }
    return record;
  };

  /** Runs a review action as the principal, with its requester resolved inside the write. */
  const act = <T>(principal: Principal, body: (w: Write, requester: Requester) => Promise<T>) =>
    runWrite(deps, actorOf(principal), async (w) => body(w, await requesterOf(w.tx, principal)));

  return {
    async list(filter, limit) {
      const live = liveConfigs();
      const items: ChangeRequest[] = [];
      for (const record of await listChangeRequests(deps.database, filter, limit)) {
        items.push(await presentChangeRequest(deps.database, record, live));
      }
      return items;
    },

    async get(id) {
      const record = await findChangeRequest(deps.database, id);
      if (!record) throw new NotFoundError(`No change request ${id}`);
      return presentChangeRequest(deps.database, record);
    },

    approve(principal, id, { comment, revision } = {}) {
      return act(principal, async (w, requester): Promise<ApprovalOutcome> => {
        const record = await review(w, requester, id, 'approve', revision);
        const later = record.row.applyAt !== null && record.row.applyAt > w.now;
        const approved = await mustTransition(w, record, {
          state: later ? 'scheduled' : 'approved',
          action: 'change_request.approve',
          comment,
          review: { reviewer: requester.actor, reviewComment: comment ?? null },
        });
        if (later) return { kind: 'approved', changeRequest: await presentChangeRequest(w.tx, approved) };
        const applied = await applyProposal(w, approved);
        if (!applied) throw new Error(`change request ${id} moved inside the write that approved it`);
        const changeRequest = await presentChangeRequest(w.tx, applied);
        return applied.row.state === 'conflict'
          ? { kind: 'conflict', changeRequest }
          : { kind: 'approved', changeRequest };
      });
    },

    reject(principal, id, { comment, revision } = {}) {
      return act(principal, async (w, requester) => {
        const record = await review(w, requester, id, 'reject', revision);
        const rejected = await mustTransition(w, record, {
          state: 'rejected',
          action: 'change_request.reject',
          comment,
          review: { reviewer: requester.actor, reviewComment: comment ?? null },
        });
        return presentChangeRequest(w.tx, rejected);
      });
    },

    withdraw(principal, id, comment) {
      return act(principal, async (w, requester) => {
        const record = await load(w, requester, id, 'pending');
        if (!samePerson(requester, authorOf(record))) {
          throw new ForbiddenError(`Only its author may withdraw change request ${id}`);
        }
        const withdrawn = await mustTransition(w, record, {
          state: 'withdrawn',
          action: 'change_request.withdraw',
          comment,
        });
        return presentChangeRequest(w.tx, withdrawn);
      });
    },

    cancel(principal, id, comment) {
      return act(principal, async (w, requester) => {
        const record = await load(w, requester, id, 'scheduled');
        const author = samePerson(requester, authorOf(record));
        if (!author && requester.role !== 'admin') {
          throw new ForbiddenError(`Only its author or an admin may cancel change request ${id}`);
        }
        const cancelled = await mustTransition(w, record, {
          state: 'cancelled',
          action: 'change_request.cancel',
          comment,
        });
        return presentChangeRequest(w.tx, cancelled);
      });
    },

    async applyDue() {
      const now = deps.clock().toISOString();
      const done: ChangeRequest[] = [];
      for (const { id, project } of await listDueChangeRequests(deps.database, now)) {
        try {
          const result = await inProject(project, () =>
            runWrite(deps, SCHEDULER_ACTOR, async (w) => {
              const record = await findChangeRequest(w.tx, id);
              // Cancelled or applied since the list was read.
              if (record?.row.state !== 'scheduled' || (record.row.applyAt ?? '') > w.now) return undefined;
              const applied = await applyProposal(w, record, record.row.author);
              return applied && presentChangeRequest(w.tx, applied);
            }),
          );
          if (result) done.push(result);
        } catch (error) {
          // One broken request must not hold up the others; it stays scheduled and is retried.
          deps.logger.error('applying a scheduled change failed', { id, error: String(error) });
        }
      }
      return done;
    },
  };
}
