import { sql } from 'drizzle-orm';
import type { AppDeps } from '../../app-env.js';
import { runWrite, type Write } from '../../db/unit-of-work.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { type Person, requireApprover, samePerson } from '../auth/four-eyes.js';
import {
  buildConfig,
  type ConfigWriteEntry,
  locateConfig,
  writeConfig,
} from '../flag-configs/apply-config.js';
import { applyArchived, applyFlagChanges, type FlagWriteEntry } from '../flags/flag-changes.js';
import { findFlag, findSegment } from '../flags/flags.store.js';
import { applySegment, type SegmentWriteEntry } from '../segments/segment-changes.js';
import {
  type ChangeRequest,
  type ChangeRequestRecord,
  type ChangeRequestState,
  type ConfigChangeRequest,
  changeRequestResource,
  changeRequestView,
  type FlagChangeRequest,
  type SegmentChangeRequest,
} from './change-request.js';
import {
  type ChangeRequestFilter,
  findChangeRequest,
  listChangeRequests,
  listDueChangeRequestIds,
  listUnreviewedScheduledIds,
  updateChangeRequest,
} from './change-requests.store.js';
import type { Requester } from './requester.js';

/** The actor of scheduled changes; their audit events name the author in `onBehalfOf`. */
export const SCHEDULER_ACTOR: Actor = { type: 'system', id: 'scheduler', name: 'scheduler' };

/** What an approval did: applied or scheduled the change, or found the config moved (a conflict). */
export type ApprovalOutcome =
  | { kind: 'approved'; changeRequest: ChangeRequest }
  | { kind: 'conflict'; changeRequest: ChangeRequest };

/** The four-eyes workflow and the scheduler's work. */
export interface ChangeRequestService {
  /** Newest first. */
  list(filter: ChangeRequestFilter, limit: number): ChangeRequest[];
  get(id: number): ChangeRequest;
  /**
   * Approves a pending request (approver role, never its author — not through a token either):
   * applies it at once, or schedules it when its `applyAt` lies ahead. A config that moved since the
   * base version makes it `conflict`, committed, with nothing else changed.
   */
  approve(requester: Requester, id: number, comment?: string): ApprovalOutcome;
  /** Rejects a pending request (approver role, not its author). */
  reject(requester: Requester, id: number, comment?: string): ChangeRequest;
  /** Withdraws a pending request (its author only). */
  withdraw(requester: Requester, id: number, comment?: string): ChangeRequest;
  /** Cancels a scheduled request (its author, or an admin). */
  cancel(requester: Requester, id: number, comment?: string): ChangeRequest;
  /** Applies every `scheduled` request whose time has come, as the scheduler; returns them. */
  applyDue(): ChangeRequest[];
}

interface Transition {
  state: ChangeRequestState;
  action: string;
  comment?: string;
  review?: { reviewer: Actor; reviewComment: string | null };
  onBehalfOf?: Actor;
}

/**
 * When an environment starts requiring approval, the changes scheduled there without a review wait for
 * one: each goes back to `pending` (audited), and applies only once someone else with the approver role
 * approves it. Returns how many.
 *
 * @example
 * requireReviewOfScheduled(w, env.id); // inside the write that turns requireApproval on
 */
export function requireReviewOfScheduled(w: Write, environmentId: number): number {
  const ids = listUnreviewedScheduledIds(w.tx, environmentId);
  for (const id of ids) {
    const record = findChangeRequest(w.tx, id);
    if (!record) continue;
    transition(w, record, {
      state: 'pending',
      action: 'change_request.require_review',
      comment: 'approval is now required in this environment',
    });
  }
  return ids.length;
}

/** The author of a request, as four eyes compares people. */
function authorOf(record: ChangeRequestRecord): Person {
  return { actor: record.row.author, userId: record.row.authorUserId };
}

/** Moves a request to a new state, with its audit event (before/after: the state). */
function transition(w: Write, record: ChangeRequestRecord, to: Transition): ChangeRequestRecord {
  const row = { ...record.row, state: to.state, updatedAt: w.now };
  if (to.review) {
    row.reviewer = to.review.reviewer;
    row.reviewComment = to.review.reviewComment;
    row.reviewedAt = w.now;
  }
  updateChangeRequest(w.tx, row.id, {
    state: row.state,
    updatedAt: row.updatedAt,
    reviewer: row.reviewer,
    reviewComment: row.reviewComment,
    reviewedAt: row.reviewedAt,
  });
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

/** Why a proposal cannot apply (its base moved), or undefined once it is applied. */
type ApplyResult = string | undefined;

/** Applies a config or toggle proposal in its environment, if the config is still at the base version. */
function applyConfigProposal(
  w: Write,
  request: ConfigChangeRequest,
  entry: Omit<ConfigWriteEntry, 'action'>,
): ApplyResult {
  const located = locateConfig(w.tx, request.flag, request.environment);
  if (located.config.version !== request.baseVersion) {
    return `The config is at version ${located.config.version}, not ${request.baseVersion} as when the change was proposed; propose it again`;
  }
  const {
    key: _key,
    kind: _kind,
    variations: _variations,
    clientSide: _client,
    version: _v,
    ...input
  } = request.proposed;
  const next = buildConfig(w.tx, located, input);
  const action =
    request.kind === 'config'
      ? 'flag.config.update'
      : next.enabled
        ? 'flag.config.enable'
        : 'flag.config.disable';
  writeConfig(w, located, next, { ...entry, action });
  return undefined;
}

/** Applies a flag-level proposal (fields or archiving), if the flag is still at the base version. */
function applyFlagProposal(w: Write, request: FlagChangeRequest, entry: FlagWriteEntry): ApplyResult {
  const flag = findFlag(w.tx, request.flag);
  if (!flag) throw new NotFoundError(`No flag "${request.flag}"`);
  if (flag.version !== request.baseVersion) {
    return `The flag is at version ${flag.version}, not ${request.baseVersion} as when the change was proposed; propose it again`;
  }
  if (request.kind !== 'flag') {
    applyArchived(w, flag, request.kind === 'archive', entry);
    return undefined;
  }
  const { name, description, variations, tags, owner, temporary, clientSide } = request.proposed;
  applyFlagChanges(w, flag, { name, description, variations, tags, owner, temporary, clientSide }, entry);
  return undefined;
}

/** Applies a segment proposal, if the segment is still at the base version. */
function applySegmentProposal(
  w: Write,
  request: SegmentChangeRequest,
  entry: SegmentWriteEntry,
): ApplyResult {
  const segment = request.segment === null ? undefined : findSegment(w.tx, request.segment);
  if (!segment) throw new NotFoundError(`No segment "${request.proposed.key}"`);
  if (segment.version !== request.baseVersion) {
    return `The segment is at version ${segment.version}, not ${request.baseVersion} as when the change was proposed; propose it again`;
  }
  applySegment(w, segment, { ...request.proposed, version: segment.version + 1 }, entry);
  return undefined;
}

/**
 * Applies a request's proposal if what it changes is still at the base version and the proposal is
 * still valid (segments and flags it names may have gone, a flag may have become a prerequisite);
 * else marks it `conflict` and changes nothing.
 */
function applyProposal(w: Write, record: ChangeRequestRecord, onBehalfOf?: Actor): ChangeRequestRecord {
  const { row } = record;
  const request = changeRequestView(record);
  const entry = { comment: row.comment ?? undefined, changeRequestId: String(row.id), onBehalfOf };
  let problem: string | undefined;
  const savepoint = `change_request_${row.id}`;
  w.tx.run(sql.raw(`savepoint ${savepoint}`));
  try {
    switch (request.kind) {
      case 'config':
      case 'toggle':
        problem = applyConfigProposal(w, request, entry);
        break;
      case 'segment':
        problem = applySegmentProposal(w, request, entry);
        break;
      default:
        problem = applyFlagProposal(w, request, entry);
    }
    w.tx.run(sql.raw(`release ${savepoint}`));
  } catch (error) {
    // Nothing of a failed application may stay: roll back to before it, then record the conflict.
    w.tx.run(sql.raw(`rollback to ${savepoint}`));
    w.tx.run(sql.raw(`release ${savepoint}`));
    if (error instanceof ValidationError) {
      const details = error.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      problem = `The proposal is no longer valid: ${details || error.message}`;
    } else if (error instanceof ConflictError) {
      problem = `The proposal can no longer apply: ${error.message}`;
    } else {
      throw error;
    }
  }
  if (problem !== undefined) {
    updateChangeRequest(w.tx, row.id, { state: 'conflict', conflict: problem, updatedAt: w.now });
    w.audit({
      action: 'change_request.conflict',
      resource: changeRequestResource(record),
      before: { state: row.state },
      after: { state: 'conflict', conflict: problem },
      changeRequestId: String(row.id),
      onBehalfOf,
    });
    return { ...record, row: { ...row, state: 'conflict', conflict: problem, updatedAt: w.now } };
  }
  updateChangeRequest(w.tx, row.id, { state: 'applied', appliedAt: w.now, updatedAt: w.now });
  return { ...record, row: { ...row, state: 'applied', appliedAt: w.now, updatedAt: w.now } };
}

export function createChangeRequestService(deps: AppDeps): ChangeRequestService {
  /** Finds a request the requester may act on, in the state the action needs. */
  const load = (w: Write, requester: Requester, id: number, state: ChangeRequestState) => {
    const record = findChangeRequest(w.tx, id);
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

  /** Loads a pending request for review: an approver's, never its author's. */
  const review = (w: Write, requester: Requester, id: number, verb: string): ChangeRequestRecord => {
    requireApprover(requester.role, `${verb} a change request`);
    const record = load(w, requester, id, 'pending');
    if (samePerson(requester, authorOf(record))) {
      throw new ForbiddenError(`Someone other than its author must ${verb} change request ${record.row.id}`);
    }
    return record;
  };

  return {
    list: (filter, limit) => listChangeRequests(deps.db, filter, limit).map(changeRequestView),

    get(id) {
      const record = findChangeRequest(deps.db, id);
      if (!record) throw new NotFoundError(`No change request ${id}`);
      return changeRequestView(record);
    },

    approve(requester, id, comment) {
      return runWrite(deps, requester.actor, (w): ApprovalOutcome => {
        const record = review(w, requester, id, 'approve');
        const later = record.row.applyAt !== null && record.row.applyAt > w.now;
        const approved = transition(w, record, {
          state: later ? 'scheduled' : 'approved',
          action: 'change_request.approve',
          comment,
          review: { reviewer: requester.actor, reviewComment: comment ?? null },
        });
        if (later) return { kind: 'approved', changeRequest: changeRequestView(approved) };
        const applied = applyProposal(w, approved);
        const changeRequest = changeRequestView(applied);
        return applied.row.state === 'conflict'
          ? { kind: 'conflict', changeRequest }
          : { kind: 'approved', changeRequest };
      });
    },

    reject(requester, id, comment) {
      return runWrite(deps, requester.actor, (w) => {
        const record = review(w, requester, id, 'reject');
        return changeRequestView(
          transition(w, record, {
            state: 'rejected',
            action: 'change_request.reject',
            comment,
            review: { reviewer: requester.actor, reviewComment: comment ?? null },
          }),
        );
      });
    },

    withdraw(requester, id, comment) {
      return runWrite(deps, requester.actor, (w) => {
        const record = load(w, requester, id, 'pending');
        if (!samePerson(requester, authorOf(record))) {
          throw new ForbiddenError(`Only its author may withdraw change request ${id}`);
        }
        return changeRequestView(
          transition(w, record, { state: 'withdrawn', action: 'change_request.withdraw', comment }),
        );
      });
    },

    cancel(requester, id, comment) {
      return runWrite(deps, requester.actor, (w) => {
        const record = load(w, requester, id, 'scheduled');
        const author = samePerson(requester, authorOf(record));
        if (!author && requester.role !== 'admin') {
          throw new ForbiddenError(`Only its author or an admin may cancel change request ${id}`);
        }
        return changeRequestView(
          transition(w, record, { state: 'cancelled', action: 'change_request.cancel', comment }),
        );
      });
    },

    applyDue() {
      const now = deps.clock().toISOString();
      const done: ChangeRequest[] = [];
      for (const id of listDueChangeRequestIds(deps.db, now)) {
        try {
          const result = runWrite(deps, SCHEDULER_ACTOR, (w) => {
            const record = findChangeRequest(w.tx, id);
            // Cancelled or applied since the list was read.
            if (record?.row.state !== 'scheduled' || (record.row.applyAt ?? '') > w.now) return undefined;
            return changeRequestView(applyProposal(w, record, record.row.author));
          });
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
