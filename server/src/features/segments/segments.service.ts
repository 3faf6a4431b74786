import { validateSegment } from '@ringflag/sdk-node/engine';
import type { AppDeps } from '../../app-env.js';
import { runWrite, type Write } from '../../db/unit-of-work.js';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { canonicalJson } from '../audit/canonical-json.js';
import type { ChangeRequest } from '../change-requests/change-request.js';
import { openGlobalChangeRequest } from '../change-requests/open-change-request.js';
import type { Requester } from '../change-requests/requester.js';
import { listEnvironments } from '../environments/environments.store.js';
import { segmentWire } from '../flags/flag-model.js';
import {
  applySegment,
  proposedSegment,
  type SegmentView,
  segmentDependents,
  segmentGatedEnvironments,
  segmentView,
} from './segment-changes.js';
import { deleteSegment, findSegment, insertSegment, listSegments } from './segments.store.js';

export type { SegmentView } from './segment-changes.js';

/** How many of a segment's dependents a refused delete names. */
const MAX_DEPENDENTS_NAMED = 10;

/** A segment as written. */
export interface SegmentInput {
  key?: string;
  name?: string;
  description?: string;
  version?: number;
  included?: string[];
  excluded?: string[];
  rules?: unknown[];
}

/** Options of a segment write through the API. */
export interface SegmentWriteOptions {
  /** From `If-Match` (or the body's `version`): the version the client read; another is a 412. */
  expectedVersion?: number;
  /** Why; kept on the change request and in the audit trail. */
  comment?: string;
}

/** What a segment update did: applied at once, or left a change request (HTTP 202). */
export type SegmentWriteOutcome =
  | { kind: 'applied'; segment: SegmentView }
  | { kind: 'requested'; changeRequest: ChangeRequest };

/** Reusable audiences. A change reaches every environment, as segments are global. */
export interface SegmentService {
  list(): SegmentView[];
  get(key: string): SegmentView;
  create(actor: Actor, input: SegmentInput & { key: string }): SegmentView;
  /**
   * Replaces a segment. Where an environment requiring approval depends on it (a flag config, an open
   * change request or an active release plan there names it; see `segmentDependents`) and its members
   * or rules change, the change becomes a change request instead.
   */
  update(
    requester: Requester,
    key: string,
    input: SegmentInput,
    options?: SegmentWriteOptions,
  ): SegmentWriteOutcome;
  /**
   * Refuses (409) while anything names the segment: a flag config (archived flags too), an open change
   * request, or an active release plan.
   */
  remove(actor: Actor, key: string): void;
}

export function createSegmentService(deps: AppDeps): SegmentService {
  const publish = (w: Write, key: string, segment: unknown) => {
    for (const env of listEnvironments(w.tx)) w.changed(env.key, { segments: { [key]: segment } });
  };
  const check = (input: SegmentInput, key: string, version: number) => {
    const result = validateSegment({
      key,
      version,
      included: input.included ?? [],
      excluded: input.excluded ?? [],
      rules: input.rules ?? [],
    });
    if (!result.ok) throw new ValidationError('The segment is invalid', result.errors);
    return result.value;
  };

  return {
    list: () => listSegments(deps.db).map(segmentView),

    get(key) {
      const row = findSegment(deps.db, key);
      if (!row) throw new NotFoundError(`No segment "${key}"`);
      return segmentView(row);
    },

    create(actor, input) {
      const segment = check(input, input.key, 1);
      return runWrite(deps, actor, (w) => {
        if (findSegment(w.tx, input.key)) throw new ConflictError(`A segment "${input.key}" already exists`);
        const row = insertSegment(w.tx, {
          key: segment.key,
          name: input.name ?? segment.key,
          description: input.description ?? '',
          version: 1,
          included: segment.included,
          excluded: segment.excluded,
          rules: segment.rules,
          createdAt: w.now,
          updatedAt: w.now,
        });
        const view = segmentView(row);
        w.audit({
          action: 'segment.create',
          resource: { type: 'segment', key: row.key },
          before: null,
          after: view,
        });
        publish(w, row.key, segmentWire(row));
        return view;
      });
    },

    update(requester, key, input, options = {}) {
      if (input.key !== undefined && input.key !== key) {
        throw new ValidationError('A segment key cannot change', [
          { path: 'key', message: `must be "${key}"` },
        ]);
      }
      return runWrite(deps, requester.actor, (w): SegmentWriteOutcome => {
        const before = findSegment(w.tx, key);
        if (!before) throw new NotFoundError(`No segment "${key}"`);
        const expected = options.expectedVersion ?? input.version;
        if (expected !== undefined && expected !== before.version) {
          throw new PreconditionFailedError(`The segment is at version ${before.version}, not ${expected}`);
        }
        const segment = check(input, key, before.version + 1);
        const next = {
          ...segment,
          name: input.name ?? before.name,
          description: input.description ?? before.description,
        };
        const current = proposedSegment(before);
        const servedChange =
          canonicalJson([next.included, next.excluded, next.rules]) !==
          canonicalJson([current.included, current.excluded, current.rules]);
        const gatedBy = servedChange ? segmentGatedEnvironments(w.tx, before) : [];
        if (gatedBy.length === 0) {
          return { kind: 'applied', segment: segmentView(applySegment(w, before, next, options)) };
        }
        const changeRequest = openGlobalChangeRequest(w, {
          kind: 'segment',
          segment: before,
          before: current,
          proposed: next,
          environments: gatedBy,
          requester,
          comment: options.comment,
        });
        return { kind: 'requested', changeRequest };
      });
    },

    remove(actor, key) {
      runWrite(deps, actor, (w) => {
        const before = findSegment(w.tx, key);
        if (!before) throw new NotFoundError(`No segment "${key}"`);
        const dependents = segmentDependents(w.tx, before);
        if (dependents.length > 0) {
          const shown = dependents.slice(0, MAX_DEPENDENTS_NAMED).map((dependent) => dependent.what);
          const more = dependents.length - shown.length;
          throw new ConflictError(
            `Segment "${key}" is used by ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}; ` +
              'remove it from their rules, and close the change requests and release plans, first',
          );
        }
        deleteSegment(w.tx, before.id);
        w.audit({
          action: 'segment.delete',
          resource: { type: 'segment', key },
          before: segmentView(before),
          after: null,
        });
        publish(w, key, null);
      });
    },
  };
}
