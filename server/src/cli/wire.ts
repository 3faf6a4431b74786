/**
 * The admin API's JSON as the CLI reads it (DESIGN §2, issue 6 contracts A and B). The CLI knows
 * only HTTP: these are shapes, not server code.
 */
import type { FlagConfig, FlagKind, Segment, Variation } from '@ringflag/sdk-node/engine';

export type { FlagConfig, FlagKind, Segment, Variation };

export interface Actor {
  type: 'user' | 'token' | 'system';
  id: string | number;
  name: string;
}

export interface EnvironmentView {
  key: string;
  name: string;
  order: number;
  requireApproval: boolean;
  revision: number;
}

export interface FlagView {
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
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/v1/flags/{key}`: the flag and its state per environment. */
export interface FlagDetail extends FlagView {
  environments: Record<string, { enabled: boolean; version: number }>;
}

export interface SegmentView extends Segment {
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
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

export const CHANGE_REQUEST_STATES: readonly ChangeRequestState[] = [
  'pending',
  'approved',
  'scheduled',
  'applied',
  'rejected',
  'withdrawn',
  'conflict',
  'cancelled',
];

/** Contract A: the body of a 202 and of `/api/v1/change-requests/{id}`. */
export interface ChangeRequest {
  id: number;
  state: ChangeRequestState;
  flag: string;
  environment: string;
  kind: 'config' | 'toggle';
  proposed: FlagConfig;
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

export interface ReleaseStage {
  name: string;
  segments?: string[];
  percentage: number;
  holdMinutes?: number;
  approval?: boolean;
}

export interface ReleaseGuard {
  event: string;
  maxRate: number;
  minExposures: number;
}

/** Contract B: a release plan. */
export interface ReleasePlan {
  id: number;
  flag: string;
  environment: string;
  variation: string;
  state: 'running' | 'paused' | 'completed' | 'rolled_back';
  stages: ReleaseStage[];
  currentStage: number;
  stageStartedAt: string;
  nextAdvanceAt: string | null;
  guard: ReleaseGuard | null;
  approvals: { stage: number; by: Actor; at: string; comment: string | null }[];
  incident: null | {
    at: string;
    event: string;
    rate: number;
    exposures: number;
    events: number;
    maxRate: number;
  };
  createdBy: Actor;
  createdAt: string;
  updatedAt: string;
}
