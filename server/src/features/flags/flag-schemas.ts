import { z } from '@hono/zod-openapi';
import {
  flagConfigSchema,
  flagKeySchema,
  flagKindSchema,
  segmentSchema,
  variationSchema,
} from '@ringflag/sdk-node/engine';
import { named, pageOf, timestampSchema } from '../../http/openapi-app.js';

/*
 * The engine's wire schemas (DESIGN §2), named for the OpenAPI document, and the admin API's flag.
 * What they contain (variations, rules, clauses, rollouts) is the engine's, inline.
 */

export const flagKindWireSchema = named(flagKindSchema, 'FlagKind');
export const variationWireSchema = named(variationSchema, 'Variation');

/** One flag in one environment: what the SDKs evaluate. */
export const flagConfigWireSchema = named(flagConfigSchema, 'FlagConfig');

/** A segment as the SDKs evaluate it: keys in, keys out, and rules. */
export const segmentConfigWireSchema = named(segmentSchema, 'SegmentConfig');

/** `GET /sdk/v1/flags` and a stream's `put`: every flag and segment of an environment. */
export const sdkPayloadWireSchema = z
  .object({
    revision: z.number().int(),
    flags: z.record(z.string(), flagConfigWireSchema).openapi({ description: 'Per flag key.' }),
    segments: z.record(z.string(), segmentConfigWireSchema).openapi({ description: 'Per segment key.' }),
  })
  .openapi('SdkPayload');

/** A flag as the admin API shows it: the global part (configs are per environment). */
export const flagSchema = z
  .object({
    key: flagKeySchema,
    name: z.string(),
    description: z.string(),
    kind: flagKindWireSchema,
    variations: z.array(variationWireSchema),
    tags: z.array(z.string()),
    owner: z.string().nullable(),
    temporary: z.boolean(),
    clientSide: z.boolean(),
    archived: z.boolean(),
    version: z
      .number()
      .int()
      .openapi({ description: "Increments on every change to the global part; the flag's `ETag`." }),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .openapi('Flag');

/** `GET /api/v1/flags/{key}`: the flag, and whether it is on in each environment. */
export const flagDetailSchema = flagSchema
  .extend({
    environments: z
      .record(z.string(), z.object({ enabled: z.boolean(), version: z.number().int() }))
      .openapi({ description: "Per environment key: on or off, and the config's version." }),
  })
  .openapi('FlagDetail');
export type FlagDetail = z.infer<typeof flagDetailSchema>;

/** `GET /api/v1/flags`: a page of flags. */
export const flagPageSchema = pageOf(flagSchema, 'FlagPage');
