import { validateSegment } from '@ringflag/sdk-node/engine';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../../errors/index.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { canonicalJson } from '../audit/canonical-json.js';
import { actorOf, type Principal } from '../auth/principal.js';
import type { ChangeRequest } from '../change-requests/change-request.js';
import { openGlobalChangeRequest } from '../change-requests/open-change-request.js';
import { requesterOf } from '../change-requests/requester.js';
import { segmentWire } from '../flags/flag-model.js';
import {
  applySegment,
  proposedSegment,
  publishSegment,
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
  list(): Promise<SegmentView[]>;
  get(key: string): Promise<SegmentView>;
  create(actor: Actor, input: SegmentInput & { key: string }): Promise<SegmentView>;
  /**
   * Replaces a segment. Where an environment requiring approval depends on it (a flag config, an open
   * change request or an active release plan there names it; see `segmentDependents`) and its members
   * or rules change, the change becomes a change request instead, recording the person behind
   * `principal`.
   */
  update(
    principal: Principal,
    key: string,
    input: SegmentInput,
    options?: SegmentWriteOptions,
  ): Promise<SegmentWriteOutcome>;
  /**
   * Refuses (409) while anything names the segment: a flag config (archived flags too), an open change
   * request, or an active release plan.
   */
  remove(actor: Actor, key: string): Promise<void>;
}

/** What the segment service needs: writes, and reads on the database. */
export type SegmentServiceDeps = WriteDeps;

export function createSegmentService(deps: SegmentServiceDeps): SegmentService {
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
    list: async () => (await listSegments(deps.database)).map(segmentView),

    async get(key) {
      const row = await findSegment(deps.database, key);
      if (!row) throw new NotFoundError(`No segment "${key}"`);
      return segmentView(row);
    },

    async create(actor, input) {
      const segment = check(input, input.key, 1);
      return runWrite(deps, actor, async (w) => {
        if (await findSegment(w.tx, input.key)) {
          throw new ConflictError(`A segment "${input.key}" already exists`);
        }
        const row = await insertSegment(w.tx, {
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
        await publishSegment(w, row.key, segmentWire(row));
        return view;
      });
    },

    async update(principal, key, input, options = {}) {
      if (input.key !== undefined && input.key !== key) {
        throw new ValidationError('A segment key cannot change', [
          { path: 'key', message: `must be "${key}"` },
        ]);
      }
      return runWrite(deps, actorOf(principal), async (w): Promise<SegmentWriteOutcome> => {
        const before = await findSegment(w.tx, key);
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
        const gatedBy = servedChange ? await segmentGatedEnvironments(w.tx, before) : [];
        if (gatedBy.length === 0) {
          return { kind: 'applied', segment: segmentView(await applySegment(w, before, next, options)) };
        }
        const changeRequest = await openGlobalChangeRequest(w, {
          kind: 'segment',
          segment: before,
          before: current,
          proposed: next,
          environments: gatedBy,
          requester: await requesterOf(w.tx, principal),
          comment: options.comment,
        });
        return { kind: 'requested', changeRequest };
      });
    },

    async remove(actor, key) {
      await runWrite(deps, actor, async (w) => {
        const before = await findSegment(w.tx, key);
        if (!before) throw new NotFoundError(`No segment "${key}"`);
        const dependents = await segmentDependents(w.tx, before);
        if (dependents.length > 0) {
          const shown = dependents.slice(0, MAX_DEPENDENTS_NAMED).map((dependent) => dependent.what);
          const more = dependents.length - shown.length;
          throw new ConflictError(
            `Segment "${key}" is used by ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}; ` +
              'remove it from their rules, and close the change requests and release plans, first',
          );
        }
        await deleteSegment(w.tx, before.id);
        w.audit({
          action: 'segment.delete',
          resource: { type: 'segment', key },
          before: segmentView(before),
          after: null,
        });
        await publishSegment(w, key, null);
      });
    },
  };
}
