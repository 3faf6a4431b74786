import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  json,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * The PostgreSQL mirror of schema.ts: the same tables, SQL names, keys, indexes and defaults, with row
 * types identical to the SQLite tables' (schema-parity.ts checks it), so one store runs on both.
 * schema.ts documents what the tables and columns mean; a schema change edits both files.
 *
 * Dialect mapping: autoincrement keys are identity columns, `integer` booleans are `boolean`, JSON text is
 * `json` (not `jsonb`: `json` keeps the text exactly, which the audit hash chain relies on), timestamps
 * stay ISO text, and counts that may exceed 2^31 over time are `bigint` read as numbers.
 * `pnpm --filter @ringflag/server db:generate` turns changes here into migrations/postgres.
 */

import type { EnvironmentRef } from './schema.js';

const timestamps = {
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
};

/** Key/value settings; see schema.ts. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** Projects; see schema.ts. */
export const projects = pgTable('projects', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  key: text('key').notNull().unique(),
  name: text('name').notNull(),
  archived: boolean('archived').notNull().default(false),
  ...timestamps,
});

/** A user's role in a project; see schema.ts. */
export const projectMembers = pgTable(
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

export const environments = pgTable(
  'environments',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id').notNull(),
    key: text('key').notNull(),
    ref: text('ref').$type<EnvironmentRef>().notNull().unique(),
    name: text('name').notNull(),
    sortOrder: integer('sort_order').notNull(),
    requireApproval: boolean('require_approval').notNull().default(false),
    corsOrigins: json('cors_origins').$type<string[]>().notNull().default(sql`'[]'`),
    /** Increments on every change to what an SDK of this environment receives. */
    revision: integer('revision').notNull().default(0),
    ...timestamps,
  },
  (t) => [uniqueIndex('environments_project_key_uq').on(t.projectId, t.key)],
);

/** The durable log of SDK payload changes, one row per environment revision; see schema.ts. */
export const changeLog = pgTable(
  'change_log',
  {
    environment: text('environment').$type<EnvironmentRef>().notNull(),
    revision: integer('revision').notNull(),
    patch: json('patch')
      .$type<{ flags: Record<string, unknown>; segments: Record<string, unknown> }>()
      .notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.environment, t.revision] }),
    index('change_log_created_at_idx').on(t.createdAt),
  ],
);

export const flags = pgTable(
  'flags',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id').notNull(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    kind: text('kind', { enum: ['boolean', 'string', 'number', 'json'] }).notNull(),
    variations: json('variations').$type<unknown[]>().notNull(),
    tags: json('tags').$type<string[]>().notNull().default(sql`'[]'`),
    owner: text('owner'),
    temporary: boolean('temporary').notNull().default(true),
    clientSide: boolean('client_side').notNull().default(false),
    archived: boolean('archived').notNull().default(false),
    /** The flag's global version (its `ETag`). */
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [uniqueIndex('flags_project_key_uq').on(t.projectId, t.key)],
);

/** The per-environment part of a flag config; see schema.ts. */
export const flagConfigs = pgTable(
  'flag_configs',
  {
    flagId: integer('flag_id')
      .notNull()
      .references(() => flags.id, { onDelete: 'cascade' }),
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    enabled: boolean('enabled').notNull(),
    offVariation: text('off_variation').notNull(),
    prerequisites: json('prerequisites').$type<unknown[]>().notNull(),
    targets: json('targets').$type<unknown[]>().notNull(),
    rules: json('rules').$type<unknown[]>().notNull(),
    fallthrough: json('fallthrough').$type<unknown>().notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.flagId, t.environmentId] })],
);

export const segments = pgTable(
  'segments',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id').notNull(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    version: integer('version').notNull(),
    included: json('included').$type<string[]>().notNull(),
    excluded: json('excluded').$type<string[]>().notNull(),
    rules: json('rules').$type<unknown[]>().notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('segments_project_key_uq').on(t.projectId, t.key)],
);

export const users = pgTable(
  'users',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    email: text('email').notNull().unique(),
    name: text('name').notNull(),
    orgAdmin: boolean('org_admin').notNull().default(false),
    passwordHash: text('password_hash').notNull(),
    disabled: boolean('disabled').notNull().default(false),
    ssoIssuer: text('sso_issuer'),
    ssoSubject: text('sso_subject'),
    ...timestamps,
  },
  (t) => [uniqueIndex('users_sso_uq').on(t.ssoIssuer, t.ssoSubject)],
);

/** Login sessions; see schema.ts. */
export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  userId: integer('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  createdAt: text('created_at').notNull(),
  expiresAt: text('expires_at').notNull(),
  revokedAt: text('revoked_at'),
});

export const apiTokens = pgTable('api_tokens', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  name: text('name').notNull(),
  /** sha256 (hex) of the token. */
  tokenHash: text('token_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  projectId: integer('project_id').notNull(),
  role: text('role', { enum: ['viewer', 'editor', 'approver', 'admin'] }).notNull(),
  /** Environment keys the token may act on; null means all. */
  environments: json('environments').$type<string[] | null>(),
  createdBy: integer('created_by').references(() => users.id),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
});

export const sdkKeys = pgTable('sdk_keys', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  environmentId: integer('environment_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  type: text('type', { enum: ['server', 'client'] }).notNull(),
  /** sha256 (hex) of the key. */
  keyHash: text('key_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
});

/**
 * The audit chain; see schema.ts. The writer assigns `id` (the chain's sequence number); the column is an
 * identity only so that, as with SQLite's integer primary key, the insert type leaves it optional.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    at: text('at').notNull(),
    actorType: text('actor_type', { enum: ['user', 'token', 'system'] }).notNull(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceKey: text('resource_key').notNull(),
    resourceEnvironment: text('resource_environment'),
    project: text('project'),
    before: text('before'),
    after: text('after'),
    comment: text('comment'),
    changeRequestId: text('change_request_id'),
    /** The actor a system step acted for, as JSON. */
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

/** Signed checkpoints of the audit chain's head; see schema.ts. */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  /** The id of the audit event this checkpoint covers. */
  eventId: integer('event_id').notNull(),
  hash: text('hash').notNull(),
  at: text('at').notNull(),
  /** Ed25519 signature (base64) of the checkpoint's message. */
  signature: text('signature').notNull(),
  keyId: text('key_id').notNull(),
});

/** Exposure counts reported by SDKs, per flag, variant and minute (epoch minutes). */
export const exposureCounts = pgTable(
  'exposure_counts',
  {
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    flagKey: text('flag_key').notNull(),
    variant: text('variant').notNull(),
    minute: integer('minute').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [
    uniqueIndex('exposure_counts_uq').on(t.environmentId, t.flagKey, t.variant, t.minute),
    index('exposure_counts_minute_idx').on(t.minute),
  ],
);

/** Tracked event counts reported by SDKs, per event name and minute. */
export const eventCounts = pgTable(
  'event_counts',
  {
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    minute: integer('minute').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [
    uniqueIndex('event_counts_uq').on(t.environmentId, t.event, t.minute),
    index('event_counts_minute_idx').on(t.minute),
  ],
);

/** An actor as stored in JSON columns (the audit model's `Actor`). */
type StoredActor = { type: 'user' | 'token' | 'system'; id: string; name: string };

/** Change requests and scheduled changes; see schema.ts. */
export const changeRequests = pgTable(
  'change_requests',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id').notNull(),
    flagId: integer('flag_id').references(() => flags.id, { onDelete: 'cascade' }),
    environmentId: integer('environment_id').references(() => environments.id, { onDelete: 'cascade' }),
    segmentId: integer('segment_id').references(() => segments.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: ['config', 'toggle', 'flag', 'archive', 'unarchive', 'segment'] }).notNull(),
    environments: json('environments').$type<string[]>().notNull().default(sql`'[]'`),
    state: text('state', {
      enum: ['pending', 'approved', 'scheduled', 'applied', 'rejected', 'withdrawn', 'conflict', 'cancelled'],
    }).notNull(),
    proposed: json('proposed').$type<unknown>().notNull(),
    operations: json('operations').$type<unknown[]>(),
    baseVersion: integer('base_version').notNull(),
    author: json('author').$type<StoredActor>().notNull(),
    authorUserId: integer('author_user_id'),
    comment: text('comment'),
    applyAt: text('apply_at'),
    reviewer: json('reviewer').$type<StoredActor>(),
    reviewComment: text('review_comment'),
    reviewedAt: text('reviewed_at'),
    appliedAt: text('applied_at'),
    conflict: text('conflict'),
    conflicts: json('conflicts').$type<unknown[]>(),
    revision: integer('revision').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index('change_requests_state_idx').on(t.state, t.applyAt),
    index('change_requests_flag_idx').on(t.flagId, t.environmentId),
    index('change_requests_project_idx').on(t.projectId, t.state),
  ],
);

/** Release plans (rings); see schema.ts. */
export const releasePlans = pgTable(
  'release_plans',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    flagId: integer('flag_id')
      .notNull()
      .references(() => flags.id, { onDelete: 'cascade' }),
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    variation: text('variation').notNull(),
    state: text('state', { enum: ['running', 'paused', 'completed', 'rolled_back'] }).notNull(),
    stages: json('stages').$type<unknown[]>().notNull(),
    /** Index of the stage in effect; -1 while the first stage awaits its approval. */
    currentStage: integer('current_stage').notNull(),
    stageStartedAt: text('stage_started_at').notNull(),
    stageHistory: json('stage_history').$type<unknown[]>().notNull(),
    guard: json('guard').$type<unknown>(),
    approvals: json('approvals').$type<unknown[]>().notNull(),
    /** What a guard trip does: 'off' switches the flag off, 'revert' restores `prePlanConfig`. */
    onTrip: text('on_trip', { enum: ['off', 'revert'] })
      .notNull()
      .default('off'),
    /** The flag's config in the environment before the plan started (what a rollback restores); null for older plans. */
    prePlanConfig: json('pre_plan_config').$type<unknown>(),
    incident: json('incident').$type<unknown>(),
    createdBy: json('created_by').$type<unknown>().notNull(),
    ...timestamps,
  },
  (t) => [
    index('release_plans_flag_env_idx').on(t.flagId, t.environmentId),
    index('release_plans_env_state_idx').on(t.environmentId, t.state),
  ],
);

/** Tracked events attributed to the variant their context gets, per flag, event and minute (guards). */
export const guardEventCounts = pgTable(
  'guard_event_counts',
  {
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    flagKey: text('flag_key').notNull(),
    variant: text('variant').notNull(),
    event: text('event').notNull(),
    minute: integer('minute').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [
    uniqueIndex('guard_event_counts_uq').on(t.environmentId, t.flagKey, t.event, t.variant, t.minute),
    index('guard_event_counts_minute_idx').on(t.minute),
  ],
);

/** Exposures a guard trusts, per flag, variant and minute; see schema.ts. */
export const guardExposureCounts = pgTable(
  'guard_exposure_counts',
  {
    environmentId: integer('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    flagKey: text('flag_key').notNull(),
    variant: text('variant').notNull(),
    minute: integer('minute').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [
    uniqueIndex('guard_exposure_counts_uq').on(t.environmentId, t.flagKey, t.variant, t.minute),
    index('guard_exposure_counts_minute_idx').on(t.minute),
  ],
);
