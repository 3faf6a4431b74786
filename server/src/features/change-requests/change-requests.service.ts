import type { AppDeps } from '../../app-env.js';
import { runWrite, type Write } from '../../db/unit-of-work.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { hasRole } from '../auth/roles.js';
import { buildConfig, locateConfig, writeConfig } from '../flag-configs/apply-config.js';
import {
  type ChangeRequest,
  type ChangeRequestRecord,
  type ChangeRequestState,
  changeRequestView,
} from './change-request.js';
import {
  type ChangeRequestFilter,
  findChangeRequest,
  listChangeRequests,
  listDueChangeRequestIds,
  updateChangeRequest,
} from './change-requests.store.js';
import { type Requester, samePerson } from './requester.js';

/** The actor of scheduled changes; their audit events name the author in `onBehalfOf`. */
export const SCHEDULER_ACTOR: Actor = { type: 'system', id: 'scheduler', name: 'scheduler' };

/** What an approval did: applied or scheduled the change, or found the config moved (a conflict). */
export type ApprovalOutcome =
  | { kind: 'approved'; changeRequest: ChangeRequest }
  | { kind: 'conflict'; changeRequest: ChangeRequest };

/** The four-eyes workflow and the scheduler's work (issue 6 contract A). */
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
    resource: { type: 'flag', key: record.flag, environment: record.environment },
    before: { state: record.row.state },
    after: { state: to.state },
    comment: to.comment,
    changeRequestId: String(row.id),
    onBehalfOf: to.onBehalfOf,
  });
  return { ...record, row };
}

/**
 * Applies a request's proposal if the config is still at the base version and the proposal is still
 * valid (segments and flags it names may have gone); else marks it `conflict` and changes nothing.
 */
function applyProposal(w: Write, record: ChangeRequestRecord, onBehalfOf?: Actor): ChangeRequestRecord {
  const { row } = record;
  const located = locateConfig(w.tx, record.flag, record.environment);
  let problem: string | undefined;
  if (located.config.version !== row.baseVersion) {
    problem = `The config is at version ${located.config.version}, not ${row.baseVersion} as when the change was proposed; propose it again`;
  } else {
    const {
      key: _key,
      kind: _kind,
      variations: _variations,
      clientSide: _client,
      version: _v,
      ...input
    } = changeRequestView(record).proposed;
    try {
      const next = buildConfig(w.tx, located, input);
      const action =
        row.kind === 'config'
          ? 'flag.config.update'
          : next.enabled
            ? 'flag.config.enable'
            : 'flag.config.disable';
      writeConfig(w, located, next, {
        action,
        comment: row.comment ?? undefined,
        changeRequestId: String(row.id),
        onBehalfOf,
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const details = error.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      problem = `The proposal is no longer valid: ${details || error.message}`;
    }
  }
  if (problem !== undefined) {
    updateChangeRequest(w.tx, row.id, { state: 'conflict', conflict: problem, updatedAt: w.now });
    w.audit({
      action: 'change_request.conflict',
      resource: { type: 'flag', key: record.flag, environment: record.environment },
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
    if (requester.environments !== null && !requester.environments.includes(record.environment)) {
      throw new ForbiddenError(`This token may not act on environment "${record.environment}"`);
    }
    if (record.row.state !== state) {
      throw new ConflictError(`Change request ${id} is ${record.row.state}, not ${state}`);
    }
    return record;
  };

  const review = (requester: Requester, record: ChangeRequestRecord, verb: string) => {
    if (!hasRole(requester.role, 'approver')) {
      throw new ForbiddenError(
        `To ${verb} a change request needs the approver role; you have ${requester.role}`,
      );
    }
    if (samePerson(requester, { actor: record.row.author, userId: record.row.authorUserId })) {
      throw new ForbiddenError(`Someone other than its author must ${verb} change request ${record.row.id}`);
    }
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
        const record = load(w, requester, id, 'pending');
        review(requester, record, 'approve');
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
        const record = load(w, requester, id, 'pending');
        review(requester, record, 'reject');
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
        if (!samePerson(requester, { actor: record.row.author, userId: record.row.authorUserId })) {
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
        const author = samePerson(requester, { actor: record.row.author, userId: record.row.authorUserId });
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
