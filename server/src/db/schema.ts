import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The tables of Ringflag: the source of the database schema, and the tables stores are written against.
 * schema.pg.ts mirrors them for PostgreSQL with identical row types (schema-parity.ts checks it), so a
 * change here is made there too. `pnpm --filter @ringflag/server db:generate` turns changes into SQL
 * migrations under /migrations/sqlite and /migrations/postgres, applied at start.
 *
 * JSON columns hold wire-format values (variations, rules, …) exactly as the engine reads them.
 */

/**
 * An environment's identity across projects (`environments.ref`): what SDK streams, the change log and
 * the caches of SDK payloads are keyed by. Its own type, so a plain environment key is never mistaken for it.
 */
export type EnvironmentRef = string & { readonly __environmentRef: true };

const timestamps = {
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
};

/** Key/value settings kept in the database, such as the generated JWT secret. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/**
 * Projects: each team's or application's own flags, segments, environments, SDK keys, change requests,
 * release plans and API tokens. Keys of those are unique within their project. A database from before
 * projects has everything in the `default` project (id 1). Projects are archived, never deleted.
 */
export const projects = sqliteTable('projects', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  key: text('key').notNull().unique(),
  name: text('name').notNull(),
  archived: integer('archived', { mode: 'boolean' }).notNull().default(false),
  ...timestamps,
});

/** A user's role in a project; a user without a row has no access to the project (org admins have all). */
export const projectMembers = sqliteTable(
  'project_members',
  {
    projectId: integer('project_id').notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['viewer', 'editor', 'approver', 'admin'] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index('project_members_user_idx').on(t.userId)],
);

export const environments = sqliteTable(
  'environments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The project (`projects.id`; projects are never deleted, so no foreign key). */
    projectId: integer('project_id').notNull(),
    /** Unique within the project. */
    key: text('key').notNull(),
    /**
     * The environment's identity across projects, for SDK streams, the change log and caches: its key in
     * the `default` project, `project/key` in others (keys have no `/`). Never changes.
     */
    ref: text('ref').$type<EnvironmentRef>().notNull().unique(),
    name: text('name').notNull(),
    sortOrder: integer('sort_order').notNull(),
    requireApproval: integer('require_approval', { mode: 'boolean' }).notNull().default(false),
    corsOrigins: text('cors_origins', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Increments on every change to what an SDK of this environment receives. */
    revision: integer('revision').notNull().default(0),
    ...timestamps,
  },
  (t) => [uniqueIndex('environments_project_key_uq').on(t.projectId, t.key)],
);

/**
 * The durable log of every SDK payload change: one row per environment revision, written in the same
 * transaction as the revision bump. Replicas follow it, and any replica answers `Last-Event-ID` from it;
 * rows older than the retention are deleted.
 */
export const changeLog = sqliteTable(
  'change_log',
  {
    /** The environment's `ref`. */
    environment: text('environment').$type<EnvironmentRef>().notNull(),
    /** The environment revision this change produced. */
    revision: integer('revision').notNull(),
    /** The changed flags and segments, by key, in the SDK payload's shape. */
    patch: text('patch', { mode: 'json' })
      .$type<{ flags: Record<string, unknown>; segments: Record<string, unknown> }>()
      .notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.environment, t.revision] }),
    index('change_log_created_at_idx').on(t.createdAt),
  ],
);

export const flags = sqliteTable(
  'flags',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id').notNull(),
    /** Unique within the project. */
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    kind: text('kind', { enum: ['boolean', 'string', 'number', 'json'] }).notNull(),
    variations: text('variations', { mode: 'json' }).$type<unknown[]>().notNull(),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    owner: text('owner'),
    temporary: integer('temporary', { mode: 'boolean' }).notNull().default(true),
    clientSide: integer('client_side', { mode: 'boolean' }).notNull().default(false),
    archived: integer('archived', { mode: 'boolean' }).notNull().default(false),
    /** Increments on every change to the flag's global part (the `ETag` of `PATCH /api/v1/flags/{key}`). */
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [uniqueIndex('flags_project_key_uq').on(t.projectId, t.key)],
);

/** The per-environment part of a flag config; kind, variations and clientSide come from `flags`. */
export const flagConfigs = sqliteTable(
  'flag_configs',
  {
    flagId: integer('flag_id')
      .notNull()
      .references(() => flags.id, { onDelete: 'cascade' }),
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    offVariation: text('off_variation').notNull(),
    prerequisites: text('prerequisites', { mode: 'json' }).$type<unknown[]>().notNull(),
    targets: text('targets', { mode: 'json' }).$type<unknown[]>().notNull(),
    rules: text('rules', { mode: 'json' }).$type<unknown[]>().notNull(),
    fallthrough: text('fallthrough', { mode: 'json' }).$type<unknown>().notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.flagId, t.environmentId] })],
);

export const segments = sqliteTable(
  'segments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id').notNull(),
    /** Unique within the project. */
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    version: integer('version').notNull(),
    included: text('included', { mode: 'json' }).$type<string[]>().notNull(),
    excluded: text('excluded', { mode: 'json' }).$type<string[]>().notNull(),
    rules: text('rules', { mode: 'json' }).$type<unknown[]>().notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('segments_project_key_uq').on(t.projectId, t.key)],
);

/** People. What they may do in a project is in `project_members`; an org admin may do anything. */
export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull().unique(),
    name: text('name').notNull(),
    /** Manages users and projects, and has the admin role in every project. */
    orgAdmin: integer('org_admin', { mode: 'boolean' }).notNull().default(false),
    /** Empty for users who only sign in through single sign-on: no password matches it. */
    passwordHash: text('password_hash').notNull(),
    disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
    /** The OpenID Connect issuer and subject of a user who signed in through single sign-on. */
    ssoIssuer: text('sso_issuer'),
    ssoSubject: text('sso_subject'),
    ...timestamps,
  },
  (t) => [uniqueIndex('users_sso_uq').on(t.ssoIssuer, t.ssoSubject)],
);

/** Login sessions; a JWT names its session so that logout and disabling a user end it. */
export const sessions = sqliteTable('sessions', {
  id: text('id').primaryKey(),
  userId: integer('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  createdAt: text('created_at').notNull(),
  expiresAt: text('expires_at').notNull(),
  revokedAt: text('revoked_at'),
});

export const apiTokens = sqliteTable('api_tokens', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  /** sha256 (hex) of the token; the token itself is shown once. */
  tokenHash: text('token_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  /** The one project the token acts in. */
  projectId: integer('project_id').notNull(),
  role: text('role', { enum: ['viewer', 'editor', 'approver', 'admin'] }).notNull(),
  /** Environment keys (of its project) the token may act on; null means all. */
  environments: text('environments', { mode: 'json' }).$type<string[] | null>(),
  createdBy: integer('created_by').references(() => users.id),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
});

export const sdkKeys = sqliteTable('sdk_keys', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  environmentId: integer('environment_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  type: text('type', { enum: ['server', 'client'] }).notNull(),
  /** sha256 (hex) of the key; server keys are secrets, so only the hash is kept. */
  keyHash: text('key_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
});

export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey(),
    at: text('at').notNull(),
    actorType: text('actor_type', { enum: ['user', 'token', 'system'] }).notNull(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceKey: text('resource_key').notNull(),
    resourceEnvironment: text('resource_environment'),
    /** The key of the project the event happened in; null for organisation events (users, projects). */
    project: text('project'),
    before: text('before'),
    after: text('after'),
    comment: text('comment'),
    changeRequestId: text('change_request_id'),
    /** The actor a system step acted for (the author of a scheduled change), as JSON. */
    onBehalfOf: text('on_behalf_of'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_resource_idx').on(t.resourceType, t.resourceKey),
    index('audit_env_idx').on(t.resourceEnvironment),
    index('audit_actor_idx').on(t.actorId),
    index('audit_at_idx').on(t.at),
    index('audit_project_idx').on(t.project),
  ],
);

/**
 * Signed checkpoints of the audit chain's head: appended, never updated. The signing key lives outside
 * the database, so rewriting `audit_events` (even with recomputed hashes) cannot forge them.
 */
export const auditCheckpoints = sqliteTable('audit_checkpoints', {
  id: integer('id').primaryKey(),
  /** The id (sequence number) of the audit event this checkpoint covers. */
  eventId: integer('event_id').notNull(),
  /** That event's hash. */
  hash: text('hash').notNull(),
  at: text('at').notNull(),
  /** Ed25519 signature (base64) of the checkpoint's message; see audit-signing.ts. */
  signature: text('signature').notNull(),
  /** Which key signed it: the start of the sha256 of its public key. */
  keyId: text('key_id').notNull(),
});

/** Exposure counts reported by SDKs, per flag, variant and minute (epoch minutes). */
export const exposureCounts = sqliteTable(
  'exposure_counts',
  {
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    flagKey: text('flag_key').notNull(),
    variant: text('variant').notNull(),
    minute: integer('minute').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    uniqueIndex('exposure_counts_uq').on(t.environmentId, t.flagKey, t.variant, t.minute),
    index('exposure_counts_minute_idx').on(t.minute),
  ],
);

/** Tracked event counts reported by SDKs, per event name and minute. */
export const eventCounts = sqliteTable(
  'event_counts',
  {
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    minute: integer('minute').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    uniqueIndex('event_counts_uq').on(t.environmentId, t.event, t.minute),
    index('event_counts_minute_idx').on(t.minute),
  ],
);

/** An actor as stored in JSON columns (the audit model's `Actor`). */
type StoredActor = { type: 'user' | 'token' | 'system'; id: string; name: string };

/**
 * Change requests (four eyes) and scheduled changes: a proposed flag config waiting for approval
 * and/or for its `applyAt` time. The scheduler applies due `scheduled` rows, also after a restart.
 * `config` and `toggle` requests name a flag and an environment; flag-level requests (`flag`,
 * `archive`, `unarchive`) name a flag and no environment, `segment` requests a segment: they are
 * global, and `environments` lists the approval-required environments that made them necessary.
 */
export const changeRequests = sqliteTable(
  'change_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The project of its flag, environment or segment. */
    projectId: integer('project_id').notNull(),
    flagId: integer('flag_id').references(() => flags.id, { onDelete: 'cascade' }),
    environmentId: integer('environment_id').references(() => environments.id, { onDelete: 'cascade' }),
    /** Null once the segment is deleted: applied and rejected requests stay as history. */
    segmentId: integer('segment_id').references(() => segments.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: ['config', 'toggle', 'flag', 'archive', 'unarchive', 'segment'] }).notNull(),
    /** Keys of the approval-required environments a global request is gated by. */
    environments: text('environments', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    state: text('state', {
      enum: ['pending', 'approved', 'scheduled', 'applied', 'rejected', 'withdrawn', 'conflict', 'cancelled'],
    }).notNull(),
    /** The full config that would result (wire format). */
    proposed: text('proposed', { mode: 'json' }).$type<unknown>().notNull(),
    /**
     * What a config or toggle request changes (`ConfigOperation[]`, in order). Null for other kinds,
     * and for config requests stored as a snapshot before operations existed (derived when read).
     */
    operations: text('operations', { mode: 'json' }).$type<unknown[]>(),
    baseVersion: integer('base_version').notNull(),
    author: text('author', { mode: 'json' }).$type<StoredActor>().notNull(),
    /** The user behind the author (a token's creator), for the four-eyes rule; null when unknown. */
    authorUserId: integer('author_user_id'),
    comment: text('comment'),
    applyAt: text('apply_at'),
    reviewer: text('reviewer', { mode: 'json' }).$type<StoredActor>(),
    reviewComment: text('review_comment'),
    reviewedAt: text('reviewed_at'),
    appliedAt: text('applied_at'),
    conflict: text('conflict'),
    /** The fields and rules a config request's conflict names (`{ path, message }[]`). */
    conflicts: text('conflicts', { mode: 'json' }).$type<unknown[]>(),
    /**
     * Starts at 1 and goes up by one whenever its author changes a pending request (operations,
     * applyAt, comment): an approval may name the revision its reviewer saw.
     */
    revision: integer('revision').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index('change_requests_state_idx').on(t.state, t.applyAt),
    index('change_requests_flag_idx').on(t.flagId, t.environmentId),
    index('change_requests_project_idx').on(t.projectId, t.state),
  ],
);

/**
 * Release plans (rings): a variation released stage by stage in one environment. Stages, guard,
 * approvals and incident are JSON in the wire shape of the release API. At most one plan per flag and
 * environment is active (running or paused); finished plans stay as history.
 */
export const releasePlans = sqliteTable(
  'release_plans',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    flagId: integer('flag_id')
      .notNull()
      .references(() => flags.id, { onDelete: 'cascade' }),
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    variation: text('variation').notNull(),
    state: text('state', { enum: ['running', 'paused', 'completed', 'rolled_back'] }).notNull(),
    stages: text('stages', { mode: 'json' }).$type<unknown[]>().notNull(),
    /** Index of the stage in effect; -1 while the first stage awaits its approval. */
    currentStage: integer('current_stage').notNull(),
    stageStartedAt: text('stage_started_at').notNull(),
    /** When each stage took effect: `[{ stage, startedAt }]`. */
    stageHistory: text('stage_history', { mode: 'json' }).$type<unknown[]>().notNull(),
    guard: text('guard', { mode: 'json' }).$type<unknown>(),
    approvals: text('approvals', { mode: 'json' }).$type<unknown[]>().notNull(),
    /** What a guard trip does: 'off' switches the flag off, 'revert' restores `prePlanConfig`. */
    onTrip: text('on_trip', { enum: ['off', 'revert'] })
      .notNull()
      .default('off'),
    /** The flag's config in the environment before the plan started (what a rollback restores); null for older plans. */
    prePlanConfig: text('pre_plan_config', { mode: 'json' }).$type<unknown>(),
    incident: text('incident', { mode: 'json' }).$type<unknown>(),
    createdBy: text('created_by', { mode: 'json' }).$type<unknown>().notNull(),
    ...timestamps,
  },
  (t) => [
    index('release_plans_flag_env_idx').on(t.flagId, t.environmentId),
    index('release_plans_env_state_idx').on(t.environmentId, t.state),
  ],
);

/** Tracked events attributed to the variant their context gets, per flag, event and minute (guards). */
export const guardEventCounts = sqliteTable(
  'guard_event_counts',
  {
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    flagKey: text('flag_key').notNull(),
    variant: text('variant').notNull(),
    event: text('event').notNull(),
    minute: integer('minute').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    uniqueIndex('guard_event_counts_uq').on(t.environmentId, t.flagKey, t.event, t.variant, t.minute),
    index('guard_event_counts_minute_idx').on(t.minute),
  ],
);

/**
 * Exposures a guard trusts, per flag, variant and minute: counts reported with a server key (secret),
 * plus one per distinct browser context the server itself evaluated (see guard-intake.ts). Counts that
 * browsers report about themselves go only to `exposure_counts` (the insights chart).
 */
export const guardExposureCounts = sqliteTable(
  'guard_exposure_counts',
  {
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    flagKey: text('flag_key').notNull(),
    variant: text('variant').notNull(),
    minute: integer('minute').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    uniqueIndex('guard_exposure_counts_uq').on(t.environmentId, t.flagKey, t.variant, t.minute),
    index('guard_exposure_counts_minute_idx').on(t.minute),
  ],
);
