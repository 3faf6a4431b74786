import { z } from '@hono/zod-openapi';
import { ruleSchema } from '@ringflag/sdk-node/engine';
import { problemSchema } from '../../errors/index.js';
import { type Agrees, listOf, named, orNull, timestampSchema } from '../../http/openapi-app.js';
import { actorSchema } from '../audit/audit-event.js';
import { flagConfigWireSchema, flagSchema } from '../flags/flag-schemas.js';
import { proposedSegmentSchema } from '../segments/segment-schemas.js';
import {
  CHANGE_REQUEST_KINDS,
  CHANGE_REQUEST_STATES,
  type ChangeRequest,
  CONFIG_FIELDS,
  type ConfigConflict,
  type ConfigOperation,
  type ProposedSegment,
} from './change-request.js';

/*
 * Change requests as the API shows them, for the OpenAPI document and the handlers' types. The types in
 * change-request.ts are what the service builds; the checks at the end stop compiling when the two part,
 * so a field added there must be described here.
 */

export const changeRequestStateSchema = z.enum(CHANGE_REQUEST_STATES).openapi('ChangeRequestState');
export const changeRequestKindSchema = z.enum(CHANGE_REQUEST_KINDS).openapi('ChangeRequestKind');

const ruleWireSchema = named(ruleSchema, 'Rule');
const afterRule = z
  .string()
  .nullable()
  .openapi({ description: 'The id of the rule it comes after; null for first.' });

/** One change an author made to a config: a field set, or a rule added, changed, removed or moved. */
export const configOperationSchema = z
  .union([
    z.object({
      op: z.literal('set'),
      field: z.enum(CONFIG_FIELDS),
      before: z.unknown().openapi({ description: 'The value the author changed it from.' }),
      after: z.unknown(),
    }),
    z.object({ op: z.literal('addRule'), rule: ruleWireSchema, afterRule }),
    z.object({
      op: z.literal('updateRule'),
      ruleId: z.string(),
      before: ruleWireSchema,
      after: ruleWireSchema,
    }),
    z.object({ op: z.literal('removeRule'), ruleId: z.string(), before: ruleWireSchema }),
    z.object({ op: z.literal('moveRule'), ruleId: z.string(), afterRule }),
  ])
  .openapi('ConfigOperation');

/** Why part of a request could not apply: `path` is a field (`fallthrough`) or a rule (`rules.<id>`). */
export const configConflictSchema = z
  .object({ path: z.string(), message: z.string() })
  .openapi('ConfigConflict');

const common = {
  id: z.number().int(),
  state: changeRequestStateSchema,
  environments: z.array(z.string()).openapi({
    description:
      'The approval-required environments that gate it: `[environment]` for a config or toggle change, those whose served values a global change would change for the others.',
  }),
  baseVersion: z.number().int().openapi({
    description: 'The version of what it changes (config, flag or segment) the proposal was made against.',
  }),
  revision: z.number().int().openapi({
    description:
      '1 when made, one more whenever its author changes it while pending; approve and reject may name the revision the reviewer saw.',
  }),
  author: actorSchema,
  comment: z.string().nullable(),
  applyAt: timestampSchema.nullable(),
  createdAt: timestampSchema,
  reviewer: orNull(actorSchema),
  reviewComment: z.string().nullable(),
  reviewedAt: timestampSchema.nullable(),
  appliedAt: timestampSchema.nullable(),
  conflict: z
    .string()
    .nullable()
    .openapi({ description: 'Why it could not be applied, when `state` is `conflict`.' }),
};

/** A change to one flag config in one environment. */
export const configChangeRequestSchema = z
  .object({
    ...common,
    kind: z.enum(['config', 'toggle']),
    flag: z.string(),
    environment: z.string(),
    segment: z.null(),
    operations: z.array(configOperationSchema).openapi({
      description: 'What the author changed, in order; approval applies them to the config as it is then.',
    }),
    conflicts: z.array(configConflictSchema).nullable().openapi({
      description:
        'The fields and rules that stop it from applying: when `state` is `conflict`, why it did not; while it is open, what would conflict if it were applied now. Null when none.',
    }),
    proposed: flagConfigWireSchema,
  })
  .openapi('ConfigChangeRequest');

/** A change to a flag's global part, shared by every environment. */
export const flagChangeRequestSchema = z
  .object({
    ...common,
    kind: z.enum(['flag', 'archive', 'unarchive']),
    flag: z.string(),
    environment: z.null(),
    segment: z.null(),
    operations: z
      .tuple([])
      .openapi({ description: 'Always empty: it holds the whole flag it would result in.' }),
    conflicts: z.null(),
    proposed: flagSchema,
  })
  .openapi('FlagChangeRequest');

/** A change to a segment, shared by every environment. */
export const segmentChangeRequestSchema = z
  .object({
    ...common,
    kind: z.literal('segment'),
    flag: z.null(),
    environment: z.null(),
    segment: z.string().nullable().openapi({
      description:
        'Null once the segment was deleted (the request stays as history; `proposed.key` names it).',
    }),
    operations: z
      .tuple([])
      .openapi({ description: 'Always empty: it holds the whole segment it would result in.' }),
    conflicts: z.null(),
    proposed: proposedSegmentSchema,
  })
  .openapi('SegmentChangeRequest');

/**
 * A proposed change waiting for a second person's approval, for its `applyAt` time, or both. `kind`
 * says what it changes and what `proposed` holds.
 */
export const changeRequestSchema = z
  .union([configChangeRequestSchema, flagChangeRequestSchema, segmentChangeRequestSchema])
  .openapi('ChangeRequest');

/** `GET /api/v1/change-requests`. */
export const changeRequestListSchema = listOf(changeRequestSchema, 'ChangeRequestList');

/** A refused review or withdrawal; an approval that found a conflict carries the request, now `conflict`. */
export const changeRequestProblemSchema = problemSchema
  .extend({ changeRequest: changeRequestSchema.optional() })
  .openapi('ChangeRequestProblem');

true satisfies Agrees<z.infer<typeof configOperationSchema>, ConfigOperation>;
true satisfies Agrees<z.infer<typeof configConflictSchema>, ConfigConflict>;
true satisfies Agrees<z.infer<typeof proposedSegmentSchema>, ProposedSegment>;
true satisfies Agrees<z.infer<typeof changeRequestSchema>, ChangeRequest>;
