import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { changeRequests } from '../../db/schema.js';
import type { Actor } from '../audit/audit-event.js';

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

/** What a change request changes: a whole config (`PUT`) or the on/off switch (`toggle`). */
export type ChangeRequestKind = 'config' | 'toggle';

/**
 * A change request as the API shows it (issue 6 contract A): a proposed config waiting for a second
 * person's approval, for its `applyAt` time, or both.
 */
export interface ChangeRequest {
  id: number;
  state: ChangeRequestState;
  flag: string;
  environment: string;
  kind: ChangeRequestKind;
  /** The full config that would result. */
  proposed: FlagConfig;
  /** The config version the proposal was made against; applying needs the config still there. */
  baseVersion: number;
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

/** A row with its flag and environment keys, as the store reads it. */
export interface ChangeRequestRecord {
  row: ChangeRequestRow;
  flag: string;
  environment: string;
}

/** The wire form of a stored change request. */
export function changeRequestView({ row, flag, environment }: ChangeRequestRecord): ChangeRequest {
  return {
    id: row.id,
    state: row.state,
    flag,
    environment,
    kind: row.kind,
    proposed: row.proposed as FlagConfig,
    baseVersion: row.baseVersion,
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
}
