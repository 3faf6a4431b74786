import { type FlagConfig, validateSegment } from '@ringflag/sdk-node/engine';
import type { AppDeps } from '../../app-env.js';
import { runWrite, type Write } from '../../db/unit-of-work.js';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { listEnvironments } from '../environments/environments.store.js';
import { type SegmentRow, segmentWire } from '../flags/flag-model.js';
import { listAllConfigs } from '../flags/flags.store.js';
import { deleteSegment, findSegment, insertSegment, listSegments, updateSegment } from './segments.store.js';

/** A segment as the API shows it: the wire segment plus name and description. */
export interface SegmentView {
  key: string;
  name: string;
  description: string;
  version: number;
  included: string[];
  excluded: string[];
  rules: unknown[];
  createdAt: string;
  updatedAt: string;
}

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

function segmentView(row: SegmentRow): SegmentView {
  return {
    ...segmentWire(row),
    name: row.name,
    description: row.description,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Reusable audiences. A change reaches every environment, as segments are global. */
export interface SegmentService {
  list(): SegmentView[];
  get(key: string): SegmentView;
  create(actor: Actor, input: SegmentInput & { key: string }): SegmentView;
  update(actor: Actor, key: string, input: SegmentInput, expectedVersion?: number): SegmentView;
  /** Refuses (409) while a flag config still names the segment. */
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

    update(actor, key, input, expectedVersion) {
      if (input.key !== undefined && input.key !== key) {
        throw new ValidationError('A segment key cannot change', [
          { path: 'key', message: `must be "${key}"` },
        ]);
      }
      return runWrite(deps, actor, (w) => {
        const before = findSegment(w.tx, key);
        if (!before) throw new NotFoundError(`No segment "${key}"`);
        const expected = expectedVersion ?? input.version;
        if (expected !== undefined && expected !== before.version) {
          throw new PreconditionFailedError(`The segment is at version ${before.version}, not ${expected}`);
        }
        const segment = check(input, key, before.version + 1);
        const row = updateSegment(w.tx, before.id, {
          name: input.name ?? before.name,
          description: input.description ?? before.description,
          version: segment.version,
          included: segment.included,
          excluded: segment.excluded,
          rules: segment.rules,
          updatedAt: w.now,
        });
        const view = segmentView(row);
        w.audit({
          action: 'segment.update',
          resource: { type: 'segment', key },
          before: segmentView(before),
          after: view,
        });
        publish(w, key, segmentWire(row));
        return view;
      });
    },

    remove(actor, key) {
      runWrite(deps, actor, (w) => {
        const before = findSegment(w.tx, key);
        if (!before) throw new NotFoundError(`No segment "${key}"`);
        const users = listAllConfigs(w.tx).filter(({ config }) =>
          (config.rules as FlagConfig['rules']).some((rule) =>
            rule.clauses.some((clause) => clause.op === 'inSegment' && clause.values.includes(key)),
          ),
        );
        if (users.length > 0) {
          const names = [...new Set(users.map(({ flag }) => flag.key))].join(', ');
          throw new ConflictError(`Segment "${key}" is used by ${names}; remove it from their rules first`);
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
