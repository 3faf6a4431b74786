/**
 * The wire types of the admin API, as the UI reads them (DESIGN §2, §5). The UI knows only the HTTP
 * protocol, so these are written out here rather than imported from the server or the engine.
 */

export type Role = 'viewer' | 'editor' | 'approver' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'editor', 'approver', 'admin'];

export type FlagKind = 'boolean' | 'string' | 'number' | 'json';
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Variation {
  id: string;
  value: JsonValue;
  name?: string;
}

export const CLAUSE_OPS = [
  'in',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
  'lt',
  'lte',
  'gt',
  'gte',
  'before',
  'after',
  'semverEq',
  'semverLt',
  'semverGt',
  'inSegment',
] as const;
export type ClauseOp = (typeof CLAUSE_OPS)[number];

export type ClauseValue = string | number | boolean;

export interface Clause {
  attribute?: string;
  op: ClauseOp;
  values: ClauseValue[];
  negate?: boolean;
}

export interface WeightedVariation {
  variation: string;
  weight: number;
}

export interface Rollout {
  bucketBy?: string;
  salt?: string;
  variations: WeightedVariation[];
}

export type Serve = { variation: string } | { rollout: Rollout };

export interface Rule {
  id: string;
  name?: string;
  clauses: Clause[];
  serve: Serve;
}

export interface Target {
  variation: string;
  keys: string[];
}

export interface Prerequisite {
  flag: string;
  variation: string;
}

/** One flag in one environment: what the SDKs evaluate. */
export interface FlagConfig {
  key: string;
  version: number;
  kind: FlagKind;
  variations: Variation[];
  enabled: boolean;
  offVariation: string;
  prerequisites: Prerequisite[];
  targets: Target[];
  rules: Rule[];
  fallthrough: Serve;
  clientSide: boolean;
}

/** The per-environment part of a config that the flag page edits. */
export type Targeting = Pick<
  FlagConfig,
  'offVariation' | 'prerequisites' | 'targets' | 'rules' | 'fallthrough'
>;

export interface Flag {
  key: string;
  name: string;
  description: string;
  kind: FlagKind;
  variations: Variation[];
  tags: string[];
  owner: string | null;
  temporary: boolean;
  clientSide: boolean;
  archived: boolean;
  /** Increments on every change to the flag's global part; sent back as If-Match. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewFlag {
  key: string;
  name?: string;
  description?: string;
  kind: FlagKind;
  variations?: Variation[];
  tags?: string[];
  temporary?: boolean;
  clientSide?: boolean;
}

export interface Environment {
  key: string;
  name: string;
  order: number;
  requireApproval: boolean;
  corsOrigins: string[];
  revision: number;
}

export interface Me {
  kind: 'user' | 'token';
  id: number;
  name: string;
  role: Role;
  environments: string[] | null;
}

export interface SegmentRule {
  id?: string;
  clauses: Clause[];
}

export interface Segment {
  key: string;
  name: string;
  description: string;
  version: number;
  included: string[];
  excluded: string[];
  rules: SegmentRule[];
  createdAt: string;
  updatedAt: string;
}

export interface Actor {
  type: 'user' | 'token' | 'system';
  id: string;
  name: string;
}

export interface AuditEvent {
  id: number;
  at: string;
  actor: Actor;
  action: string;
  resource: { type: string; key: string; environment?: string };
  before: unknown;
  after: unknown;
  comment?: string;
  changeRequestId?: string;
  /** Set when the system acted for someone (the author of a scheduled change). */
  onBehalfOf?: Actor;
  prevHash: string;
  hash: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface EvaluationReason {
  kind: 'OFF' | 'TARGET_MATCH' | 'RULE_MATCH' | 'PREREQUISITE_FAILED' | 'FALLTHROUGH' | 'ERROR';
  ruleId?: string;
  ruleIndex?: number;
  inRollout?: boolean;
  prerequisiteKey?: string;
  errorKind?: string;
}

export interface EvaluationResult {
  value: JsonValue;
  variant: string | null;
  reason: EvaluationReason;
}

export interface SdkKey {
  id: number;
  environment: string;
  type: 'server' | 'client';
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  environments: string[] | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface EnvironmentDelivery {
  environment: string;
  revision: number;
  streams: number;
  lastPublish: { revision: number; at: string; streams: number } | null;
}

export interface FlagEnvironmentState {
  config: FlagConfig;
  updatedAt: string;
  lastEvaluatedAt: string | null;
}

export interface FlagStates {
  key: string;
  environments: Record<string, FlagEnvironmentState>;
}

export interface ExposureSeries {
  flag: string;
  environment: string;
  since: string;
  until: string;
  variants: string[];
  minutes: { minute: number; at: string; counts: Record<string, number> }[];
  totals: Record<string, number>;
}

export interface SegmentUse {
  flag: string;
  environment: string;
  rules: { index: number; id: string; name?: string }[];
}

export type ChangeRequestState =
  | 'pending'
  | 'approved'
  | 'scheduled'
  | 'applied'
  | 'rejected'
  | 'withdrawn'
  | 'conflict'
  | 'cancelled';

interface ChangeRequestCommon {
  id: number;
  state: ChangeRequestState;
  /**
   * The environments requiring approval that gate it: `[environment]` for a config change, those
   * whose served values a global (flag-level or segment) change would change.
   */
  environments: string[];
  /** The version of the config, flag or segment the proposal was made against. */
  baseVersion: number;
  author: Actor;
  comment: string | null;
  applyAt: string | null;
  createdAt: string;
  reviewer: Actor | null;
  reviewComment: string | null;
  reviewedAt: string | null;
  appliedAt: string | null;
  conflict: string | null;
}

/** A segment as a change request proposes it. */
export interface ProposedSegment {
  key: string;
  name: string;
  description: string;
  version: number;
  included: string[];
  excluded: string[];
  rules: unknown[];
}

/**
 * A proposed change waiting for a second person's approval and/or its `applyAt` time: a config in
 * one environment (`config`, `toggle`), a flag's global part (`flag`, `archive`, `unarchive`) or a
 * segment (`segment`) — the last two change every environment at once.
 */
export type ChangeRequest =
  | (ChangeRequestCommon & {
      kind: 'config' | 'toggle';
      flag: string;
      environment: string;
      segment: null;
      /** The full config that would result. */
      proposed: FlagConfig;
    })
  | (ChangeRequestCommon & {
      kind: 'flag' | 'archive' | 'unarchive';
      flag: string;
      environment: null;
      segment: null;
      /** The flag that would result. */
      proposed: Flag;
    })
  | (ChangeRequestCommon & {
      kind: 'segment';
      flag: null;
      environment: null;
      /** Null once the segment was deleted (the request stays as history). */
      segment: string | null;
      proposed: ProposedSegment;
    });
