/**
 * The admin API's JSON as the CLI reads it. The CLI talks to the server only over HTTP, but the
 * shapes are the server's own: they are imported from where the server defines them, so the two cannot
 * drift apart. Only types are imported, plus the list of change-request states from a module whose own
 * imports are all type-only, so no server code loads with the CLI.
 */
import type { FlagConfig, FlagKind, Segment, Variation } from '@ringflag/sdk-node/engine';
import type { FlagView } from '../features/flags/flag-model.js';

export type { Actor } from '../features/audit/audit-event.js';
export type {
  ChangeRequest,
  ChangeRequestState,
  ConfigChangeRequest,
  ConfigOperation,
} from '../features/change-requests/change-request.js';
export { CHANGE_REQUEST_STATES } from '../features/change-requests/change-request.js';
export type { FlagView } from '../features/flags/flag-model.js';
export type { ProjectView } from '../features/projects/projects.service.js';
export type { ReleasePlan, ReleasePlanResult } from '../features/releases/release-plan.js';
export type { ReleasePreview } from '../features/releases/release-preview.js';
export type { ReleaseGuard, ReleaseOnTrip, ReleaseStage } from '../features/releases/release-schemas.js';
export type { FlagConfig, FlagKind, Segment, Variation };

export interface EnvironmentView {
  key: string;
  name: string;
  order: number;
  requireApproval: boolean;
  revision: number;
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
