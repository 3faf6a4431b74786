import { z } from 'zod';
import { LIMITS } from './limits.js';

/**
 * The wire schemas of the flag model (DESIGN §2–3): one zod schema per concept. The engine checks
 * payloads with them, the server validates requests with them and builds its OpenAPI document from
 * them. Structural checks live here; checks that need the whole config (references, weights, regular
 * expressions, cycles) live in validate.ts.
 */

export const FLAG_KEY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const flagKeySchema = z
  .string()
  .regex(FLAG_KEY_PATTERN, 'must be 1–128 of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 1–128 of A-Z, a-z, 0-9, ".", "_", "-", starting with a letter or digit');

export const flagKindSchema = z.enum(['boolean', 'string', 'number', 'json']);
export type FlagKind = z.infer<typeof flagKindSchema>;

/** A JSON value, as a variation of a `json` flag may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    z.record(z.string(), jsonValueSchema),
  ]),
);

export const variationSchema = z.object({
  id: idSchema,
  value: jsonValueSchema,
  name: z.string().max(LIMITS.nameLength).optional(),
});
export type Variation = z.infer<typeof variationSchema>;

export const clauseOpSchema = z.enum([
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
]);
export type ClauseOp = z.infer<typeof clauseOpSchema>;

const attributeNameSchema = z.string().min(1).max(LIMITS.keyLength);
const clauseValueSchema = z.union([z.string().max(LIMITS.stringLength), z.number(), z.boolean()]);

export const clauseSchema = z.object({
  /** The context attribute; not used by `inSegment`, which looks at the whole context. */
  attribute: attributeNameSchema.optional(),
  op: clauseOpSchema,
  values: z.array(clauseValueSchema).min(1).max(LIMITS.clauseValues),
  negate: z.boolean().optional(),
});
export type Clause = z.infer<typeof clauseSchema>;

export const weightedVariationSchema = z.object({
  variation: idSchema,
  weight: z.number().int().min(0).max(100_000),
});
export type WeightedVariation = z.infer<typeof weightedVariationSchema>;

export const rolloutSchema = z.object({
  /** The context attribute whose value is hashed; `key` by default. */
  bucketBy: attributeNameSchema.optional(),
  /** Flags that share a salt share their cohorts; the flag key by default. */
  salt: z.string().max(LIMITS.keyLength).optional(),
  variations: z.array(weightedVariationSchema).min(1).max(LIMITS.variations),
});
export type Rollout = z.infer<typeof rolloutSchema>;

/** What a rule or the fallthrough serves: one variation, or a percentage rollout. */
export const serveSchema = z.union([
  z.object({ variation: idSchema }).strict(),
  z.object({ rollout: rolloutSchema }).strict(),
]);
export type Serve = z.infer<typeof serveSchema>;

export const ruleSchema = z.object({
  id: idSchema,
  name: z.string().max(LIMITS.nameLength).optional(),
  clauses: z.array(clauseSchema).min(1).max(LIMITS.clauses),
  serve: serveSchema,
});
export type Rule = z.infer<typeof ruleSchema>;

export const targetSchema = z.object({
  variation: idSchema,
  keys: z.array(z.string().min(1).max(LIMITS.stringLength)).max(LIMITS.targetKeys),
});
export type Target = z.infer<typeof targetSchema>;

export const prerequisiteSchema = z.object({ flag: flagKeySchema, variation: idSchema });
export type Prerequisite = z.infer<typeof prerequisiteSchema>;

/** The unit an SDK evaluates: one flag in one environment (DESIGN §2). */
export const flagConfigSchema = z.object({
  key: flagKeySchema,
  version: z.number().int().min(0),
  kind: flagKindSchema,
  variations: z.array(variationSchema).min(1).max(LIMITS.variations),
  enabled: z.boolean(),
  offVariation: idSchema,
  prerequisites: z.array(prerequisiteSchema).max(LIMITS.prerequisites).default([]),
  targets: z.array(targetSchema).max(LIMITS.variations).default([]),
  rules: z.array(ruleSchema).max(LIMITS.rules).default([]),
  fallthrough: serveSchema,
  clientSide: z.boolean().default(false),
});
export type FlagConfig = z.infer<typeof flagConfigSchema>;
/** A flag config as written by a user: defaults may be left out. */
export type FlagConfigInput = z.input<typeof flagConfigSchema>;

export const segmentRuleSchema = z.object({
  id: idSchema.optional(),
  clauses: z.array(clauseSchema).min(1).max(LIMITS.clauses),
});
export type SegmentRule = z.infer<typeof segmentRuleSchema>;

/** A reusable audience: included keys, excluded keys, and rules (ORed). */
export const segmentSchema = z.object({
  key: flagKeySchema,
  version: z.number().int().min(0).default(0),
  included: z.array(z.string().min(1).max(LIMITS.stringLength)).max(LIMITS.segmentKeys).default([]),
  excluded: z.array(z.string().min(1).max(LIMITS.stringLength)).max(LIMITS.segmentKeys).default([]),
  rules: z.array(segmentRuleSchema).max(LIMITS.rules).default([]),
});
export type Segment = z.infer<typeof segmentSchema>;
export type SegmentInput = z.input<typeof segmentSchema>;

/** The body of `GET /sdk/v1/flags` and of a stream's `put` event. */
export const sdkPayloadSchema = z.object({
  revision: z.number().int().min(0),
  flags: z.record(z.string(), z.unknown()),
  segments: z.record(z.string(), z.unknown()).default({}),
});
export interface SdkPayload {
  revision: number;
  flags: Record<string, FlagConfigInput>;
  segments: Record<string, SegmentInput>;
}

/** An attribute value of a context. */
export type AttributeValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

/**
 * Who is asking: `key` is the identity, `groups` the group membership, anything else is an attribute.
 *
 * @example
 * const context: Context = { key: 'user-1', groups: ['beta'], email: 'a@example.com', plan: 'pro' };
 */
export interface Context {
  key?: string;
  groups?: readonly string[];
  [attribute: string]: AttributeValue | undefined | null;
}

const attributeValueSchema = z.union([
  z.string().max(LIMITS.stringLength),
  z.number(),
  z.boolean(),
  z
    .array(z.union([z.string().max(LIMITS.stringLength), z.number(), z.boolean()]))
    .max(LIMITS.contextArrayLength),
]);

/** A context as it arrives over the network; the server checks it before evaluating. */
export const contextSchema = z
  .record(attributeNameSchema, attributeValueSchema.nullable())
  .refine((value) => Object.keys(value).length <= LIMITS.contextAttributes, {
    message: `at most ${LIMITS.contextAttributes} attributes`,
  })
  .refine((value) => value.key === undefined || typeof value.key === 'string', {
    message: 'key must be a string',
    path: ['key'],
  })
  .refine((value) => value.groups === undefined || Array.isArray(value.groups), {
    message: 'groups must be an array of strings',
    path: ['groups'],
  });
