import type { FlagConfig, Rule, Segment } from '@ringflag/sdk-node/engine';
import type { changeRequests } from '../../db/schema.js';
import type { Actor, AuditResource } from '../audit/audit-event.js';
import type { FlagView } from '../flags/flag-model.js';

export type ChangeRequestRow = typeof changeRequests.$inferSelect;

/** The life of a change request. `approved` is reserved: approval moves on to `applied` or `scheduled`. */
export const CHANGE_REQUEST_STATES = [
  'pending',
  'approved',
  'scheduled',
  'applied',
  'rejected',
  'withdrawn',
  'conflict',
  'cancelled',
] as const;
export type ChangeRequestState = (typeof CHANGE_REQUEST_STATES)[number];

/**
 * What a change request changes: a whole config (`PUT`) or the on/off switch (`toggle`) in one
 * environment; a flag's global part (`flag`: variations, clientSide, …), its archiving (`archive`,
 * `unarchive`), or a segment (`segment`) — global changes, gated by every approval-required
 * environment whose served values they would change.
 */
export const CHANGE_REQUEST_KINDS = ['config', 'toggle', 'flag', 'archive', 'unarchive', 'segment'] as const;
export type ChangeRequestKind = (typeof CHANGE_REQUEST_KINDS)[number];

/** The fields of a config an operation sets as a whole (rules change one by one). */
export const CONFIG_FIELDS = ['enabled', 'offVariation', 'fallthrough', 'prerequisites', 'targets'] as const;
export type ConfigField = (typeof CONFIG_FIELDS)[number];

/**
 * One change an author made to a config, as a config or toggle request holds it: a field set from
 * `before` to `after`, or a rule (by id) added after another rule (`afterRule`, null = first),
 * changed, removed or moved. `before` is what the author changed it from; approval applies the
 * operations to the config as it is then, and conflicts where a field or rule moved underneath.
 */
export type ConfigOperation =
  | { op: 'set'; field: ConfigField; before: unknown; after: unknown }
  | { op: 'addRule'; rule: Rule; afterRule: string | null }
  | { op: 'updateRule'; ruleId: string; before: Rule; after: Rule }
  | { op: 'removeRule'; ruleId: string; before: Rule }
  | { op: 'moveRule'; ruleId: string; afterRule: string | null };

/** Why part of a request could not apply: `path` is a field (`fallthrough`) or a rule (`rules.<id>`). */
export interface ConfigConflict {
  path: string;
  message: string;
}

/** A segment as a `segment` change request proposes it. */
export interface ProposedSegment extends Segment {
  name: string;
  description: string;
}

interface ChangeRequestCommon {
  id: number;
  state: ChangeRequestState;
  /**
   * The approval-required environments the request is gated by: `[environment]` for a config or
   * toggle change, those whose served values a global change would change for the others.
   */
  environments: string[];
  /** The version of what it changes (config, flag or segment) the proposal was made against. */
  baseVersion: number;
  /**
   * 1 when made, one more whenever its author changes it while pending (operations, applyAt or
   * comment). Approve and reject may name the revision the reviewer saw; another one is a 409.
   */
  revision: number;
  author: Actor;
  comment: string | null;
  applyAt: string | null;
  createdAt: string;
  reviewer: Actor | null;
  reviewComment: string | null;
  reviewedAt: string | null;
  appliedAt: string | null;
  /** Why it could not be applied, when `state` is `conflict`. */
  conflict: string | null;
}

/** A change to one flag config in one environment. */
export interface ConfigChangeRequest extends ChangeRequestCommon {
  kind: 'config' | 'toggle';
  flag: string;
  environment: string;
  segment: null;
  /** What the author changed, in order; approval applies them to the config as it is then. */
  operations: ConfigOperation[];
  /**
   * The fields and rules that stop it from applying: when `state` is `conflict`, why it did not;
   * while it is open, what would conflict (or be invalid) if it were applied now. Null when none.
   */
  conflicts: ConfigConflict[] | null;
  /**
   * The full config that would result: while pending or scheduled, the live config with the
   * operations applied now; once applied, what was written; otherwise as of the last write.
   */
  proposed: FlagConfig;
}

/** A change to a flag's global part, shared by every environment. */
export interface FlagChangeRequest extends ChangeRequestCommon {
  kind: 'flag' | 'archive' | 'unarchive';
  flag: string;
  environment: null;
  segment: null;
  /** Always empty: a flag-level request holds the whole flag it would result in. */
  operations: [];
  conflicts: null;
  /** The flag that would result. */
  proposed: FlagView;
}

/** A change to a segment, shared by every environment. */
export interface SegmentChangeRequest extends ChangeRequestCommon {
  kind: 'segment';
  flag: null;
  environment: null;
  /** Null once the segment was deleted (the request stays as history; `proposed.key` names it). */
  segment: string | null;
  /** Always empty: a segment request holds the whole segment it would result in. */
  operations: [];
  conflicts: null;
  /** The segment that would result. */
  proposed: ProposedSegment;
}

/**
 * A change request as the API shows it: a proposed change waiting for a second person's approval,
 * for its `applyAt` time, or both. `kind` says what it changes and what `proposed` holds.
 */
export type ChangeRequest = ConfigChangeRequest | FlagChangeRequest | SegmentChangeRequest;

/** A row with the keys of what it names, as the store reads it. */
export interface ChangeRequestRecord {
  row: ChangeRequestRow;
  flag: string | null;
  environment: string | null;
  segment: string | null;
}

/**
 * What a config or toggle request shows beside its row: its operations (derived for a request stored
 * before operations existed) and, while it may still apply, the config they make of the live one.
 */
export interface ConfigRequestNow {
  operations: ConfigOperation[];
  proposed?: FlagConfig;
  /** What would stop it from applying now (open requests); overrides the stored conflicts. */
  conflicts?: ConfigConflict[] | null;
}

/** The wire form of a stored change request; `now` overrides what a config request stores. */
export function changeRequestView(
  { row, flag, environment, segment }: ChangeRequestRecord,
  now?: ConfigRequestNow,
): ChangeRequest {
  const common: ChangeRequestCommon = {
    id: row.id,
    state: row.state,
    environments: environment === null ? row.environments : [environment],
    baseVersion: row.baseVersion,
    revision: row.revision,
    author: row.author,
    comment: row.comment,
    applyAt: row.applyAt,
    createdAt: row.createdAt,
    reviewer: row.reviewer ?? null,
    reviewComment: row.reviewComment,
    reviewedAt: row.reviewedAt,
    appliedAt: row.appliedAt,
    conflict: row.conflict,
  };
  switch (row.kind) {
    case 'config':
    case 'toggle':
      return {
        ...common,
        kind: row.kind,
        flag: flag ?? '',
        environment: environment ?? '',
        segment: null,
        operations: now?.operations ?? (row.operations as ConfigOperation[] | null) ?? [],
        conflicts:
          now?.conflicts !== undefined ? now.conflicts : ((row.conflicts as ConfigConflict[] | null) ?? null),
        proposed: now?.proposed ?? (row.proposed as FlagConfig),
      };
    case 'flag':
    case 'archive':
    case 'unarchive':
      return {
        ...common,
        kind: row.kind,
        flag: flag ?? '',
        environment: null,
        segment: null,
        operations: [],
        conflicts: null,
        proposed: row.proposed as FlagView,
      };
    case 'segment':
      return {
        ...common,
        kind: row.kind,
        flag: null,
        environment: null,
        segment,
        operations: [],
        conflicts: null,
        proposed: row.proposed as ProposedSegment,
      };
  }
}

/** Where a request's audit events are filed: its flag (and environment), or its segment. */
export function changeRequestResource(record: ChangeRequestRecord): AuditResource {
  if (record.row.kind === 'segment') {
    return { type: 'segment', key: record.segment ?? (record.row.proposed as ProposedSegment).key };
  }
  return record.environment === null
    ? { type: 'flag', key: record.flag ?? '' }
    : { type: 'flag', key: record.flag ?? '', environment: record.environment };
}
