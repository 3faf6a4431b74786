/**
 * The wire types of the admin API, as the UI reads them (DESIGN §2, §5). The UI knows only the HTTP
 * protocol: the types come from the server's OpenAPI document, generated into api.gen.ts by
 * `pnpm --filter @ringflag/admin-ui gen:api`. UI-only types and constants are written out here.
 */
import type { components, paths } from './api.gen';

type Schemas = components['schemas'];

/** A union of `kind`-tagged objects read as one object: its `kind`, and every other field optional. */
type Flattened<U extends { kind: string }> = { kind: U['kind'] } & {
  [K in U extends unknown ? Exclude<keyof U, 'kind'> : never]?: U extends unknown
    ? K extends keyof U
      ? Exclude<U[K], undefined>
      : never
    : never;
};

/** A role in a project (the document's `Role` also stands for "no role" where it is nullable). */
export type Role = NonNullable<Schemas['Role']>;
export const ROLES: readonly Role[] = ['viewer', 'editor', 'approver', 'admin'];

export type FlagKind = Schemas['FlagKind'];
export type JsonValue = Schemas['JsonValue'];
export type Variation = Schemas['Variation'];

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

export type Rule = Schemas['Rule'];
export type Clause = Rule['clauses'][number];
export type ClauseValue = Clause['values'][number];
export type Serve = Rule['serve'];
export type Rollout = Extract<Serve, { rollout: unknown }>['rollout'];
export type WeightedVariation = Rollout['variations'][number];

/** One flag in one environment: what the SDKs evaluate. */
export type FlagConfig = Schemas['FlagConfig'];
export type Target = FlagConfig['targets'][number];
export type Prerequisite = FlagConfig['prerequisites'][number];

/** The per-environment part of a config that the flag page edits. */
export type Targeting = Pick<
  FlagConfig,
  'offVariation' | 'prerequisites' | 'targets' | 'rules' | 'fallthrough'
>;

/** A flag's global part; `version` is sent back as If-Match. */
export type Flag = Schemas['Flag'];
/** The body of `POST /api/v1/flags`. */
export type NewFlag = paths['/api/v1/flags']['post']['requestBody']['content']['application/json'];
export type Environment = Schemas['Environment'];
export type Me = Schemas['Me'];
/** How people may sign in (`GET /api/v1/auth/methods`). */
export type AuthMethods = Schemas['AuthMethods'];
export type Segment = Schemas['Segment'];
export type SegmentRule = Segment['rules'][number];
export type Actor = Schemas['Actor'];
export type AuditEvent = Schemas['AuditEvent'];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Why a context got its value, read as one object (the wire has one shape per `kind`). */
export type EvaluationReason = Flattened<Schemas['EvaluationReason']>;

/** An admin evaluation's result: the SDK's, and the matched rule's name when it has one. */
export type EvaluationResult = Omit<Schemas['AdminEvaluationResult'], 'reason'> & {
  reason: EvaluationReason;
};

export type SdkKey = Schemas['SdkKey'];
export type ApiToken = Schemas['ApiToken'];
export type User = Schemas['User'];
/** A project the caller may see, with their role in it (`GET /api/v1/projects`). */
export type Project = Schemas['Project'] & { role: Role };
/** Someone with a role in a project (`GET /api/v1/projects/{project}/members`). */
export type ProjectMember = Schemas['ProjectMember'] & { role: Role };
export type EnvironmentDelivery = Schemas['EnvironmentDelivery'];
export type FlagEnvironmentState = Schemas['FlagEnvironmentState'];
export type FlagStates = Schemas['FlagStates'];
export type ExposureSeries = Schemas['ExposureSeries'];
export type SegmentUse = Schemas['SegmentUse'];
export type ChangeRequestState = Schemas['ChangeRequestState'];

/** What a config request changes, one step at a time; approving applies them to the config as it is then. */
export type ConfigOperation = Schemas['ConfigOperation'];
/** A field of a config whose change request changes it wholesale. */
export type ConfigField = Extract<ConfigOperation, { op: 'set' }>['field'];
/** Why one part of a config request could not apply: `path` names the field or rule. */
export type ConfigConflict = Schemas['ConfigConflict'];
/** A segment as a change request proposes it. */
export type ProposedSegment = Schemas['ProposedSegment'];

/**
 * A proposed change waiting for a second person's approval and/or its `applyAt` time: a config in
 * one environment (`config`, `toggle`), a flag's global part (`flag`, `archive`, `unarchive`) or a
 * segment (`segment`) — the last two change every environment at once.
 */
export type ChangeRequest = Schemas['ChangeRequest'];

/** One ring of a release plan; `percentage` is the share of everyone else, 0–100. */
export type ReleaseStage = Schemas['ReleaseStage'];
/** A release plan's guard. `maxRate` is events per exposure, 0–1 (shown as a percentage). */
export type ReleaseGuard = Schemas['ReleaseGuard'];
/** The figures that tripped a guard. */
export type GuardIncident = Schemas['GuardIncident'];
/** A release plan as `GET …/release` returns it; `currentStage` is 0-based, -1 while the first awaits approval. */
export type ReleasePlan = Schemas['ReleasePlan'];
/** What a guard trip does: switch the flag off (the default) or restore the pre-plan config. */
export type ReleaseOnTrip = ReleasePlan['onTrip'];
/** A plan as creating or rolling it back returns it, with what a person should know. */
export type ReleasePlanResult = Schemas['ReleasePlanResult'];
/** The body of `POST …/release` and `POST …/release/preview`. */
export type NewReleasePlan =
  paths['/api/v1/flags/{key}/environments/{env}/release']['post']['requestBody']['content']['application/json'];
/** `POST …/release/preview`: what starting the plan would do; nothing is written. */
export type ReleasePreview = Schemas['ReleasePreview'];
/** One stage of a release preview: the config the flag gets when the stage takes effect. */
export type ReleasePreviewStage = ReleasePreview['stages'][number];
/** A release stage awaiting an approval (`GET /api/v1/release-approvals`). */
export type ReleaseApproval = Schemas['ReleaseApproval'];
